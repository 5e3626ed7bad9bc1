import { answerWithin } from '../../src/channels/deadline';
import { ManualClock, sleep, systemClock } from '../../src/clock';

const NOW = new Date('2026-11-22T02:00:00Z');

/** A promise the test settles by hand. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('answer within the deadline or send later, on the injected clock', () => {
  it('gives the value when the work finishes first, and leaves no timer behind', async () => {
    const clock = new ManualClock(NOW);
    const late = { send: jest.fn(async () => undefined), failed: jest.fn() };
    await expect(answerWithin(clock, 5000, Promise.resolve('好'), late)).resolves.toEqual({ inTime: true, value: '好' });
    expect(clock.pendingTimers).toBe(0);
    expect(late.send).not.toHaveBeenCalled();
  });

  it('passes on an error that comes before the deadline', async () => {
    const clock = new ManualClock(NOW);
    await expect(
      answerWithin(clock, 5000, Promise.reject(new Error('boom')), { send: async () => undefined, failed: () => undefined }),
    ).rejects.toThrow('boom');
  });

  it('answers "late" once the clock passes the deadline, then hands the value to send', async () => {
    const clock = new ManualClock(NOW);
    const work = deferred<string>();
    const sent = deferred<string>();
    const outcome = answerWithin(clock, 5000, work.promise, { send: async (v) => sent.resolve(v), failed: (e) => sent.reject(e) });
    await clock.whenTimerPending();
    clock.advance(4999);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(1);
    await expect(outcome).resolves.toEqual({ inTime: false });
    work.resolve('迟到的回答');
    await expect(sent.promise).resolves.toBe('迟到的回答');
  });

  it('reports a failure after the deadline to failed()', async () => {
    const clock = new ManualClock(NOW);
    const work = deferred<string>();
    const failed = deferred<unknown>();
    const outcome = answerWithin(clock, 10, work.promise, { send: async () => undefined, failed: (e) => failed.resolve(e) });
    await clock.whenTimerPending();
    clock.advance(10);
    await expect(outcome).resolves.toEqual({ inTime: false });
    work.reject(new Error('too late and broken'));
    await expect(failed.promise).resolves.toEqual(new Error('too late and broken'));
  });

  it('the clock’s sleep ends early when aborted; the system clock has a real-time sleep', async () => {
    const clock = new ManualClock(NOW);
    const stop = new AbortController();
    const slept = sleep(clock, 60_000, stop.signal);
    expect(clock.pendingTimers).toBe(1);
    stop.abort();
    await slept;
    expect(clock.pendingTimers).toBe(0);
    await expect(sleep(systemClock, 0)).resolves.toBeUndefined();
    await expect(sleep({ now: () => NOW }, 0)).resolves.toBeUndefined();
  });
});
