import type { Command } from 'commander';
import { shanghaiMinute } from '../domain/calendar';
import { ACCOUNT_COUNTIES_MAX, accountStateLabel } from '../domain/bot-accounts';
import { UserError } from '../errors';
import type { CliContext } from './context';

/** `kepubot account add|list|pause|resume|remove`: the bot's WeChat accounts. */
export function accountCommands(program: Command, ctx: CliContext): void {
  const { io, clock } = ctx;
  const account = program.command('account').description('管理机器人的微信号（可多个；多个 kepubot 进程分担）');
  account
    .command('add <name>')
    .description('添加一个微信号（puppet 服务地址与 token）；运行中的 kepubot 10 秒内连接它')
    .requiredOption('--endpoint <host:port>', 'puppet 服务地址，例如 10.0.0.2:8788')
    .requiredOption('--token <token>', 'puppet 服务的 token（保存在数据库中，不会显示）')
    .option('--insecure', '不用 TLS 连接 puppet 服务')
    .option('--county <name>', '这个微信号服务的旗县区（可写多次；不写：所有旗县区）', (v: string, all: string[]) => [...all, v], [])
    .action(async (name: string, opts: { endpoint: string; token: string; insecure?: boolean; county: string[] }) => {
      if (opts.county.length > ACCOUNT_COUNTIES_MAX) throw new UserError(`--county 最多 ${ACCOUNT_COUNTIES_MAX} 个`);
      // The command line audited names the account only: the token is a secret.
      await ctx.withDatabase(`account add ${name}`, async (s) => {
        const added = await s.accounts.add({
          name,
          endpoint: opts.endpoint,
          token: opts.token,
          insecure: opts.insecure,
          counties: opts.county,
        });
        io.out(
          `已添加微信号“${added.name}”（编号 ${added.id}${opts.county.length ? `，服务 ${opts.county.join('、')}` : '，服务所有旗县区'}）。` +
            '运行中的 kepubot 会在 10 秒内连接它；需要扫码时，二维码在管理后台“机器人”页和日志里。',
        );
      });
    });
  account
    .command('list')
    .description('列出微信号：状态、登录的微信名、群数、最近消息、今日发送、持有的进程')
    .action(async () => {
      await ctx.withDatabase('account list', async (s) => {
        const list = await s.accounts.list(clock.now());
        if (list.length === 0) {
          io.out('还没有微信号。用 kepubot account add <名称> --endpoint 主机:端口 --token TOKEN 添加');
          return;
        }
        io.out('名称\t状态\t微信名\t群\t最近消息\t今日发送\t持有进程\t旗县区');
        for (const a of list) {
          io.out(
            [
              a.name,
              accountStateLabel(a),
              a.wechatName ?? '—',
              a.groups ?? '—',
              a.lastEventAt ? shanghaiMinute(a.lastEventAt) : '—',
              a.sentToday,
              a.holder ?? '—',
              a.counties.length ? a.counties.map((c) => c.name).join('、') : '全部',
            ].join('\t'),
          );
        }
      });
    });
  for (const [verb, label] of [
    ['pause', '暂停'],
    ['resume', '恢复'],
  ] as const) {
    account
      .command(`${verb} <name>`)
      .description(verb === 'pause' ? '暂停一个微信号（持有它的进程几秒内断开它，不再有进程连接）' : '恢复一个暂停的微信号')
      .action(async (name: string) => {
        await ctx.withDatabase(`account ${verb} ${name}`, async (s) => {
          await s.accounts.setPaused(name, verb === 'pause');
          io.out(`已${label}微信号“${name}”`);
        });
      });
  }
  account
    .command('remove <name>')
    .description('移除一个微信号（断开并不再连接；历史记录保留）')
    .action(async (name: string) => {
      await ctx.withDatabase(`account remove ${name}`, async (s) => {
        await s.accounts.remove(name, clock.now());
        io.out(`已移除微信号“${name}”`);
      });
    });
}
