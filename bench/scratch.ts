import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { openDatabaseServer } from '../src/db/embedded-postgres';
import { createLogger } from '../src/logger';

/**
 * A fresh database `<prefix>_<random>` on the server behind `adminUrl`, for one bench part: its
 * URL, and the admin connection that created it (still open: the part may use it and ends it).
 */
export async function createScratchDatabase(adminUrl: string, prefix: string): Promise<{ url: string; name: string; admin: Client }> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), name, admin };
}

/**
 * Runs one bench part on its own: on DATABASE_URL's server when set, otherwise on an embedded
 * PostgreSQL in a temporary directory, stopped and removed afterwards.
 */
export async function withBenchServer(part: (adminUrl: string) => Promise<void>): Promise<void> {
  let adminUrl = process.env.DATABASE_URL;
  let dataDir: string | null = null;
  let stopServer = async (): Promise<void> => undefined;
  if (!adminUrl) {
    dataDir = await mkdtemp(path.join(tmpdir(), 'kepubot-bench-'));
    const server = await openDatabaseServer({ dataDir, embeddedPort: 20000 + Math.floor(Math.random() * 20000) }, createLogger('warn'));
    adminUrl = server.url;
    stopServer = () => server.stop();
  }
  try {
    await part(adminUrl);
  } finally {
    await stopServer();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }
}
