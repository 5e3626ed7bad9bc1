import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { SHARE_LOCK_KEY } from '../../src/services/share-counter.service';
import { dataDir, freePort, postmasterPid, waitFor } from '../support/processes';

const ROOT = path.resolve(__dirname, '../..');
const MAIN = path.join(ROOT, 'dist/src/main.js');

function startServer(env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string } {
  const child = spawn('node', [MAIN], { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return { child, output: () => out };
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, ms: Date.now() - t0 })));
}

/**
 * SIGTERM while a batch is stuck in PostgreSQL (the test holds the lock every batch needs):
 * kepubot spools the batch, stops in order within the limit, exits 0 and stops its embedded
 * PostgreSQL; the next start writes the spool back before anything else. The demo's own list of
 * the shares it sent is compared with the rows stored.
 */
describe('faults: SIGTERM while a batch is slow, then a restart', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const servers: ChildProcess[] = [];

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
    dir = dataDir();
    const { DATABASE_URL: _ignored, ...rest } = process.env;
    env = {
      ...rest,
      KEPUBOT_DATA_DIR: dir,
      EMBEDDED_PG_PORT: String(await freePort()),
      PORT: String(await freePort()),
      LOG_LEVEL: 'info',
      DEMO_MESSAGE_INTERVAL_MS: '50',
      DEMO_SHARE_LOG: path.join(dir, 'demo-shares.txt'),
      // The drill is about the live stream: no seeded quarter of history (faster start).
      DEMO_HISTORY_DAYS: '0',
      SHARE_WRITE_TIMEOUT_MS: '1500',
      SHUTDOWN_TIMEOUT_MS: '8000',
      SCHEDULER_ENABLED: 'false',
    };
  });

  afterAll(() => {
    for (const s of servers) if (s.exitCode === null) s.kill('SIGKILL');
    const pid = dir ? postmasterPid(dir) : 0;
    if (pid) process.kill(pid, 'SIGQUIT');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('loses no share, exits 0 in time and leaves no PostgreSQL running', async () => {
    const first = startServer(env);
    servers.push(first.child);
    await waitFor(() => (first.output().includes('kepubot is ready') ? true : undefined), `the server to start:\n${first.output()}`);
    const creds = JSON.parse(readFileSync(path.join(dir, 'embedded-postgres.json'), 'utf8'));
    // The demo's own database and spool (never the real ones).
    const url = `postgres://${creds.user}:${encodeURIComponent(creds.password)}@127.0.0.1:${creds.port}/kepubot_demo`;

    await waitFor(() => (existsSync(env.DEMO_SHARE_LOG!) ? true : undefined), 'the demo to share');
    // Every batch now waits for this lock: PostgreSQL is "slow".
    const blocker = new Client({ connectionString: url });
    blocker.on('error', () => undefined);
    await blocker.connect();
    await blocker.query('SELECT pg_advisory_lock($1)', [SHARE_LOCK_KEY]);
    const sharedBefore = readFileSync(env.DEMO_SHARE_LOG!, 'utf8').split('\n').filter(Boolean).length;
    await waitFor(
      () => (readFileSync(env.DEMO_SHARE_LOG!, 'utf8').split('\n').filter(Boolean).length >= sharedBefore + 10 ? true : undefined),
      'shares while the database is stuck',
    );

    const exited = exitOf(first.child);
    first.child.kill('SIGTERM');
    const { code, ms } = await exited;
    expect(code).toBe(0);
    expect(ms).toBeLessThan(8000 + 2000);
    await blocker.end().catch(() => undefined);
    expect(postmasterPid(dir)).toBe(0);
    const segments = readdirSync(path.join(dir, 'demo', 'spool')).filter((f) => f.endsWith('.jsonl'));
    expect(segments.length).toBeGreaterThan(0);
    expect(first.output()).toContain('shares stay in the spool until the next start');

    // The next start writes the spool back before counting anything new.
    const second = startServer({ ...env, DEMO_MESSAGE_INTERVAL_MS: '600000' });
    servers.push(second.child);
    await waitFor(() => (second.output().includes('kepubot is ready') ? true : undefined), `the restart:\n${second.output()}`);
    const out = second.output();
    expect(out.indexOf('shares spooled by an earlier run were written')).toBeGreaterThan(-1);
    expect(out.indexOf('shares spooled by an earlier run were written')).toBeLessThan(out.indexOf('bot scripts loaded'));

    const db = new Client({ connectionString: url });
    await db.connect();
    const sent = readFileSync(env.DEMO_SHARE_LOG!, 'utf8').split('\n').filter(Boolean);
    const { rows } = await db.query<{ message_id: string; n: number }>(
      'SELECT message_id, count(*)::int AS n FROM share_event WHERE message_id = ANY($1) GROUP BY message_id',
      [sent],
    );
    await db.end();
    expect(rows.every((r) => r.n === 1)).toBe(true);
    expect(rows.map((r) => r.message_id).sort()).toEqual([...new Set(sent)].sort());
    expect(readdirSync(path.join(dir, 'demo', 'spool')).filter((f) => f.endsWith('.jsonl'))).toEqual([]);

    // And it stops cleanly again, PostgreSQL last.
    const stopped = exitOf(second.child);
    second.child.kill('SIGTERM');
    const { code: code2 } = await stopped;
    expect(code2).toBe(0);
    expect(postmasterPid(dir)).toBe(0);
  }, 180_000);
});
