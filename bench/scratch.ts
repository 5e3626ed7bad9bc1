import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { openDatabaseServer } from '../src/db/embedded-postgres';
import { createPartitionSql, monthBounds, partitionName, PARTITIONED_TABLES } from '../src/db/partitioning';
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

/**
 * Creates the monthly partitions a bench part writes into (src/db/partitioning.ts) when its tables
 * are partitioned: the schema keeps only the current month and a few ahead, and the bench writes
 * the past (its statistics year, its counting day). Tables not (yet) partitioned are left alone.
 */
export async function ensureBenchPartitions(ds: DataSource, months: string[]): Promise<void> {
  for (const t of PARTITIONED_TABLES) {
    const [{ partitioned }]: Array<{ partitioned: boolean }> = await ds.query(
      `SELECT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass($1)) AS partitioned`,
      [t.table],
    );
    if (!partitioned) continue;
    for (const m of months) await ds.query(createPartitionSql(t, m));
  }
}

/**
 * Empties a month of a raw table: TRUNCATE of its partition when the table is partitioned by month,
 * else DELETE of the month's rows (on `day`).
 */
export async function clearMonth(ds: DataSource, table: string, month: string): Promise<void> {
  const [{ part }]: Array<{ part: string | null }> = await ds.query(`SELECT to_regclass($1)::text AS part`, [partitionName(table, month)]);
  if (part) await ds.query(`TRUNCATE "${partitionName(table, month)}"`);
  else {
    const { from, to } = monthBounds(month);
    await ds.query(`DELETE FROM "${table}" WHERE day >= $1 AND day < $2`, [from, to]);
  }
}
