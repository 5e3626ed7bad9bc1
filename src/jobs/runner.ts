import type { DataSource, EntityManager } from 'typeorm';
import type { AppConfig } from '../config';
import type { OutboxChannel } from '../db/entities';
import { formatScope, parseScope, type JobScope } from '../domain/job-scope';
import { parsePeriod, type Period } from '../domain/periods';
import { isJobName, lastFiring, periodFor, ruleProblem, stillUseful, type JobName } from '../domain/schedule';
import { JOBS } from '.';
import type { JobContext, PlannedMessage } from './job';
import type { Logger } from '../logger';
import type { Services } from '../services';
import { NOT_CONFIGURED } from '../services/channels';
import { enqueueMessage } from '../services/outbox-queue';

/**
 * normal: plan a run that has not been planned (the scheduler, the catch-up);
 * retry: also plan again a pending or missed run (the periodic pass, `kepubot run`, after `staff add`);
 * resend: queue the run again on purpose as a new round (`kepubot run --resend`).
 */
export type RunMode = 'normal' | 'retry' | 'resend';

export interface ScopeRun {
  job: JobName;
  scope: string;
  period: string;
  /**
   * planned: queued now; pending: stored, waiting for a recipient or channel (see `reason`);
   * already: an earlier run (or another instance) did it; dry-run: nothing stored.
   */
  state: 'planned' | 'pending' | 'already' | 'dry-run';
  /** The run's round (0, or n after the n-th resend). */
  round: number;
  /** Messages queued by this call (a dry run: those that would be). */
  messages: PlannedMessage[];
  /** Messages that cannot go yet, each with why (Chinese). */
  waiting: Array<{ message: PlannedMessage; reason: string }>;
  /** Why the run is pending (the distinct reasons of `waiting`, joined). */
  reason?: string;
  /** The job_run row (absent for a dry run). */
  runId?: number;
}

export interface RunListItem {
  id: number;
  job: string;
  scope: string;
  period: string;
  state: string;
  round: number;
  /** Why the run is pending or was missed. */
  pendingReason: string | null;
  startedAt: Date;
  /** Outbox entries (each text and each file is one) by state. */
  queued: number;
  sent: number;
  failed: number;
  other: number;
}

/** A run as its messages' page heads it. */
export interface RunHeader {
  id: number;
  job: string;
  scope: string;
  period: string;
  state: string;
}

/** One stored part of a run's message (its text, or its file), as queued and sent. */
export interface StoredPart {
  id: number;
  round: number;
  part: number;
  channel: OutboxChannel;
  state: string;
  sentAt: Date | null;
  /** Empty in a file part. */
  text: string;
  markdown: boolean;
  /** The attached file's name and size in bytes (download it with messageFile). */
  file: { name: string; bytes: number } | null;
}

/** An outbox entry not (yet) sent, with its run and why that run waits. */
export interface QueueItem {
  id: number;
  runId: number;
  job: string;
  scope: string;
  period: string;
  round: number;
  part: number;
  channel: string;
  state: string;
  attempts: number;
  dueAt: Date;
  validUntil: Date | null;
  lastError: string | null;
  /** Why the entry's run is pending (no recipient, channel not configured), or null. */
  pendingReason: string | null;
}

/**
 * Runs scheduled jobs exactly once per (job, scope, period): the job_run row is claimed and
 * locked, the messages are planned and queued in the same transaction, one outbox entry per
 * (run, round, recipient, part). A run that died half way left nothing (rolled back) and is
 * planned again; a second instance waits on the row lock and then finds the run done. A run with
 * no recipient or an unconfigured channel stays pending with its reason and is planned again
 * (only the messages not yet queued) while it is still useful.
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
        if (!Object.hasOwn(JOBS, job)) problems.push(`county ${r.name}: unknown job "${job}"`);
        const p = ruleProblem(rule, this.config.schedule.zone);
        if (p) problems.push(`county ${r.name}, job ${job}: ${p}`);
      }
    }
    return problems;
  }

  /** Runs a job for all its scopes in the counties (all counties when omitted) for the period. */
  async run(
    job: JobName,
    period: Period,
    now: Date,
    opts: { countyIds?: number[]; dryRun?: boolean; mode?: RunMode } = {},
  ): Promise<ScopeRun[]> {
    const counties = opts.countyIds ?? (await this.allCounties());
    const scopes = await JOBS[job].scopes(this.ctx, counties);
    const out: ScopeRun[] = [];
    for (const scope of scopes) out.push(await this.runScope(job, scope, period, now, opts));
    return out;
  }

  async runScope(
    job: JobName,
    scope: JobScope,
    period: Period,
    now: Date,
    opts: { dryRun?: boolean; mode?: RunMode } = {},
  ): Promise<ScopeRun> {
    const def = JOBS[job];
    const mode = opts.mode ?? 'normal';
    const scopeText = formatScope(scope);
    if (def.prepare && (opts.dryRun || (await this.mayPlan(job, scopeText, period, mode)))) await def.prepare(this.ctx, scope, period, now);
    if (opts.dryRun) {
      const { sendable, waiting } = this.split(await def.plan(this.ctx, scope, period, now));
      return {
        job,
        scope: scopeText,
        period: period.key,
        state: 'dry-run',
        round: 0,
        messages: sendable,
        waiting,
        reason: reasonOf(waiting),
      };
    }
    return this.ds.transaction(async (m) => {
      await m.query(
        `INSERT INTO job_run (job, scope, period, county_id) VALUES ($1, $2, $3, $4) ON CONFLICT (job, scope, period) DO NOTHING`,
        [job, scopeText, period.key, await this.countyOf(m, scope)],
      );
      const [run]: Array<{ id: number; state: string; round: number }> = await m.query(
        `SELECT id, state, round FROM job_run WHERE job = $1 AND scope = $2 AND period = $3 FOR UPDATE`,
        [job, scopeText, period.key],
      );
      const fresh = run.state === 'planning';
      const plannable = fresh || mode === 'resend' || (mode === 'retry' && (run.state === 'pending' || run.state === 'missed'));
      if (!plannable)
        return {
          job,
          scope: scopeText,
          period: period.key,
          state: 'already' as const,
          round: run.round,
          messages: [],
          waiting: [],
          runId: run.id,
        };
      const round = mode === 'resend' && !fresh ? run.round + 1 : run.round;
      const { sendable, waiting } = this.split(await def.plan(this.ctx, scope, period, now));
      const queued: PlannedMessage[] = [];
      for (const msg of sendable) {
        if (await enqueueMessage(m, run.id, round, msg, now)) queued.push(msg);
      }
      const reason = reasonOf(waiting);
      const state = reason ? ('pending' as const) : ('planned' as const);
      await m.query(
        `UPDATE job_run SET state = $2, round = $3, pending_reason = $4, messages = messages + $5, finished_at = $6 WHERE id = $1`,
        [run.id, state, round, reason ?? null, queued.length, now],
      );
      const fields = { job, scope: scopeText, period: period.key, round, messages: queued.length };
      if (state === 'pending') {
        const why = waiting.every((w) => w.message.recipient === '') ? 'no recipient' : 'channel not configured';
        this.log.warn({ ...fields, why }, 'job run pending');
      } else this.log.info(fields, mode === 'resend' && !fresh ? 'job run queued again (resend)' : 'job run planned');
      return { job, scope: scopeText, period: period.key, state, round, messages: queued, waiting, reason, runId: run.id };
    });
  }

  /** The county a scope belongs to when the run is claimed (stored in job_run.county_id). */
  private async countyOf(m: EntityManager, scope: JobScope): Promise<number | null> {
    if (scope.kind === 'county') return scope.countyId;
    const [row]: Array<{ county_id: number }> =
      scope.kind === 'station'
        ? await m.query(`SELECT county_id FROM station WHERE id = $1`, [scope.stationId])
        : await m.query(`SELECT s.county_id FROM wechat_group g JOIN station s ON s.id = g.station_id WHERE g.room_id = $1`, [
            scope.roomId,
          ]);
    return row?.county_id ?? null;
  }

  /**
   * Sends again what of a run did not go out (the console's 重发): a pending or missed run is
   * planned again (the messages not queued before), and its failed, expired and uncertain parts
   * are queued again, due now, unless they are past their validity (an evening reminder the next
   * day). Returns how many parts were queued; null when there is no such run.
   */
  async resendRun(runId: number, now: Date): Promise<{ requeued: number; run: ScopeRun | null } | null> {
    const [r]: Array<{ job: string; scope: string; period: string; state: string }> = await this.ds.query(
      `SELECT job, scope, period, state FROM job_run WHERE id = $1`,
      [runId],
    );
    if (!r) return null;
    const period = parsePeriod(r.period);
    let run: ScopeRun | null = null;
    const scope = parseScope(r.scope);
    if ((r.state === 'pending' || r.state === 'missed') && isJobName(r.job) && period && scope) {
      run = await this.runScope(r.job, scope, period, now, { mode: 'retry' });
    }
    const rows: unknown[] = await this.ds.query(
      `WITH u AS (
         UPDATE outbox_message SET state = 'queued', attempts = 0, due_at = $2, last_error = NULL
         WHERE run_id = $1 AND state IN ('failed', 'expired', 'uncertain') AND (valid_until IS NULL OR valid_until > $2)
         RETURNING id
       ) SELECT id FROM u`,
      [runId, now],
    );
    const requeued = rows.length + (run ? run.messages.length : 0);
    this.log.info({ job: r.job, scope: r.scope, period: r.period, requeued }, 'job run sent again');
    return { requeued, run };
  }

  /** Whether runScope would plan the run (read without a lock: only to skip a job's slow preparation). */
  private async mayPlan(job: JobName, scope: string, period: Period, mode: RunMode): Promise<boolean> {
    const [run]: Array<{ state: string }> = await this.ds.query(`SELECT state FROM job_run WHERE job = $1 AND scope = $2 AND period = $3`, [
      job,
      scope,
      period.key,
    ]);
    return (
      !run || run.state === 'planning' || mode === 'resend' || (mode === 'retry' && (run.state === 'pending' || run.state === 'missed'))
    );
  }

  /** Separates the messages that can be queued from those waiting for a recipient or a channel. */
  private split(planned: PlannedMessage[]): { sendable: PlannedMessage[]; waiting: ScopeRun['waiting'] } {
    const sendable: PlannedMessage[] = [];
    const waiting: ScopeRun['waiting'] = [];
    for (const message of planned) {
      const reason = message.recipient === '' ? (message.noRecipient ?? '没有接收人') : this.channelProblem(message.channel);
      if (reason) waiting.push({ message, reason });
      else sendable.push(message);
    }
    return { sendable, waiting };
  }

  /** Why this process cannot send through the channel, or null when it can. */
  private channelProblem(channel: OutboxChannel): string | null {
    if (channel === 'wecom-app' && !this.config.wecom) return `${NOT_CONFIGURED.wecom}，设置后重启 kepubot`;
    return null;
  }

  /**
   * Plans again every pending run that is still useful (only the messages not queued before), and
   * marks the others missed. Called at start, periodically by the scheduler, and by the CLI after
   * `staff add`, `manager add` and `county --webhook`. Returns the runs that queued something.
   */
  async retryPending(now: Date): Promise<ScopeRun[]> {
    const rows: Array<{ id: number; job: string; scope: string; period: string }> = await this.ds.query(
      `SELECT id, job, scope, period FROM job_run WHERE state = 'pending' ORDER BY id`,
    );
    const out: ScopeRun[] = [];
    for (const r of rows) {
      const period = parsePeriod(r.period);
      const scope = parseScope(r.scope);
      if (!isJobName(r.job) || !period || !scope) continue;
      if (!stillUseful(r.job, period, now, this.config.schedule.zone, this.config.schedule.quiet)) {
        await this.ds.query(`UPDATE job_run SET state = 'missed', finished_at = $2 WHERE id = $1 AND state = 'pending'`, [r.id, now]);
        this.log.warn({ job: r.job, scope: r.scope, period: r.period }, 'pending job run no longer useful: missed');
        continue;
      }
      const run = await this.runScope(r.job, scope, period, now, { mode: 'retry' });
      if (run.messages.length > 0) out.push(run);
    }
    return out;
  }

  /** What fires at `now` for the counties on a rule (called by the scheduler). */
  async fire(job: JobName, countyIds: number[], now: Date): Promise<ScopeRun[]> {
    return this.run(job, periodFor(job, now), now, { countyIds });
  }

  /**
   * Catch-up at start: for each job and rule, the latest firing before now; run it when it has
   * not run and is still useful (a weekly digest is; a reminder for a past evening is not).
   * Returns the runs it claimed: planned, or pending when nobody could receive them yet.
   */
  async catchUp(now: Date): Promise<ScopeRun[]> {
    const out: ScopeRun[] = [];
    for (const job of Object.keys(JOBS) as JobName[]) {
      for (const [rule, countyIds] of await this.countiesByRule(job)) {
        const at = lastFiring(rule, this.config.schedule.zone, now);
        if (!at) continue;
        const period = periodFor(job, at);
        if (!stillUseful(job, period, now, this.config.schedule.zone, this.config.schedule.quiet)) continue;
        const runs = await this.run(job, period, now, { countyIds });
        out.push(...runs.filter((r) => r.state === 'planned' || r.state === 'pending'));
      }
    }
    if (out.length > 0) this.log.info({ runs: out.map((r) => `${r.job} ${r.scope} ${r.period}`) }, 'caught up missed runs');
    return out;
  }

  async listRuns(limit = 30, counties?: readonly number[]): Promise<RunListItem[]> {
    const rows: Array<Record<string, unknown>> = await this.ds.query(
      `SELECT r.id, r.job, r.scope, r.period, r.state, r.round, r.pending_reason, r.started_at,
              count(o.id) FILTER (WHERE o.state IN ('queued', 'sending'))::int AS queued,
              count(o.id) FILTER (WHERE o.state = 'sent')::int AS sent,
              count(o.id) FILTER (WHERE o.state = 'failed')::int AS failed,
              count(o.id) FILTER (WHERE o.state IN ('expired', 'uncertain'))::int AS other
       FROM job_run r LEFT JOIN outbox_message o ON o.run_id = r.id
       WHERE $2::int[] IS NULL OR r.county_id = ANY($2::int[])
       GROUP BY r.id ORDER BY r.id DESC LIMIT $1`,
      [limit, counties ?? null],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      job: String(r.job),
      scope: String(r.scope),
      period: String(r.period),
      state: String(r.state),
      round: Number(r.round),
      pendingReason: (r.pending_reason as string | null) ?? null,
      startedAt: r.started_at as Date,
      queued: Number(r.queued),
      sent: Number(r.sent),
      failed: Number(r.failed),
      other: Number(r.other),
    }));
  }

  /** The send queue: entries queued, sending, failed or uncertain, the next due first. */
  async listQueue(limit = 100, counties?: readonly number[]): Promise<QueueItem[]> {
    const rows: Array<Record<string, unknown>> = await this.ds.query(
      `SELECT o.id, o.run_id, r.job, r.scope, r.period, o.round, o.part, o.channel, o.state, o.attempts, o.due_at,
              o.valid_until, o.last_error, r.pending_reason
       FROM outbox_message o JOIN job_run r ON r.id = o.run_id
       WHERE o.state IN ('queued', 'sending', 'failed', 'uncertain')
         AND ($2::int[] IS NULL OR r.county_id = ANY($2::int[]))
       ORDER BY o.due_at, o.id LIMIT $1`,
      [limit, counties ?? null],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      runId: Number(r.run_id),
      job: String(r.job),
      scope: String(r.scope),
      period: String(r.period),
      round: Number(r.round),
      part: Number(r.part),
      channel: String(r.channel),
      state: String(r.state),
      attempts: Number(r.attempts),
      dueAt: r.due_at as Date,
      validUntil: (r.valid_until as Date | null) ?? null,
      lastError: (r.last_error as string | null) ?? null,
      pendingReason: (r.pending_reason as string | null) ?? null,
    }));
  }

  /**
   * A run and its stored messages, part by part (text, file), when the run belongs to one of the
   * counties (undefined: any run). What the demo inbox and every sent message said. Null when absent.
   */
  async runMessages(runId: number, counties?: readonly number[]): Promise<{ run: RunHeader; parts: StoredPart[] } | null> {
    const [run]: Array<{ id: number; job: string; scope: string; period: string; state: string }> = await this.ds.query(
      `SELECT r.id, r.job, r.scope, r.period, r.state FROM job_run r
       WHERE r.id = $1 AND ($2::int[] IS NULL OR r.county_id = ANY($2::int[]))`,
      [runId, counties ?? null],
    );
    if (!run) return null;
    const rows: Array<Record<string, unknown>> = await this.ds.query(
      `SELECT id, round, part, channel, state, sent_at, payload ->> 'text' AS text, coalesce((payload ->> 'markdown')::boolean, false) AS markdown,
              payload -> 'file' ->> 'name' AS file_name, length(decode(payload -> 'file' ->> 'base64', 'base64')) AS file_bytes
       FROM outbox_message WHERE run_id = $1 ORDER BY round, recipient, part, id`,
      [runId],
    );
    return {
      run: { id: Number(run.id), job: run.job, scope: run.scope, period: run.period, state: run.state },
      parts: rows.map((r) => ({
        id: Number(r.id),
        round: Number(r.round),
        part: Number(r.part),
        channel: String(r.channel) as OutboxChannel,
        state: String(r.state),
        sentAt: (r.sent_at as Date | null) ?? null,
        text: String(r.text ?? ''),
        markdown: Boolean(r.markdown),
        file: r.file_name ? { name: String(r.file_name), bytes: Number(r.file_bytes) } : null,
      })),
    };
  }

  /** The file of a stored message part, when its run belongs to one of the counties (undefined: any). */
  async messageFile(partId: number, counties?: readonly number[]): Promise<{ name: string; bytes: Buffer } | null> {
    const [row]: Array<{ name: string | null; base64: string | null }> = await this.ds.query(
      `SELECT o.payload -> 'file' ->> 'name' AS name, o.payload -> 'file' ->> 'base64' AS base64
       FROM outbox_message o JOIN job_run r ON r.id = o.run_id
       WHERE o.id = $1 AND ($2::int[] IS NULL OR r.county_id = ANY($2::int[]))`,
      [partId, counties ?? null],
    );
    return row?.name && row.base64 ? { name: row.name, bytes: Buffer.from(row.base64, 'base64') } : null;
  }

  private async allCounties(): Promise<number[]> {
    return (await this.services.regions.counties()).map((c) => c.id).sort((a, b) => a - b);
  }
}

function reasonOf(waiting: ScopeRun['waiting']): string | undefined {
  const reasons = [...new Set(waiting.map((w) => w.reason))];
  return reasons.length > 0 ? reasons.join('；') : undefined;
}
