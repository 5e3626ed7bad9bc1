import type { Command } from 'commander';
import { dayOf } from '../domain/calendar';
import type { CliContext } from './context';

/** `kepubot links unknown`: Kepu China link shapes not recognised. */
export function linksCommands(program: Command, ctx: CliContext): void {
  const { io } = ctx;
  const links = program.command('links').description('科普中国链接的识别');
  links
    .command('unknown')
    .description('列出没有识别的科普中国链接形式（不计数），可用 KEPU_URL_RULES 添加')
    .option('--limit <n>', '条数', '50')
    .action(async (opts: { limit: string }) => {
      await ctx.withDatabase('links unknown', async (s) => {
        const rows = await s.links.listUnknown(Number(opts.limit) || 50);
        if (rows.length === 0) {
          io.out('没有未识别的科普中国链接形式');
          return;
        }
        io.out('形式\t次数\t首次\t最近\t示例');
        for (const r of rows) io.out(`${r.shape}\t${r.seen}\t${dayOf(r.firstSeenAt)}\t${dayOf(r.lastSeenAt)}\t${r.example}`);
        io.out(
          '确认是一篇内容的链接形式，可加入 KEPU_URL_RULES（类别:主机/路径?编号参数，例如 special:www.kepuchina.cn/special/specialinfo?id）后重启。',
        );
      });
    });
}
