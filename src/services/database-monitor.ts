import type { DataSource } from 'typeorm';
import type { Clock } from '../clock';
import type { Logger } from '../logger';

/** Whether PostgreSQL answers, and since when. */
export interface DatabaseHealth {
  up: boolean;
  since: Date;
  /** Why the last check failed (an error message, no query or parameters). */
  lastError: string | null;
}

/**
 * Checks PostgreSQL every few seconds (SELECT 1 with a time limit) and reports changes, so
 * /readyz, the outage notices and the operator's alert all see the same truth.
 */
export class DatabaseMonitor {
  private health: DatabaseHealth;
  private timer: NodeJS.Timeout | null = null;
  private checking: Promise<boolean> | null = null;
  private readonly listeners: Array<(h: DatabaseHealth) => void> = [];

  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {
    this.health = { up: true, since: clock.now(), lastError: null };
  }

  status(): DatabaseHealth {
    return { ...this.health };
  }

  /** Calls `listener` after every check with whether PostgreSQL answered. */
  onCheck(listener: (up: boolean) => void): void {
    this.checkListeners.push(listener);
  }

  private readonly checkListeners: Array<(up: boolean) => void> = [];

  /** Calls `listener` on every change between up and down. */
  onChange(listener: (h: DatabaseHealth) => void): void {
    this.listeners.push(listener);
  }

  start(): void {
    this.timer = setInterval(() => void this.check(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Checks now; resolves to whether PostgreSQL answered. */
  check(): Promise<boolean> {
    if (this.checking) return this.checking;
    this.checking = (async () => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          this.ds.query('SELECT 1'),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('PostgreSQL did not answer within 3 s')), 3000);
          }),
        ]);
        this.set(true, null);
        for (const l of this.checkListeners) l(true);
        return true;
      } catch (err) {
        this.set(false, err instanceof Error ? err.message.slice(0, 200) : String(err));
        for (const l of this.checkListeners) l(false);
        return false;
      } finally {
        if (timer) clearTimeout(timer);
        this.checking = null;
      }
    })();
    return this.checking;
  }

  private set(up: boolean, lastError: string | null): void {
    const changed = up !== this.health.up;
    this.health = { up, since: changed ? this.clock.now() : this.health.since, lastError };
    if (!changed) return;
    if (up) this.log.info('PostgreSQL answers again');
    else this.log.error({ reason: lastError }, 'PostgreSQL does not answer');
    for (const l of this.listeners) l(this.status());
  }
}
