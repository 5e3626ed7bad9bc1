import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from 'pg';
import lockfile from 'proper-lockfile';
import type { Logger } from '../logger';

function execFileAsync(
  cmd: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; maxBuffer?: number } = {},
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { ...options, encoding: 'utf8' }, (err, stdout, stderr) =>
      err ? reject(Object.assign(err, { stderr })) : resolve({ stdout, stderr }),
    );
  });
}

/** The embedded PostgreSQL's state, for /readyz and the log. */
export interface EmbeddedStatus {
  state: 'running' | 'restarting' | 'stopped';
  /** Restarts after it died, since this process started. */
  restarts: number;
  lastError: string | null;
  /** Whether this process is the one that stops it when nobody else uses it. */
  owner: boolean;
}

/** Where kepubot's database lives, and what this process must do about it. */
export interface DatabaseServer {
  url: string;
  /** 'external': DATABASE_URL; 'embedded': started here; 'shared': an embedded server another kepubot process runs. */
  mode: 'external' | 'embedded' | 'shared';
  /** The embedded server's state; null for an external database. */
  status(): EmbeddedStatus | null;
  /** Watches the embedded PostgreSQL and restarts it (with backoff) when it dies. Long-running processes only. */
  supervise(intervalMs: number, onChange?: (status: EmbeddedStatus) => void): void;
  /**
   * Leaves the database: stops the embedded PostgreSQL only when this process owns it and no
   * other kepubot process uses it; otherwise hands ownership to a process that does.
   */
  stop(): Promise<void>;
}

interface Credentials {
  user: string;
  password: string;
  port: number;
  database: string;
}

/** Who uses the embedded database: one file per kepubot process under data/embedded-postgres.users/. */
interface Lease {
  pid: number;
  role: 'server' | 'cli';
  /** When the process started (processStart), to tell it from a later process with the same pid. */
  start?: string | null;
}

const DATABASE = 'kepubot';

function urlOf(c: Credentials, database = c.database): string {
  return `postgres://${encodeURIComponent(c.user)}:${encodeURIComponent(c.password)}@127.0.0.1:${c.port}/${database}`;
}

async function canConnect(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * When process `pid` started (Linux: /proc/<pid>/stat field 22, in clock ticks since boot), so a
 * lease or owner file is not mistaken for a later process that got the same pid; null elsewhere.
 */
function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** The kepubot process `pid` that started at `start` (when known) is still running. */
function sameProcessAlive(pid: number, start?: string | null): boolean {
  if (!alive(pid)) return false;
  if (!start) return true;
  const now = processStart(pid);
  return now === null || now === start;
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Exponential backoff with jitter: 0.5 s, 1 s, 2 s ... capped at 15 s. */
function backoff(attempt: number): number {
  const exp = Math.min(15_000, 500 * 2 ** Math.min(attempt, 10));
  return Math.round(exp / 2 + Math.random() * (exp / 2));
}

/**
 * As root, PostgreSQL runs as the `postgres` system user, which must be able to reach the data
 * directory: give every ancestor that lacks it the search (x) permission for others.
 */
async function letPostgresUserReach(dir: string, log: Logger): Promise<void> {
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    const s = await stat(d);
    if ((s.mode & 0o001) === 0) {
      await chmod(d, s.mode | 0o001);
      log.warn({ dir: d }, 'gave others search permission on this directory so PostgreSQL (user postgres) can reach its data');
    }
    if (path.dirname(d) === d) break;
  }
}

/**
 * The first initdb, through the embedded-postgres package (it creates the `postgres` system user
 * when run as root and handles the password file). It runs in a child process because importing
 * embedded-postgres installs exit and signal hooks that would stop PostgreSQL and end the process
 * on SIGTERM before kepubot could shut down in order.
 */
async function initialise(pgDir: string, c: Credentials, isRoot: boolean): Promise<void> {
  const script = `
    const { default: EmbeddedPostgres } = await import(process.env.KEPUBOT_PG_MODULE);
    const o = JSON.parse(process.env.KEPUBOT_PG_INIT);
    await new EmbeddedPostgres({ ...o, onLog: () => {}, onError: (e) => console.error(String(e)) }).initialise();
    process.exit(0);`;
  const options = {
    databaseDir: pgDir,
    port: c.port,
    user: c.user,
    password: c.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
  };
  await execFileAsync(process.execPath, ['--input-type=module', '-e', script], {
    env: {
      ...process.env,
      KEPUBOT_PG_INIT: JSON.stringify(options),
      KEPUBOT_PG_MODULE: pathToFileURL(require.resolve('embedded-postgres')).href,
    },
    maxBuffer: 16 * 1024 * 1024,
  }).catch((err: Error & { stderr?: string }) => {
    throw new Error(`initialising the embedded PostgreSQL failed: ${err.stderr || err.message}`);
  });
}

/**
 * pg_ctl from the embedded-postgres binaries for this platform (where that package's own index
 * points: ../native/bin next to its dist/). Resolved, not imported: the package is ESM-only.
 */
function pgCtlPath(): string {
  const index = require.resolve(`@embedded-postgres/${os.platform()}-${os.arch()}`);
  return path.resolve(path.dirname(index), '..', 'native', 'bin', 'pg_ctl');
}

async function postgresIds(isRoot: boolean): Promise<{ uid?: number; gid?: number }> {
  if (!isRoot) return {};
  const uid = Number((await execFileAsync('id', ['-u', 'postgres'])).stdout.trim());
  const gid = Number((await execFileAsync('id', ['-g', 'postgres'])).stdout.trim());
  return { uid, gid };
}

/** Runs pg_ctl in a session of its own, so a Ctrl-C in the terminal never reaches PostgreSQL. */
function pgCtl(bin: string, args: string[], ids: { uid?: number; gid?: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { ...ids, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`pg_ctl ${args[0]} exited with ${code}: ${stderr.trim()}`))));
  });
}

/**
 * Returns the database kepubot should use: DATABASE_URL when set; otherwise the embedded
 * PostgreSQL under dataDir, started here or shared with the kepubot process that runs it.
 *
 * Started with pg_ctl in a session of its own, the embedded PostgreSQL outlives the process
 * that started it; each kepubot process using it keeps a lease file, and start/stop decisions
 * are taken under a lock file, so a server and CLI commands, started in any order, never leave
 * each other without a database.
 */
export async function openDatabaseServer(
  options: { url?: string; dataDir: string; embeddedPort: number },
  log: Logger,
  role: Lease['role'] = 'server',
): Promise<DatabaseServer> {
  if (options.url) {
    return { url: options.url, mode: 'external', status: () => null, supervise: () => undefined, stop: async () => undefined };
  }
  const dataDir = path.resolve(options.dataDir);
  const pgDir = path.join(dataDir, 'postgres');
  const credentialsFile = path.join(dataDir, 'embedded-postgres.json');
  const ownerFile = path.join(dataDir, 'embedded-postgres.owner');
  const leaseDir = path.join(dataDir, 'embedded-postgres.users');
  const myLease = path.join(leaseDir, `${process.pid}.json`);
  await mkdir(leaseDir, { recursive: true, mode: 0o755 });
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const pgCtlBin = pgCtlPath();

  const withLock = async <T>(fn: () => Promise<T>): Promise<T> => {
    const release = await lockfile.lock(dataDir, {
      lockfilePath: path.join(dataDir, 'embedded-postgres.lock'),
      stale: 60_000,
      retries: { retries: 600, minTimeout: 50, maxTimeout: 200 },
      // The default throws from a timer and would kill the process; a lost lock is logged.
      onCompromised: (err) => log.error({ err }, 'the embedded PostgreSQL lock was lost while it was held'),
    });
    try {
      return await fn();
    } finally {
      await release().catch(() => undefined);
    }
  };
  const postmasterPid = (): number => {
    try {
      return Number(readFileSync(path.join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      return 0;
    }
  };
  const running = (): boolean => alive(postmasterPid());
  const myStart = processStart(process.pid);
  /** The owner file holds "pid" or "pid:start". */
  const readOwnerEntry = async (): Promise<{ pid: number; start: string | null }> => {
    const [pid, start] = (await readFile(ownerFile, 'utf8').catch(() => '0')).trim().split(':');
    return { pid: Number(pid) || 0, start: start ?? null };
  };
  const readOwner = async (): Promise<number> => (await readOwnerEntry()).pid;
  const ownerAlive = async (): Promise<boolean> => {
    const o = await readOwnerEntry();
    return sameProcessAlive(o.pid, o.start);
  };
  const writeOwner = (pid: number, start: string | null): Promise<void> => writeFile(ownerFile, start ? `${pid}:${start}` : String(pid));
  const otherLeases = async (): Promise<Lease[]> => {
    const out: Lease[] = [];
    for (const name of await readdir(leaseDir).catch(() => [] as string[])) {
      const pid = Number(name.replace(/\.json$/, ''));
      if (pid === process.pid) continue;
      const lease = JSON.parse(await readFile(path.join(leaseDir, name), 'utf8').catch(() => '{}')) as Partial<Lease>;
      if (!sameProcessAlive(pid, lease.start)) {
        await rm(path.join(leaseDir, name), { force: true });
        continue;
      }
      out.push({ pid, role: lease.role ?? 'cli', start: lease.start ?? null });
    }
    return out;
  };
  const startPostgres = async (c: Credentials): Promise<void> => {
    await pgCtl(
      pgCtlBin,
      ['start', '-D', pgDir, '-w', '-t', '120', '-s', '-l', path.join(pgDir, 'server.log'), '-o', `-p ${c.port}`],
      await postgresIds(isRoot),
    );
    await writeOwner(process.pid, myStart);
  };

  const status: EmbeddedStatus = { state: 'running', restarts: 0, lastError: null, owner: false };

  const credentials = await withLock(async () => {
    await writeFile(myLease, JSON.stringify({ pid: process.pid, role, start: myStart }));
    let c: Credentials;
    if (existsSync(credentialsFile)) {
      c = JSON.parse(await readFile(credentialsFile, 'utf8')) as Credentials;
    } else {
      c = { user: 'kepubot', password: randomBytes(18).toString('base64url'), port: options.embeddedPort, database: DATABASE };
    }
    if (running() && (await canConnect(urlOf(c, 'postgres')))) {
      if (!(await ownerAlive())) await writeOwner(process.pid, myStart);
      status.owner = (await readOwner()) === process.pid;
      log.info({ dataDir, port: c.port }, 'using the embedded PostgreSQL another kepubot process runs');
      return c;
    }
    if (isRoot) await letPostgresUserReach(pgDir, log);
    if (!existsSync(path.join(pgDir, 'PG_VERSION'))) {
      log.info({ pgDir }, 'initialising the embedded PostgreSQL (first start)');
      await initialise(pgDir, c, isRoot);
      await writeFile(credentialsFile, JSON.stringify(c, null, 2), { mode: 0o600 });
      await chmod(credentialsFile, 0o600);
    }
    await startPostgres(c);
    status.owner = true;
    log.info({ pgDir, port: c.port }, 'embedded PostgreSQL started');
    return c;
  });

  const admin = new Client({ connectionString: urlOf(credentials, 'postgres') });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [credentials.database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${credentials.database}`);
  } catch (err) {
    // Another process may have created it at the same moment.
    if ((err as { code?: string }).code !== '42P04') throw err;
  } finally {
    await admin.end();
  }

  let timer: NodeJS.Timeout | null = null;
  let stopping = false;
  let attempt = 0;
  let nextTry = 0;
  let restarting = false;
  let checking: Promise<void> | null = null;

  return {
    url: urlOf(credentials),
    mode: status.owner ? 'embedded' : 'shared',
    status: () => ({ ...status }),
    supervise(intervalMs, onChange) {
      const check = async (): Promise<void> => {
        if (stopping || checking) return;
        checking = (async () => {
          await checkOnce();
        })().finally(() => (checking = null));
        await checking;
      };
      const checkOnce = async (): Promise<void> => {
        if (stopping || restarting) return;
        if (running()) {
          if (status.state !== 'running') {
            status.state = 'running';
            onChange?.({ ...status });
          }
          return;
        }
        if (Date.now() < nextTry) return;
        restarting = true;
        if (status.state === 'running') {
          status.state = 'restarting';
          log.error('the embedded PostgreSQL is not running: restarting it');
          onChange?.({ ...status });
        }
        try {
          let started = false;
          await withLock(async () => {
            // stop() may have taken the lock first: then this process is leaving and must not start it again.
            if (stopping || running()) return;
            await startPostgres(credentials);
            started = true;
          });
          if (!started) return;
          status.owner = true;
          status.restarts++;
          status.state = 'running';
          status.lastError = null;
          attempt = 0;
          log.warn({ restarts: status.restarts }, 'the embedded PostgreSQL was restarted');
          onChange?.({ ...status });
        } catch (err) {
          status.lastError = err instanceof Error ? err.message.slice(0, 300) : String(err);
          const delay = backoff(attempt++);
          nextTry = Date.now() + delay;
          log.error({ retryInMs: delay, reason: status.lastError }, 'restarting the embedded PostgreSQL failed; retrying');
        } finally {
          restarting = false;
        }
      };
      timer = setInterval(() => void check(), intervalMs);
      timer.unref();
    },
    async stop() {
      stopping = true;
      if (timer) clearInterval(timer);
      // A restart in progress finishes (or gives up) before this process decides about the database.
      await checking?.catch(() => undefined);
      await withLock(async () => {
        await rm(myLease, { force: true });
        const owner = await readOwner();
        if (owner !== process.pid && (await ownerAlive())) return;
        const others = await otherLeases();
        if (others.length > 0) {
          const heir = others.find((l) => l.role === 'server') ?? others[0];
          await writeOwner(heir.pid, heir.start ?? null);
          log.info({ heir: heir.pid }, 'the embedded PostgreSQL stays up: another kepubot process uses it');
          return;
        }
        if (running()) {
          await pgCtl(pgCtlBin, ['stop', '-D', pgDir, '-m', 'fast', '-w', '-t', '60', '-s'], await postgresIds(isRoot));
          log.info('embedded PostgreSQL stopped');
        }
        await rm(ownerFile, { force: true });
        status.state = 'stopped';
      });
    },
  };
}

/**
 * The kepubot server processes (lease role 'server') using the embedded PostgreSQL under
 * dataDir, still running: what `kepubot restore` must not pull the database from under.
 */
export async function embeddedServerProcesses(dataDir: string): Promise<number[]> {
  const leaseDir = path.join(path.resolve(dataDir), 'embedded-postgres.users');
  const out: number[] = [];
  for (const name of await readdir(leaseDir).catch(() => [] as string[])) {
    const pid = Number(name.replace(/\.json$/, ''));
    if (pid === process.pid) continue;
    const lease = JSON.parse(await readFile(path.join(leaseDir, name), 'utf8').catch(() => '{}')) as Partial<Lease>;
    if (lease.role === 'server' && sameProcessAlive(pid, lease.start)) out.push(pid);
  }
  return out;
}
