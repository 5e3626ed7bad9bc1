import type { DataSource } from 'typeorm';
import { OutageNotices } from '../bot/outage-notices';
import type { AppConfig } from '../config';
import { openDataSource } from '../db/data-source';
import { dataSourceHasAddedAccounts, demoDatabaseUrl, hasAddedAccounts } from '../db/demo-database';
import { openDatabaseServer, type DatabaseServer } from '../db/embedded-postgres';
import type { Logger } from '../logger';
import { DatabaseMonitor } from '../services/database-monitor';
import type { Ground, Started } from './parts';

/** The database part: the server (embedded or DATABASE_URL), the connections, their watch. */
export interface DatabasePart {
  dbServer: DatabaseServer;
  ds: DataSource;
  /** Whether this is the demo's own database (demo.ts decides when to ask for it). */
  demo: boolean;
  dbMonitor: DatabaseMonitor;
  /** The "database is down" notices the robot gives, reset when it is back. */
  outage: OutageNotices;
}

/** Opens the database and watches it; with resilience on, restarts the embedded PostgreSQL when it dies. */
export async function startDatabase(
  { config, log, clock, overrides }: Ground,
  parts: Started,
  demo: boolean | 'unless-accounts',
): Promise<DatabasePart> {
  const resilient = overrides.resilience !== false;
  const opened = await openDatabase(config, log, 'server', overrides.dataSource, demo);
  parts.dbServer = opened.dbServer;
  parts.ds = opened.ds;
  const dbMonitor = new DatabaseMonitor(opened.ds, clock, config.resilience.dbCheckIntervalMs, log.child({ component: 'database' }));
  parts.dbMonitor = dbMonitor;
  const outage = new OutageNotices();
  dbMonitor.onChange((h) => {
    if (h.up) outage.reset();
  });
  if (resilient) dbMonitor.start();
  if (resilient && opened.dbServer.mode !== 'external' && config.resilience.superviseEmbedded) {
    opened.dbServer.supervise(1000, (s) => {
      if (s.state === 'running') void dbMonitor.check();
    });
  }
  return { ...opened, dbMonitor, outage };
}

/**
 * Opens the database (DATABASE_URL, or the embedded PostgreSQL shared with other kepubot
 * processes) and brings the schema up to date; an open `existing` DataSource is used as it is.
 */
export async function openDatabase(
  config: AppConfig,
  log: Logger,
  role: 'server' | 'cli',
  existing?: DataSource,
  /** The demo's own database (db/demo-database.ts) instead of the real one; 'unless-accounts': unless accounts were added. */
  demo: boolean | 'unless-accounts' = false,
): Promise<{ dbServer: DatabaseServer; ds: DataSource; demo: boolean }> {
  if (existing) {
    return {
      dbServer: { url: '', mode: 'external', status: () => null, supervise: () => undefined, stop: async () => undefined },
      ds: existing,
      demo: demo === true || (demo === 'unless-accounts' && !(await dataSourceHasAddedAccounts(existing))),
    };
  }
  const dbServer = await openDatabaseServer(config.database, log, role);
  try {
    const isDemo = demo === 'unless-accounts' ? !(await hasAddedAccounts(dbServer.url)) : demo;
    const url = isDemo ? await demoDatabaseUrl(dbServer.url, config.database.demoUrl, log) : dbServer.url;
    const ds = await openDataSource({ url, poolSize: role === 'cli' ? 2 : config.database.poolSize, log });
    log.info({ database: dbServer.mode }, 'database ready, migrations applied');
    return { dbServer, ds, demo: isDemo };
  } catch (err) {
    await dbServer.stop();
    throw err;
  }
}
