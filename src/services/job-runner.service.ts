import type { DataSource } from 'typeorm';
import type { AppConfig } from '../config';
import type { Period } from '../domain/periods';
import { lastFiring, periodFor, ruleProblem, stillUseful, type JobName } from '../domain/schedule';
import { JOBS } from '../jobs';
import type { JobContext, PlannedMessage } from '../jobs/job';
import type { Logger } from '../logger';
import type { Services } from '.';

export interface ScopeRun {
  job: JobName;
  scope: string;
  period: string;
  /** planned: queued now; already: an earlier run (or another instance) did it; dry-run: nothing stored. */
  state: 'planned' | 'already' | 'dry-run';
  messages: PlannedMessage[];
}

export interface RunListItem {
  id: number;
  job: string;
  scope: string;
  period: string;
  state: string;
  startedAt: Date;
  queued: number;
  sent: number;
  failed: number;
  other: number;
}

/**
 * Runs scheduled jobs exactly once per (job, scope, period): the job_run row is claimed and
 * locked, the messages are planned and queued in the same transaction, keyed by (run, recipient).
 * A run that died half way left nothing (rolled back) and is planned again; a second instance
 * waits on the row lock and then finds the run done.
 */
export class JobRunner {
  constructor(
    private readonly ds: DataSource,
    private readonly services: Services,
    private readonly config: AppConfig,
    private readonly log: Logger,
  ) {}

  private get ctx(): JobContext {
    return { ds: this.ds, services: this.services, config: this.config };
  }

  /** Counties grouped by the rule they use for the job (their override, or the default). */
  async countiesByRule(job: JobName): Promise<Map<string, number[]>> {
    const rows: Array<{ id: number; rule: string | null }> = await this.ds.query(
      `SELECT id, schedule ->> $1 AS rule FROM region WHERE level = 'county' ORDER BY id`,
      [job],
    );
    const out = new Map<string, number[]>();
    for (const r of rows) {
      const rule = r.rule ?? this.config.schedule.rules[job];
      out.set(rule, [...(out.get(rule) ?? []), r.id]);
    }
    return out;
  }

  /** Problems in the counties' stored rules (start-up refuses to run with any). */
  async ruleProblems(): Promise<string[]> {
    const rows: Array<{ name: string; schedule: Record<string, string> }> = await this.ds.query(
      `SELECT name, schedule FROM region WHERE level = 'county' AND schedule <> '{}'::jsonb`,
    );
    const problems: string[] = [];
    for (const r of rows) {
      for (const [job, rule] of Object.entries(r.schedule)) {
        if (!(job in JOBS)) problems.push(`county ${r.name}: unknown job "${job}"`);
        const p = ruleProblem(rule, this.config.schedule.zone);
        if (p) problems.push(`county ${r.name}, job ${job}: ${p}`);
      }
    }
    return problems;
  }

  /** Runs a job for all its scopes in the counties (all counties when omitted) for the period. */
  async run(job: JobName, period: Period, now: Date, opts: { countyIds?: number[]; dryRun?: boolean } = {}): Promise<ScopeRun[]> {
    const counties = opts.countyIds ?? (await this.allCounties());
    const scopes = await JOBS[job].scopes(this.ctx, counties);
    const out: ScopeRun[] = [];
    for (const scope of scopes) out.push(await this.runScope(job, scope, period, now, opts.dryRun ?? false));
    return out;
  }

  async runScope(job: JobName, scope: string, period: Period, now: Date, dryRun: boolean): Promise<ScopeRun> {
    const def = JOBS[job];
    if (dryRun) {
      return { job, scope, period: period.key, state: 'dry-run', messages: await def.plan(this.ctx, scope, period, now) };
    }
    return this.ds.transaction(async (m) => {
      await m.query(
        `INSERT INTO job_run (job, scope, period) VALUES ($1, $2, $3) ON CONFLICT (job, scope, period) DO NOTHING`,
        [job, scope, period.key],
      );
      const [run]: Array<{ id: number; state: string }> = await m.query(
        `SELECT id, state FROM job_run WHERE job = $1 AND scope = $2 AND period = $3 FOR UPDATE`,
        [job, scope, period.key],
      );
      if (run.state !== 'planning') return { job, scope, period: period.key, state: 'already' as const, messages: [] };
      const messages = (await def.plan(this.ctx, scope, period, now)).filter((msg) => msg.recipient !== '');
      for (const msg of messages) {
        await m.query(
          `INSERT INTO outbox_message (run_id, channel, recipient, payload, due_at, valid_until)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (run_id, recipient) DO NOTHING`,
          [run.id, msg.channel, msg.recipient, JSON.stringify(msg.payload), now, msg.validUntil ?? null],
        );
      }
      await m.query(`UPDATE job_run SET state = 'planned', messages = $2, finished_at = $3 WHERE id = $1`, [run.id, messages.length, now]);
      this.log.info({ job, scope, period: period.key, messages: messages.length }, 'job run planned');
      return { job, scope, period: period.key, state: 'planned' as const, messages };
    });
  }

  /** What fires at `now` for the counties on a rule (called by the scheduler). */
  async fire(job: JobName, countyIds: number[], now: Date): Promise<ScopeRun[]> {
    return this.run(job, periodFor(job, now), now, { countyIds });
  }

  /**
   * Catch-up at start: for each job and rule, the latest firing before now; run it when it has
   * not run and is still useful (a weekly digest is; a reminder for a past evening is not).
   */
  async catchUp(now: Date): Promise<ScopeRun[]> {
    const out: ScopeRun[] = [];
    for (const job of Object.keys(JOBS) as JobName[]) {
      for (const [rule, countyIds] of await this.countiesByRule(job)) {
        const at = lastFiring(rule, this.config.schedule.zone, now);
        if (!at) continue;
        const period = periodFor(job, at);
        if (!stillUseful(job, period, now, this.config.schedule.zone)) continue;
        const runs = await this.run(job, period, now, { countyIds });
        out.push(...runs.filter((r) => r.state === 'planned'));
      }
    }
    if (out.length > 0) this.log.info({ runs: out.map((r) => `${r.job} ${r.scope} ${r.period}`) }, 'caught up missed runs');
    return out;
  }

  async listRuns(limit = 30): Promise<RunListItem[]> {
    const rows: Array<Record<string, unknown>> = await this.ds.query(
      `SELECT r.id, r.job, r.scope, r.period, r.state, r.started_at,
              count(o.id) FILTER (WHERE o.state IN ('queued', 'sending'))::int AS queued,
              count(o.id) FILTER (WHERE o.state = 'sent')::int AS sent,
              count(o.id) FILTER (WHERE o.state = 'failed')::int AS failed,
              count(o.id) FILTER (WHERE o.state IN ('expired', 'uncertain'))::int AS other
       FROM job_run r LEFT JOIN outbox_message o ON o.run_id = r.id
       GROUP BY r.id ORDER BY r.id DESC LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      job: String(r.job),
      scope: String(r.scope),
      period: String(r.period),
      state: String(r.state),
      startedAt: r.started_at as Date,
      queued: Number(r.queued),
      sent: Number(r.sent),
      failed: Number(r.failed),
      other: Number(r.other),
    }));
  }

  private async allCounties(): Promise<number[]> {
    const rows: Array<{ id: number }> = await this.ds.query(`SELECT id FROM region WHERE level = 'county' ORDER BY id`);
    return rows.map((r) => r.id);
  }
}
