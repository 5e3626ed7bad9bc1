import { Writable } from 'node:stream';
import { SHUTDOWN, stopInOrder, type StopStep } from '../../src/compose/shutdown';
import { createLogger } from '../../src/logger';
import { createTestDatabase } from '../support/db';

/** A logger whose lines the test reads. */
function capture() {
  const lines: Array<{ level: number; msg: string; step?: string }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { log: createLogger('info', 'kepubot', stream), lines };
}

describe('stopping in order', () => {
  it('stops intake first, then the shares, the send queue, HTTP and the database, the embedded PostgreSQL last', () => {
    expect(SHUTDOWN.map((s) => s.name)).toEqual([
      'demo traffic',
      'wechat alerts',
      'speakers',
      'coverage',
      'wechat accounts',
      'messages in hand',
      'shares',
      'send queue',
      'backup',
      'http',
      'database monitor',
      'database connections',
      'embedded PostgreSQL',
    ]);
  });

  it('gives intake a third of SHUTDOWN_TIMEOUT_MS, and the embedded PostgreSQL two seconds past it', () => {
    const within = Object.fromEntries(SHUTDOWN.map((s) => [s.name, s.within(9000)]));
    expect(within).toMatchObject({
      'messages in hand': 3000,
      shares: 8500,
      http: 8700,
      'database connections': 9000,
      'embedded PostgreSQL': 11000,
    });
  });

  it('logs a step that fails or takes too long, and still runs the next ones', async () => {
    const { log, lines } = capture();
    const ran: string[] = [];
    let release = (): void => undefined;
    const steps: StopStep[] = [
      { name: 'fails', within: () => 1000, stop: () => Promise.reject(new Error('boom')) },
      {
        name: 'throws',
        within: () => 1000,
        stop: () => {
          throw new Error('at once');
        },
      },
      { name: 'hangs', within: () => 50, stop: () => new Promise<void>((resolve) => (release = resolve)) },
      { name: 'last', within: () => 1000, stop: () => void ran.push('last') },
    ];
    const t0 = Date.now();
    await stopInOrder(steps, {}, 1000, log, true);
    release();
    expect(ran).toEqual(['last']);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(lines.map((l) => [l.level, l.step, l.msg])).toEqual([
      [50, 'fails', 'error while stopping'],
      [50, 'throws', 'error while stopping'],
      [40, 'hangs', 'stopping took too long: going on without waiting for it'],
    ]);
  });

  it('skips the parts that never started, and leaves a DataSource it was handed open', async () => {
    const db = await createTestDatabase();
    try {
      const { log, lines } = capture();
      await stopInOrder(SHUTDOWN, { ds: db.ds }, 1000, log, false);
      expect(db.ds.isInitialized).toBe(true);
      expect(await db.ds.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
      expect(lines).toEqual([]);
    } finally {
      await db.close();
    }
  });
});
