import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { openDataSource } from '../../src/db/data-source';
import { createLogger, type Logger } from '../../src/logger';

/** A fresh PostgreSQL database of its own for one test file, migrated like production. */
export interface TestDatabase {
  url: string;
  ds: DataSource;
  close(): Promise<void>;
}

function adminUrl(): string {
  const url = process.env.KEPUBOT_TEST_ADMIN_URL;
  if (!url) throw new Error('KEPUBOT_TEST_ADMIN_URL is not set: run the tests through jest (global setup)');
  return url;
}

/** An empty PostgreSQL database of its own (no migrations run), dropped by `drop()`. */
export interface EmptyDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty database on the test PostgreSQL: nothing in it, not even the migrations table. */
export async function createEmptyDatabase(): Promise<EmptyDatabase> {
  const name = `kepubot_test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new Client({ connectionString: adminUrl() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** `log` receives failed queries (default: silent). */
export async function createTestDatabase(log: Logger = createLogger('silent')): Promise<TestDatabase> {
  const db = await createEmptyDatabase();
  const ds = await openDataSource({ url: db.url, poolSize: 10, log });
  return {
    url: db.url,
    ds,
    close: async () => {
      if (ds.isInitialized) await ds.destroy();
      await db.drop();
    },
  };
}
