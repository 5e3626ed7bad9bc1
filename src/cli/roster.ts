import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { UserError } from '../errors';
import { ROSTER_TEMPLATE_NAME, rosterTemplate } from '../services/roster-template';
import type { CliContext } from './context';

/** `kepubot roster template`: the roster file template (no database needed). */
export function rosterCommands(program: Command, ctx: CliContext): void {
  const roster = program.command('roster').description('信息员名册文件');
  roster
    .command('template')
    .description(`生成名册模板（${ROSTER_TEMPLATE_NAME}）：导入所需的列和一行示例`)
    .option('--out <file>', '输出的 .xlsx 文件', ROSTER_TEMPLATE_NAME)
    .action(async (opts: { out: string }) => {
      const bytes = await rosterTemplate();
      try {
        await writeFile(opts.out, bytes);
      } catch (err) {
        throw new UserError(`写不进 ${opts.out}：${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      }
      ctx.io.out(`已生成 ${opts.out}：填好后用 kepubot import roster ${opts.out} --station <e站> 导入（先删除示例行）`);
    });
}
