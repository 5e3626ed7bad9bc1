import type { Command } from 'commander';
import { parsePeriod, type Period } from '../domain/periods';
import { isJobName, JOB_NAMES, periodFor } from '../domain/schedule';
import { UserError } from '../errors';
import type { PlannedMessage } from '../jobs/job';
import type { ScopeRun } from '../jobs/runner';
import type { CliContext } from './context';

const KIND_LABEL: Record<Period['kind'], string> = { day: '日', week: '周', month: '月', quarter: '季度', year: '年' };

/** `kepubot jobs` (recent runs and their sending) and `kepubot run <job>` (a job by hand). */
export function jobsCommands(program: Command, ctx: CliContext): void {
  const { io, clock } = ctx;

  const target = (m: PlannedMessage) =>
    `${m.channel} ${m.recipient}${m.payload.mentions?.length ? ` @${m.payload.mentions.length}人` : ''}${m.payload.file ? ` 附件 ${m.payload.file.name}` : ''}`;
  const printRun = (r: ScopeRun): void => {
    const what =
      r.state === 'dry-run'
        ? '（试运行，未发送）'
        : r.state === 'already'
          ? '（此前已运行，不再重复；确要再发一次请加 --resend）'
          : r.state === 'pending'
            ? '（等待中：下面标明原因的消息暂时发不出，条件满足后自动补发）'
            : r.round > 0
              ? `（已重新加入发送队列，第 ${r.round} 次重发）`
              : '（已加入发送队列）';
    io.out(`== ${r.job} ${r.scope} ${r.period} ${what}`);
    if (r.messages.length === 0 && r.waiting.length === 0 && r.state !== 'already') io.out('   无需发送');
    for (const m of r.messages) {
      io.out(`-> ${target(m)}`);
      io.out(m.payload.text);
    }
    for (const { message, reason } of r.waiting) {
      io.out(`-> ${message.recipient ? `${target(message)} ` : ''}（${reason}）`);
      io.out(message.payload.text);
    }
  };

  program
    .command('jobs')
    .description('列出最近的定时任务运行及其发送情况')
    .option('--limit <n>', '条数', '30')
    .action(async (opts: { limit: string }) => {
      await ctx.withDatabase('jobs', async (s, ds) => {
        const runs = await ctx.jobRunner(s, ds).listRuns(Number(opts.limit) || 30);
        if (runs.length === 0) io.out('还没有运行过定时任务');
        for (const r of runs) {
          const round = r.round > 0 ? `（重发 ${r.round} 次）` : '';
          io.out(
            `${r.id}\t${r.job}\t${r.scope}\t${r.period}\t${r.state}${round}\t已发送 ${r.sent}，待发送 ${r.queued}，失败 ${r.failed}，过期/未确认 ${r.other}`,
          );
          if (r.pendingReason && r.state === 'pending') io.out(`\t等待中（条件满足后自动补发）：${r.pendingReason}`);
          if (r.pendingReason && r.state === 'missed') io.out(`\t已错过（过了有效期仍发不出）：${r.pendingReason}`);
        }
      });
    });

  program
    .command('run <job>')
    .description(`手动运行一个定时任务：${JOB_NAMES.join(' / ')}`)
    .option('--period <key>', '统计期：2026-11-25 / 2026-W48 / 2026-11 / 2026Q3 / 2026（默认按当前时间）')
    .option('--county <name>', '只运行这个旗县区')
    .option('--dry-run', '只打印将要发送的内容，不保存、不发送')
    .option('--resend', '此前已发过也再发一次（新的一轮，每个接收人再收到一次）')
    .action(async (job: string, opts: { period?: string; county?: string; dryRun?: boolean; resend?: boolean }) => {
      if (!isJobName(job)) throw new UserError(`没有任务“${job}”，可选：${JOB_NAMES.join('、')}`);
      if (opts.dryRun && opts.resend) throw new UserError('--dry-run 和 --resend 不能同时使用');
      const now = clock.now();
      let period = periodFor(job, now);
      if (opts.period) {
        const p = parsePeriod(opts.period);
        if (!p) throw new UserError(`统计期“${opts.period}”格式不对，例如 2026-11-25、2026-W48、2026-11、2026Q3、2026`);
        if (p.kind !== period.kind) throw new UserError(`任务 ${job} 的统计期应为${KIND_LABEL[period.kind]}，例如 ${period.key}`);
        period = p;
      }
      await ctx.withDatabase(`run ${job}${opts.resend ? ' --resend' : ''}`, async (s, ds) => {
        const countyIds = opts.county ? [(await s.regions.countyByName(opts.county)).id] : undefined;
        const runs = await ctx
          .jobRunner(s, ds)
          .run(job, period, now, { countyIds, dryRun: opts.dryRun, mode: opts.resend ? 'resend' : 'retry' });
        if (runs.length === 0) io.out('没有需要运行的范围（没有旗县区、e站或已绑定的群）');
        runs.forEach(printRun);
      });
    });
}
