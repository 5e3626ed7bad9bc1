import { Client } from 'pg';
import type { Logger } from '../logger';

/**
 * The database the demo runs on, never the one real data uses: `demoUrl` (DEMO_DATABASE_URL)
 * when given, otherwise a database named after the real one with `_demo` appended on the same
 * server (the embedded PostgreSQL's `kepubot_demo`), created when missing. Logs which database,
 * never the credentials.
 */
export async function demoDatabaseUrl(realUrl: string, demoUrl: string | undefined, log: Logger): Promise<string> {
  if (demoUrl) {
    log.warn({ database: databaseName(demoUrl) }, 'demo mode: the demo county lives in DEMO_DATABASE_URL, not in the real database');
    return demoUrl;
  }
  const real = databaseName(realUrl);
  const name = `${real}_demo`.slice(0, 63);
  if (name === real) throw new Error('the demo database would be the real database: set DEMO_DATABASE_URL');
  const client = new Client({ connectionString: realUrl });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`).catch((err: { code?: string; message?: string }) => {
        // Created by another process at the same moment: fine.
        if (err.code === '42P04') return;
        throw new Error(
          `could not create the demo database "${name}" (${err.message ?? err.code}): create it, or set DEMO_DATABASE_URL to an empty database`,
        );
      });
      log.info({ database: name }, 'demo database created');
    }
  } finally {
    await client.end().catch(() => undefined);
  }
  log.warn({ database: name }, 'demo mode: the demo county lives in its own database, not in the real one');
  const url = new URL(realUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}

/** The database name of a postgres:// URL (no credentials). */
function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || 'postgres';
}

/**
 * Whether the real database has WeChat accounts added with `kepubot account add` (then kepubot
 * drives them instead of running the demo). Read without migrating: a database that was never
 * migrated has none.
 */
export async function hasAddedAccounts(realUrl: string): Promise<boolean> {
  const client = new Client({ connectionString: realUrl });
  await client.connect();
  try {
    const table = await client.query<{ t: string | null }>(`SELECT to_regclass('public.bot_account')::text AS t`);
    if (!table.rows[0]?.t) return false;
    const rows = await client.query(`SELECT 1 FROM bot_account WHERE source = 'db' AND removed_at IS NULL LIMIT 1`);
    return (rows.rowCount ?? 0) > 0;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The same question over an open, migrated DataSource (tests and the bench hand one in). */
export async function dataSourceHasAddedAccounts(ds: { query(sql: string): Promise<unknown[]> }): Promise<boolean> {
  const rows = await ds.query(`SELECT 1 FROM bot_account WHERE source = 'db' AND removed_at IS NULL LIMIT 1`);
  return rows.length > 0;
}
