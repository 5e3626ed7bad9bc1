import type { Command } from 'commander';
import type { CliContext } from './context';
import { describeHandles, handleOptions, personOf, type HandleOpts } from './handles';

/** `kepubot manager add`: an e-station's manager, by their handles. */
export function managerCommands(program: Command, ctx: CliContext): void {
  const manager = program.command('manager').description('管理e站管理员');
  handleOptions(manager.command('add').description('登记e站管理员（可在企业微信、公众号或与机器人私聊中管理本站）'))
    .requiredOption('--station <name>', 'e站名称')
    .option('--county <name>', '所属旗县区（不同旗县区有同名e站时必填）')
    .action(async (opts: HandleOpts & { station: string; county?: string }) => {
      await ctx.withDatabase(`manager add --station ${opts.station}`, async (s, ds) => {
        await s.people.addManager(opts.station, personOf(opts), opts.county);
        ctx.io.out(`已登记“${opts.station}”的管理员${opts.name ? ` ${opts.name}` : ''}（${describeHandles(opts)}）`);
        await ctx.retryPending(s, ds);
      });
    });
}
