import type { Command } from 'commander';
import type { CliContext } from './context';
import { describeHandles, handleOptions, personOf, type HandleOpts } from './handles';

/** `kepubot staff add`: a county's staff member, by their handles. */
export function staffCommands(program: Command, ctx: CliContext): void {
  const staff = program.command('staff').description('管理旗县区科协工作人员');
  handleOptions(staff.command('add').description('登记旗县区工作人员（可查看本旗县区各e站的数据）'))
    .requiredOption('--county <name>', '旗县区名称')
    .action(async (opts: HandleOpts & { county: string }) => {
      await ctx.withDatabase(`staff add --county ${opts.county}`, async (s, ds) => {
        await s.people.addStaff(opts.county, personOf(opts));
        ctx.io.out(`已登记${opts.county}的工作人员${opts.name ? ` ${opts.name}` : ''}（${describeHandles(opts)}）`);
        await ctx.retryPending(s, ds);
      });
    });
}
