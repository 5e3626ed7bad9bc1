import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { createEmptyDatabase, type EmptyDatabase } from '../support/db';
import { rmSync } from 'node:fs';
import { dataDir, freePort, waitFor } from '../support/processes';

const ROOT = path.resolve(__dirname, '../..');
const MAIN = path.join(ROOT, 'dist/src/main.js');
const CLI = path.join(ROOT, 'dist/src/cli.js');
const ACCOUNTS = ['工作号甲', '工作号乙', '工作号丙'];

interface Server {
  child: ChildProcess;
  port: number;
  output: () => string;
}

/** A kepubot server with a data directory (its spool) of its own, as on its own machine; the database is shared. */
async function startServer(env: NodeJS.ProcessEnv, dir: string): Promise<Server> {
  const port = await freePort();
  const child = spawn('node', [MAIN], {
    env: { ...env, PORT: String(port), KEPUBOT_DATA_DIR: dir },
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return { child, port, output: () => out };
}

/** The accounts a process says it drives (GET /healthz), or null when it does not answer. */
async function driving(server: Server): Promise<{ holder: string; accounts: string[] } | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${server.port}/healthz`, { signal: AbortSignal.timeout(2000) });
    const body = (await res.json()) as { bot: { holder: string; accounts: Array<{ name: string }> } };
    return { holder: body.bot.holder, accounts: body.bot.accounts.map((a) => a.name).sort() };
  } catch {
    return null;
  }
}

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('node', [CLI, ...args], { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    child.once('exit', (code) => resolve({ code, out }));
  });
}

/**
 * Issue 15 item 3: two kepubot processes on one database share the accounts through leases.
 * The accounts run on local mock puppets (WECHAT_ACCOUNT_PUPPET=mock, tests only). The process
 * holding them is killed with SIGKILL; the other takes every account over within 30 s (TTL 20 s
 * + one scan), and no account is ever driven by both processes at any moment sampled.
 */
describe('faults: kill -9 of the process holding the accounts', () => {
  let db: EmptyDatabase;
  let pg: Client;
  let env: NodeJS.ProcessEnv;
  const servers: Server[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
    db = await createEmptyDatabase();
    const { DATABASE_URL: _ignored, WECHATY_PUPPET_SERVICE_TOKEN: _t, WECHATY_PUPPET_SERVICE_ENDPOINT: _e, ...rest } = process.env;
    env = {
      ...rest,
      DATABASE_URL: db.url,
      LOG_LEVEL: 'info',
      SCHEDULER_ENABLED: 'false',
      WECHAT_ACCOUNT_PUPPET: 'mock',
    };
    dirs.push(dataDir('kepubot-takeover-cli-'), dataDir('kepubot-takeover-a-'), dataDir('kepubot-takeover-b-'));
    env.KEPUBOT_DATA_DIR = dirs[0];
    pg = new Client({ connectionString: db.url });
  });

  afterAll(async () => {
    for (const s of servers) if (s.child.exitCode === null) s.child.kill('SIGKILL');
    await pg?.end().catch(() => undefined);
    await db?.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('the other process takes over every account within 30 s; never one account in two processes', async () => {
    // The accounts, added with the CLI (the database is migrated by its first use).
    for (const name of ACCOUNTS) {
      const added = await runCli(
        ['account', 'add', name, '--endpoint', '127.0.0.1:9', '--token', `puppet_mock_token_${ACCOUNTS.indexOf(name)}_abcdef`],
        env,
      );
      expect(added).toMatchObject({ code: 0 });
      expect(added.out).toContain(`已添加微信号“${name}”`);
      expect(added.out).not.toContain('puppet_mock_token');
    }
    await pg.connect();

    const first = await startServer(env, dirs[1]);
    servers.push(first);
    await waitFor(() => (first.output().includes('kepubot is ready') ? true : undefined), `the first server:\n${first.output()}`);
    const a = await waitFor(async () => {
      const d = await driving(first);
      return d && d.accounts.length === ACCOUNTS.length ? d : undefined;
    }, 'the first process to drive every account');
    expect(a.accounts).toEqual([...ACCOUNTS].sort());

    const second = await startServer(env, dirs[2]);
    servers.push(second);
    await waitFor(() => (second.output().includes('kepubot is ready') ? true : undefined), `the second server:\n${second.output()}`);
    // Standing by: it holds nothing while the first is alive, and is ready (another live process holds logged-in accounts).
    const b = (await driving(second))!;
    expect(b.accounts).toEqual([]);
    await waitFor(async () => {
      const res = await fetch(`http://127.0.0.1:${second.port}/readyz`);
      return res.status === 200 ? true : undefined;
    }, 'the standby to be ready');

    // Sample both processes (what each drives) and the lease table while one dies and the other takes over.
    const overlaps: string[] = [];
    let sampling = true;
    let samples = 0;
    const sampler = (async () => {
      while (sampling) {
        const [x, y] = await Promise.all([driving(first), driving(second)]);
        samples++;
        const both = (x?.accounts ?? []).filter((n) => y?.accounts.includes(n));
        if (both.length > 0) overlaps.push(both.join(','));
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    await new Promise((r) => setTimeout(r, 2000));

    const killedAt = Date.now();
    first.child.kill('SIGKILL');
    const leases = async () =>
      (
        await pg.query<{ name: string; holder: string }>(
          `SELECT a.name, l.holder FROM bot_account_lease l JOIN bot_account a ON a.id = l.account_id
           WHERE l.heartbeat_at > now() - interval '20 seconds' ORDER BY a.name`,
        )
      ).rows;
    const takenOver = await waitFor(
      async () => {
        const rows = await leases();
        return rows.length === ACCOUNTS.length && rows.every((r) => r.holder === b.holder) ? rows : undefined;
      },
      'the second process to hold every account',
      45_000,
    );
    const tookMs = Date.now() - killedAt;
    expect(takenOver.map((r) => r.name)).toEqual([...ACCOUNTS].sort());
    expect(tookMs).toBeLessThan(30_000);
    // And it drives them (its runtimes are up): within the same 30 s.
    await waitFor(
      async () => ((await driving(second))?.accounts.length === ACCOUNTS.length ? true : undefined),
      'the second to drive them',
      30_000 - (Date.now() - killedAt),
    );
    await new Promise((r) => setTimeout(r, 1000));
    sampling = false;
    await sampler;
    expect(samples).toBeGreaterThan(20);
    expect(overlaps).toEqual([]);
    // Each account's fencing token moved on: the dead process's sends would be refused.
    const tokens = await pg.query<{ fencing_token: string }>(`SELECT fencing_token::text FROM bot_account_lease`);
    expect(tokens.rows.every((r) => Number(r.fencing_token) >= 2)).toBe(true);

    // The listing the operator reads names the new holder, and never the token.
    const list = await runCli(['account', 'list'], env);
    expect(list.code).toBe(0);
    for (const name of ACCOUNTS) expect(list.out).toMatch(new RegExp(`${name}\\t在线\\t${name}\\t`));
    expect(list.out).toContain(b.holder);
    expect(list.out).not.toContain('puppet_mock_token');
  }, 180_000);
});
