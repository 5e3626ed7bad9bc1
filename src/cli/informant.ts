import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { extname } from 'node:path';
import { UserError } from '../errors';
import { personalDataWorkbook, type Requester } from '../services/personal-data.service';
import type { CliContext } from './context';

type Opts = { station: string; county?: string };

/**
 * `kepubot informant export|forget <姓名或手机号> --station …`: a person's data on request. The
 * audit lines name the informant by id only (never the name or phone given on the command line).
 */
export function informantCommands(program: Command, ctx: CliContext): void {
  const { io, clock } = ctx;
  const requester = (): Requester => ({ channel: 'cli', senderId: userInfo().username });
  const informant = program.command('informant').description('信息员的个人信息：导出、删除（个人信息保护法规定的查阅、删除请求）');
  const where = (cmd: Command) =>
    cmd.requiredOption('--station <name>', 'e站名称').option('--county <name>', '所属旗县区（不同旗县区有同名e站时必填）');

  where(informant.command('export <who>').description('导出 kepubot 保存的这个人的全部信息（名册、微信标识、转发、操作记录）'))
    .option('--out <file>', '输出文件：.json 或 .xlsx（不给则打印 JSON）')
    .action(async (who: string, opts: Opts & { out?: string }) => {
      const format = opts.out ? extname(opts.out).toLowerCase() : '.json';
      if (format !== '.json' && format !== '.xlsx') throw new UserError('--out 应为 .json 或 .xlsx 文件');
      await ctx.withDatabase(`informant export --station ${opts.station}`, async (s) => {
        const station = await s.stations.require(opts.station, opts.county);
        const { id } = await s.personalData.find(station.id, who);
        const data = await s.personalData.export(id, clock.now(), requester());
        if (!opts.out) {
          io.out(JSON.stringify(data, null, 2));
          return;
        }
        await writeFile(opts.out, format === '.xlsx' ? await personalDataWorkbook(data) : `${JSON.stringify(data, null, 2)}\n`);
        io.out(`已导出信息员 #${id} 的个人信息到 ${opts.out}：${data.shares.length} 条转发，${data.audit.length} 条操作记录`);
      });
    });

  where(
    informant
      .command('forget <who>')
      .description('删除这个人的姓名、手机号和微信标识（统计数字不变，名册上改为“已删除信息员#编号”），不可撤销'),
  )
    .option('--yes', '确认删除（不可撤销；建议先 export 一份交给本人）')
    .action(async (who: string, opts: Opts & { yes?: boolean }) => {
      if (!opts.yes) throw new UserError('删除个人信息不可撤销：确认后请加 --yes 再运行一次（可先用 informant export 导出一份）');
      await ctx.withDatabase(`informant forget --station ${opts.station}`, async (s) => {
        const station = await s.stations.require(opts.station, opts.county);
        const { id } = await s.personalData.find(station.id, who);
        const r = await s.personalData.forget(id, clock.now(), requester());
        io.out(`已删除信息员 #${id} 的姓名、手机号和微信标识，名册上显示为“${r.name}”；${r.shares} 条转发的发送人标识已替换，统计数字不变`);
      });
    });
}
