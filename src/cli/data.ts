import type { Command } from 'commander';
import { dayOf } from '../domain/calendar';
import type { PartitionInfo } from '../services/partitions.service';
import { sizeText } from './backup';
import type { CliContext } from './context';

function rowsText(rows: number | null): string {
  return rows === null ? '行数未知（尚未 ANALYZE）' : `约 ${rows} 行`;
}

function partitionLine(p: PartitionInfo): string {
  return `  ${p.month}  ${p.partition}  ${rowsText(p.rowEstimate)}  ${sizeText(p.bytes)}`;
}

function totals(parts: PartitionInfo[]): string {
  const rows = parts.reduce((a, p) => a + (p.rowEstimate ?? 0), 0);
  const unknown = parts.some((p) => p.rowEstimate === null) ? '（部分分区行数未知）' : '';
  return `共 ${parts.length} 个分区，约 ${rows} 行${unknown}，${sizeText(parts.reduce((a, p) => a + p.bytes, 0))}`;
}

/**
 * `kepubot data partitions` (the raw tables' monthly partitions, the months ahead created now) and
 * `kepubot data retention [--dry-run]` (raw shares past RAW_RETENTION_MONTHS dropped a month at a
 * time once summarised; the summaries, the ledger and activities stay).
 */
export function dataCommands(program: Command, ctx: CliContext): void {
  const { config, io, clock } = ctx;
  const months = config.retention.rawMonths;
  const data = program.command('data').description('数据的存放：原始转发表的按月分区、过期原始转发的删除');

  data
    .command('partitions')
    .description('列出原始转发表（share_event、effective_share）的按月分区，并补建本月和之后 3 个月缺少的分区')
    .action(async () => {
      await ctx.withDatabase('data partitions', async (s) => {
        const created = await s.partitions.ensureAhead(dayOf(clock.now()));
        io.out(created.length > 0 ? `已补建 ${created.length} 个分区：${created.join('、')}` : '本月和之后 3 个月的分区都已存在');
        const all = await s.partitions.list();
        for (const p of all) io.out(partitionLine(p));
        io.out(totals(all));
      });
    });

  data
    .command('retention')
    .description(`删除超过保留期限（RAW_RETENTION_MONTHS=${months} 个月）的原始转发，按月整块删除，只删统计汇总已覆盖的月份`)
    .option('--dry-run', '只列出会删除哪些分区（月份、估计行数、大小），不删除')
    .action(async (opts: { dryRun?: boolean }) => {
      const dryRun = opts.dryRun === true;
      await ctx.withDatabase(`data retention${dryRun ? ' --dry-run' : ''}`, async (s) => {
        const { plan, dropped } = await s.partitions.retain(dayOf(clock.now()), months, { dryRun });
        io.out(`原始转发保留 ${months} 个月（RAW_RETENTION_MONTHS）：保留 ${plan.keepFrom} 及以后的月份，更早的月份按月整块删除。`);
        if (plan.drop.length === 0) io.out('没有可以删除的分区。');
        else {
          io.out(dryRun ? '会删除（--dry-run，这次没有删除任何数据）：' : '已删除：');
          const shown = dryRun ? plan.drop : dropped;
          for (const p of shown) io.out(partitionLine(p));
          io.out(totals(shown));
          const left = plan.drop.filter((p) => !dropped.some((d) => d.partition === p.partition));
          if (!dryRun && left.length > 0) io.out(`另有 ${left.length} 个分区在删除前发现统计汇总有变化，这次没有删除，下次再删。`);
        }
        if (plan.unsummarised.length > 0) {
          io.out('超过保留期限但暂不删除（这些月份的统计汇总还没有覆盖，汇总完成后再删）：');
          for (const p of plan.unsummarised) io.out(partitionLine(p));
        }
        io.out('统计汇总（station_day、informant_period、station_period）、台账（daily_rollup）和活动记录都保留。');
      });
    });
}
