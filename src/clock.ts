/** The source of "now": injected everywhere so tests never wait for time to pass. */
export interface Clock {
  now(): Date;
  /**
   * Resolves once `ms` of this clock's time have passed (at once when `signal` aborts).
   * Optional: a clock without it waits in real time (see `sleep`).
   */
  sleep?(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Waits in real time; resolves early (without an error) when `signal` aborts. */
function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Waits `ms` of the clock's time: the clock's own timer, or real time for a clock without one. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return clock.sleep ? clock.sleep(ms, signal) : realSleep(ms, signal);
}

export const systemClock: Clock = { now: () => new Date(), sleep: realSleep };

interface Sleeper {
  due: number;
  resolve: () => void;
}

/** A clock tests move by hand; its timers fire when `set` or `advance` reaches them, never by themselves. */
export class ManualClock implements Clock {
  private sleepers: Sleeper[] = [];
  private timerWaiters: Array<() => void> = [];

  constructor(private current: Date) {}

  now(): Date {
    return new Date(this.current.getTime());
  }

  set(to: Date): void {
    this.current = new Date(to.getTime());
    this.fire();
  }

  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
    this.fire();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const sleeper: Sleeper = {
        due: this.current.getTime() + Math.max(0, ms),
        resolve: () => {
          signal?.removeEventListener('abort', cancel);
          resolve();
        },
      };
      const cancel = (): void => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        sleeper.resolve();
      };
      signal?.addEventListener('abort', cancel, { once: true });
      this.sleepers.push(sleeper);
      const waiters = this.timerWaiters;
      this.timerWaiters = [];
      for (const w of waiters) w();
    });
  }

  /** How many sleeps are waiting for this clock to move. */
  get pendingTimers(): number {
    return this.sleepers.length;
  }

  /** Resolves as soon as at least one sleep waits for this clock (for tests that then advance it). */
  whenTimerPending(): Promise<void> {
    if (this.sleepers.length > 0) return Promise.resolve();
    return new Promise((resolve) => this.timerWaiters.push(resolve));
  }

  private fire(): void {
    const t = this.current.getTime();
    const due = this.sleepers.filter((s) => s.due <= t);
    this.sleepers = this.sleepers.filter((s) => s.due > t);
    for (const s of due) s.resolve();
  }
}
