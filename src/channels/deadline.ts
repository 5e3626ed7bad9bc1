import { sleep, type Clock } from '../clock';

/** What `answerWithin` gives the caller: the value in time, or nothing (it went to `late`). */
export type WithinDeadline<T> = { inTime: true; value: T } | { inTime: false };

/** Where an answer that missed the deadline goes. */
export interface LateAnswer<T> {
  /** Called with the value once it is ready. */
  send(value: T): Promise<void>;
  /** Called when the work or the late send failed after the deadline. */
  failed(err: unknown): void;
}

/**
 * Answer within the deadline or send later: races `work` against `ms` of the clock's time. In
 * time, its value (or its error); too slow, `{ inTime: false }` at once while the work goes on and
 * its value is handed to `late.send`. The timer is the injected clock's, so tests drive it.
 */
export async function answerWithin<T>(clock: Clock, ms: number, work: Promise<T>, late: LateAnswer<T>): Promise<WithinDeadline<T>> {
  const timer = new AbortController();
  const deadline = sleep(clock, ms, timer.signal).then(() => 'late' as const);
  let first: { value: T } | 'late';
  try {
    first = await Promise.race([work.then((value) => ({ value })), deadline]);
  } finally {
    timer.abort();
  }
  if (first !== 'late') return { inTime: true, value: first.value };
  work.then((value) => late.send(value)).catch((err: unknown) => late.failed(err));
  return { inTime: false };
}
