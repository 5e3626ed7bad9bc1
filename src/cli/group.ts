import type { Command } from 'commander';
import { UserError } from '../errors';
import type { CliContext } from './context';

/** `kepubot group bind|list|speaker`: the WeChat groups and the accounts that speak in them. */
export function groupCommands(program: Command, ctx: CliContext): void {
  const { io, clock } = ctx;
  const group = program.command('group').description('管理微信群');
  group
    .command('bind <room>')
    .description('把微信群（群 ID 或完整群名）绑定到e站')
    .requiredOption('--station <name>', 'e站名称')
    .option('--county <name>', '所属旗县区（不同旗县区有同名e站时必填）')
    .action(async (room: string, opts: { station: string; county?: string }) => {
      await ctx.withDatabase(`group bind ${room} --station ${opts.station}`, async (s) => {
        const g = await s.groups.bind(room, opts.station, clock.now(), opts.county);
        io.out(`已将群“${g.topic || g.roomId}”（${g.roomId}）绑定到“${opts.station}”`);
      });
    });
  group
    .command('list')
    .description('列出机器人所在的群及其绑定的e站')
    .action(async () => {
      await ctx.withDatabase('group list', async (s) => {
        const list = await s.groups.list();
        if (list.length === 0) io.out('还没有群。把机器人拉进群后，群会自动出现在这里');
        for (const g of list) io.out(`${g.roomId}\t${g.topic || '(无群名)'}\t${g.station ? `${g.station}（${g.county}）` : '未绑定'}`);
      });
    });

  group
    .command('speaker <room> [account]')
    .description('指定在群里发言的微信号（群 ID 或完整群名；该号不可用时由群里其他号代为发言）')
    .option('--unpin', '取消指定，由系统自动选择')
    .action(async (room: string, accountName: string | undefined, opts: { unpin?: boolean }) => {
      if (opts.unpin && accountName) throw new UserError('--unpin 与微信号不能同时给出');
      if (!opts.unpin && !accountName) throw new UserError('请给出微信号名称（kepubot account list 查看），或用 --unpin 取消指定');
      await ctx.withDatabase(`group speaker ${room}${opts.unpin ? ' --unpin' : ` ${accountName}`}`, async (s) => {
        const g = await s.speakers.pin(room, opts.unpin ? null : accountName!);
        const views = (await s.speakers.accountsOf([g.groupId])).get(g.groupId) ?? [];
        const now = views.find((v) => v.speaker)?.accountName;
        const speaking = now ? `现在由“${now}”发言` : '群里暂时没有可用的微信号发言';
        io.out(
          opts.unpin
            ? `已取消群“${g.topic || room}”的指定发言号，${speaking}`
            : `已指定“${accountName}”在群“${g.topic || room}”发言，${speaking}`,
        );
      });
    });
}
