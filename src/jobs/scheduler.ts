import schedule from 'node-schedule';
import type { Clock } from '../clock';
import type { AppConfig } from '../config';
import { JOB_NAMES } from '../domain/schedule';
import type { Logger } from '../logger';
import { isDatabaseUnavailable } from '../db/errors';
import type { JobRunner } from './runner';
import type { OutboxWorker } from './outbox';

/** How often pending runs (no recipient or channel yet) are planned again; the CLI also does it at once after `staff add`. */
export const RETRY_PENDING_MS = 5 * 60_000;

/** A county's stored rule is malformed: start-up stops naming it. */
export class ScheduleError extends Error {}

/** Housekeeping the scheduler runs at start and with every pending pass (deleting rows past their window). */
export type Housekeeping = (now: Date) => Promise<unknown>;

/**
 * Fires the jobs on node-schedule (Asia/Shanghai), catches up missed runs at start, plans pending
 * runs again and does the housekeeping (at start and every RETRY_PENDING_MS), and drains the send
 * queue. The job functions themselves take an instant, so tests call them directly.
 */
export class Scheduler {
  private readonly jobs: schedule.Job[] = [];
  private timer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private draining: Promise<void> | null = null;
  private retrying: Promise<void> | null = null;
  private tidying: Promise<void> | null = null;

  constructor(
    private readonly runner: JobRunner,
    private readonly worker: OutboxWorker,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly housekeeping: readonly Housekeeping[] = [],
  ) {}

  async start(): Promise<void> {
    const problems = await this.runner.ruleProblems();
    if (problems.length > 0) throw new ScheduleError(`定时任务配置有误 (invalid schedule):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    await this.worker.recover();
    await this.runner.retryPending(this.clock.now());
    await this.runner.catchUp(this.clock.now());
    await this.housekeep();
    for (const job of JOB_NAMES) {
      for (const [rule, countyIds] of await this.runner.countiesByRule(job)) {
        const scheduled = schedule.scheduleJob({ rule, tz: this.config.schedule.zone }, () => {
          this.runner
            .fire(job, countyIds, this.clock.now())
            .catch((err: unknown) => this.log.error({ err, job, rule }, 'scheduled job failed'));
        });
        // node-schedule answers null instead of throwing for a rule or zone it cannot use.
        if (!scheduled) throw new ScheduleError(`cannot schedule ${job} with rule "${rule}" in ${this.config.schedule.zone}`);
        this.jobs.push(scheduled);
      }
    }
    this.timer = setInterval(() => void this.drain(), 500);
    this.retryTimer = setInterval(() => {
      void this.retryPending();
      void this.housekeep();
    }, RETRY_PENDING_MS);
    this.log.info({ jobs: this.jobs.length }, 'scheduler started');
  }

  /** Sends what is due now, one message per tick, until nothing more may go. */
  drain(): Promise<void> {
    if (this.draining) return this.draining;
    this.draining = (async () => {
      try {
        for (let i = 0; i < 50; i++) {
          const r = await this.worker.tick(this.clock.now());
          if (r === 'idle' || r === 'throttled') break;
        }
      } catch (err) {
        // While PostgreSQL is away the queue waits (the database monitor says so once); other failures are errors.
        if (isDatabaseUnavailable(err)) this.log.debug({ err }, 'send queue waits for PostgreSQL');
        else this.log.error({ err }, 'send queue failed');
      } finally {
        this.draining = null;
      }
    })();
    return this.draining;
  }

  /** Plans pending runs again (one pass at a time). */
  retryPending(): Promise<void> {
    if (this.retrying) return this.retrying;
    this.retrying = (async () => {
      try {
        await this.runner.retryPending(this.clock.now());
      } catch (err) {
        if (isDatabaseUnavailable(err)) this.log.debug({ err }, 'pending job runs wait for PostgreSQL');
        else this.log.error({ err }, 'retrying pending job runs failed');
      } finally {
        this.retrying = null;
      }
    })();
    return this.retrying;
  }

  /** Runs the housekeeping once (one pass at a time); a failure is logged and waits for the next pass. */
  housekeep(): Promise<void> {
    if (this.tidying) return this.tidying;
    this.tidying = (async () => {
      try {
        for (const chore of this.housekeeping) await chore(this.clock.now());
      } catch (err) {
        if (isDatabaseUnavailable(err)) this.log.debug({ err }, 'housekeeping waits for PostgreSQL');
        else this.log.error({ err }, 'housekeeping failed');
      } finally {
        this.tidying = null;
      }
    })();
    return this.tidying;
  }

  async stop(): Promise<void> {
    for (const j of this.jobs) j.cancel();
    this.jobs.length = 0;
    if (this.timer) clearInterval(this.timer);
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.timer = null;
    this.retryTimer = null;
    await this.retrying;
    await this.tidying;
    await this.draining;
  }
}
