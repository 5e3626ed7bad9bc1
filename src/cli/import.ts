import type { Command } from 'commander';
import { LISTED_PROBLEMS } from '../domain/roster';
import { UserError } from '../errors';
import type { CliContext } from './context';

/** `kepubot import roster <file>`: an e-station's informant roster, all rows or none. */
export function importCommands(program: Command, ctx: CliContext): void {
  const { io, clock } = ctx;
  const imp = program.command('import').description('导入数据');
  imp
    .command('roster <file>')
    .description('从 .xlsx 或 .csv 导入e站的信息员名册（全部行无误才导入，否则一行也不导入）')
    .requiredOption('--station <name>', 'e站名称')
    .option('--county <name>', '所属旗县区（不同旗县区有同名e站时必填）')
    .action(async (file: string, opts: { station: string; county?: string }) => {
      await ctx.withDatabase(`import roster ${file} --station ${opts.station}`, async (s) => {
        const result = await s.roster.importRoster(file, opts.station, clock.now(), opts.county);
        if (result.problemCount > 0) {
          const shown = result.problems.slice(0, LISTED_PROBLEMS);
          const listed = shown.length < result.problemCount ? `（以下列出前 ${shown.length} 处）` : '';
          io.err(`名册有 ${result.problemCount} 处问题，未导入任何一行${listed}：`);
          for (const p of shown) io.err(`  第${p.line}行：${p.reason}`);
          if (shown.length < result.problemCount) io.err(`  ……另有 ${result.problemCount - shown.length} 处问题未列出，请修改后重新导入`);
          throw new UserError('名册未导入', 'shown');
        }
        io.out(
          `已导入“${result.station}”名册：新增 ${result.imported} 人，补充手机号 ${result.updated} 人，${result.enabled > 0 ? `重新启用 ${result.enabled} 人，` : ''}已存在 ${result.unchanged} 人`,
        );
      });
    });
}
