import type { DataSource } from 'typeorm';
import { createDataSource } from '../../src/db/data-source';
import { MIGRATIONS } from '../../src/db/migrations';
import { createLogger } from '../../src/logger';
import { createEmptyDatabase, type EmptyDatabase } from '../support/db';

/**
 * The migrations are the schema: on an empty database they must build exactly what the entities
 * describe, and every `down` must take it back to nothing.
 */

const MIGRATIONS_TABLE = 'typeorm_migrations';

async function open(db: EmptyDatabase, synchronize = false): Promise<DataSource> {
  const ds = createDataSource({ url: db.url, poolSize: 2, log: createLogger('silent'), synchronize });
  await ds.initialize();
  return ds;
}

/** The SQL TypeORM would run to bring the schema in line with the entities. */
async function pendingSql(ds: DataSource): Promise<string[]> {
  const sql = await ds.driver.createSchemaBuilder().log();
  return sql.upQueries.map((q) => q.query);
}

/**
 * Every column, constraint and index of the user tables, one line each, sorted. A partitioned
 * table (relkind 'p') reads as the table its entity describes; its partitions (monthly, made by
 * the migrations and the partition keeper, src/db/partitioning.ts) are not entities and are left out.
 */
async function catalog(ds: DataSource): Promise<string[]> {
  const lines: string[] = [];
  const columns: Array<{ t: string; col: string; type: string; nn: boolean; def: string | null }> = await ds.query(
    `SELECT c.relname AS t, a.attname AS col, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS nn,
            pg_get_expr(d.adbin, d.adrelid) AS def
     FROM pg_attribute a
     JOIN pg_class c ON c.oid = a.attrelid
     JOIN pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped AND c.relname <> $1`,
    [MIGRATIONS_TABLE],
  );
  for (const r of columns) lines.push(`column ${r.t}.${r.col} ${r.type} ${r.nn ? 'NOT NULL' : 'NULL'} ${r.def ?? ''}`.trim());
  const constraints: Array<{ t: string; name: string; def: string }> = await ds.query(
    `SELECT c.relname AS t, k.conname AS name, pg_get_constraintdef(k.oid) AS def
     FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND NOT c.relispartition AND c.relname <> $1`,
    [MIGRATIONS_TABLE],
  );
  for (const r of constraints) lines.push(`constraint ${r.t} ${r.name} ${r.def}`);
  const indexes: Array<{ def: string }> = await ds.query(
    `SELECT x.indexdef AS def FROM pg_indexes x JOIN pg_class c ON c.relname = x.tablename AND c.relnamespace = 'public'::regnamespace
     WHERE x.schemaname = 'public' AND NOT c.relispartition AND x.tablename <> $1`,
    [MIGRATIONS_TABLE],
  );
  // A partitioned table's index reads `ON ONLY <table>`: the same index as on a plain table.
  for (const r of indexes) lines.push(`index ${r.def.replace(' ON ONLY ', ' ON ')}`);
  return lines.sort();
}

/** Whatever of ours is left in the database: relations, types, functions (the migrations table aside). */
async function leftovers(ds: DataSource): Promise<string[]> {
  const relations: Array<{ name: string }> = await ds.query(
    `SELECT c.relkind::text || ' ' || c.relname AS name
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_index i ON i.indexrelid = c.oid
     LEFT JOIN pg_class owner ON owner.oid = i.indrelid
     WHERE n.nspname = 'public'
       AND c.relname NOT IN ($1, $2)
       AND coalesce(owner.relname, '') <> $1`,
    [MIGRATIONS_TABLE, `${MIGRATIONS_TABLE}_id_seq`],
  );
  const types: Array<{ name: string }> = await ds.query(
    `SELECT 'type ' || t.typname AS name FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
     WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'r', 'm')`,
  );
  const functions: Array<{ name: string }> = await ds.query(
    `SELECT 'function ' || p.proname AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'`,
  );
  return [...relations, ...types, ...functions].map((r) => r.name).sort();
}

async function executedCount(ds: DataSource): Promise<number> {
  const [row]: Array<{ n: number }> = await ds.query(`SELECT count(*)::int AS n FROM ${MIGRATIONS_TABLE}`);
  return row.n;
}

/** Undoes every executed migration, newest first, checking each one leaves the record. */
async function downToEmpty(ds: DataSource): Promise<void> {
  for (let executed = await executedCount(ds); executed > 0; executed--) {
    await ds.undoLastMigration({ transaction: 'each' });
    expect(await executedCount(ds)).toBe(executed - 1);
  }
}

describe('migrations', () => {
  let db: EmptyDatabase;
  let ds: DataSource;
  let entitySchema: string[];

  beforeAll(async () => {
    // What the entities alone describe: a second empty database built by TypeORM's synchronize.
    const reference = await createEmptyDatabase();
    try {
      const refDs = await open(reference, true);
      entitySchema = await catalog(refDs);
      await refDs.destroy();
    } finally {
      await reference.drop();
    }
    db = await createEmptyDatabase();
    ds = await open(db);
  });

  afterAll(async () => {
    if (ds?.isInitialized) await ds.destroy();
    await db?.drop();
  });

  test('the database starts empty', async () => {
    const tables: unknown[] = await ds.query(
      `SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'`,
    );
    expect(tables).toEqual([]);
    expect(entitySchema.length).toBeGreaterThan(100);
  });

  test('every migration up: the schema is exactly the entities', async () => {
    const applied = await ds.runMigrations({ transaction: 'each' });
    expect(applied.map((m) => m.name)).toEqual(MIGRATIONS.map((m) => new m().name));
    expect(await pendingSql(ds)).toEqual([]);
    expect(await catalog(ds)).toEqual(entitySchema);
  });

  test('every migration down: nothing left but the empty migrations table', async () => {
    await downToEmpty(ds);
    expect(await executedCount(ds)).toBe(0);
    expect(await leftovers(ds)).toEqual([]);
  });

  test('up again after down: the same schema', async () => {
    const applied = await ds.runMigrations({ transaction: 'each' });
    expect(applied).toHaveLength(MIGRATIONS.length);
    expect(await pendingSql(ds)).toEqual([]);
    expect(await catalog(ds)).toEqual(entitySchema);
  });

  test('a database migrated before station_period was added to the summaries migration gets the table, filled', async () => {
    // Back to just after Summaries1764400000000, as a database that ran its first version left it.
    const summaries = MIGRATIONS.findIndex((m) => new m().name === 'Summaries1764400000000');
    expect(summaries).toBeGreaterThan(0);
    while ((await executedCount(ds)) > summaries + 1) await ds.undoLastMigration({ transaction: 'each' });
    await ds.query(`DROP TABLE station_period`);
    await ds.query(`INSERT INTO region (id, name, level) VALUES (1, '旧旗', 'county')`);
    await ds.query(`INSERT INTO station (id, name, county_id) VALUES (10, '旧站甲', 1), (11, '旧站乙', 1)`);
    await ds.query(
      `INSERT INTO informant_period (informant_id, kind, period_start, station_id, effective_shares) VALUES
         (1, 'w', '2026-11-23', 10, 4), (2, 'w', '2026-11-23', 10, 1), (3, 'w', '2026-11-23', 10, 0),
         (1, 'm', '2026-11-01', 10, 9), (4, 'm', '2026-11-01', 11, 0)`,
    );

    const applied = await ds.runMigrations({ transaction: 'each' });
    expect(applied.map((m) => m.name)).toEqual(MIGRATIONS.slice(summaries + 1).map((m) => new m().name));
    const rows: Array<{ station_id: number; kind: string; period_start: string; active_informants: number }> = await ds.query(
      `SELECT station_id, kind, to_char(period_start, 'YYYY-MM-DD') AS period_start, active_informants
       FROM station_period ORDER BY station_id, kind, period_start`,
    );
    expect(rows).toEqual([
      { station_id: 10, kind: 'm', period_start: '2026-11-01', active_informants: 1 },
      { station_id: 10, kind: 'w', period_start: '2026-11-23', active_informants: 2 },
      { station_id: 11, kind: 'm', period_start: '2026-11-01', active_informants: 0 },
    ]);
    expect(await pendingSql(ds)).toEqual([]);
    expect(await catalog(ds)).toEqual(entitySchema);

    // Its down leaves the table to the summaries migration's own down.
    await downToEmpty(ds);
    expect(await leftovers(ds)).toEqual([]);
  });
  test('counting periods back-fill: stations count from their first bound group, informants get one roster interval', async () => {
    const mine = MIGRATIONS.findIndex((m) => new m().name === 'CountingPeriods1764800000000');
    expect(await executedCount(ds)).toBe(0);
    await ds.runMigrations({ transaction: 'each' });
    while ((await executedCount(ds)) > mine) await ds.undoLastMigration({ transaction: 'each' });
    const [{ id: county }] = await ds.query(`INSERT INTO region (name, level) VALUES ('旧旗', 'county') RETURNING id`);
    const [{ id: station }] = await ds.query(`INSERT INTO station (name, county_id) VALUES ('旧站', $1) RETURNING id`, [county]);
    await ds.query(`INSERT INTO station (name, county_id) VALUES ('无群站', $1)`, [county]);
    // Two groups, bound on 3 and 9 November (Asia/Shanghai days).
    await ds.query(
      `INSERT INTO wechat_group (room_id, station_id, bound_at) VALUES ('r1@chatroom', $1, '2026-11-09T02:00:00Z'), ('r2@chatroom', $1, '2026-11-02T20:00:00Z')`,
      [station],
    );
    const inf: Array<{ id: number }> = await ds.query(
      `INSERT INTO informant (station_id, name, status, created_at, bound_at) VALUES
         ($1, '在用', 'active', '2026-11-05T02:00:00Z', '2026-11-06T02:00:00Z'),
         ($1, '早转发', 'active', '2026-11-10T02:00:00Z', NULL),
         ($1, '已停用', 'disabled', '2026-11-04T02:00:00Z', NULL)
       RETURNING id`,
      [station],
    );
    await ds.query(
      `INSERT INTO daily_rollup (informant_id, day, station_id, raw_shares, effective_shares) VALUES ($1, '2026-11-08', $3, 1, 1), ($2, '2026-11-20', $3, 1, 1)`,
      [inf[1].id, inf[2].id, station],
    );
    await ds.runMigrations({ transaction: 'each' });
    expect(await ds.query(`SELECT name, to_char(counting_from, 'YYYY-MM-DD') AS c FROM station ORDER BY id`)).toEqual([
      { name: '旧站', c: '2026-11-03' },
      { name: '无群站', c: null },
    ]);
    expect(
      await ds.query(
        `SELECT i.name, to_char(r.from_day, 'YYYY-MM-DD') AS f, to_char(r.to_day, 'YYYY-MM-DD') AS t FROM informant_roster r JOIN informant i ON i.id = r.informant_id ORDER BY i.id`,
      ),
    ).toEqual([
      { name: '在用', f: '2026-11-05', t: null },
      { name: '早转发', f: '2026-11-08', t: null }, // its share of 8 November stays counted
      { name: '已停用', f: '2026-11-04', t: '2026-11-20' }, // closed on its last share
    ]);
    await downToEmpty(ds);
    expect(await leftovers(ds)).toEqual([]);
  });

  test('callback replay: receipts that kept a console login link are deleted, the others stay (not withheld)', async () => {
    const mine = MIGRATIONS.findIndex((m) => new m().name === 'CallbackReplay1765300000000');
    expect(await executedCount(ds)).toBe(0);
    await ds.runMigrations({ transaction: 'each' });
    while ((await executedCount(ds)) > mine) await ds.undoLastMigration({ transaction: 'each' });
    await ds.query(
      `INSERT INTO callback_receipt (channel, dedupe_key, reply) VALUES
         ('mp', 'msg:1', '管理后台登录链接（以e站管理员身份登录，10 分钟内有效，只能使用一次，请勿转发）：' || chr(10) || 'https://kepu.example.cn/#/login?ticket=abc123'),
         ('wecom', 'msg:2', '已登记（编号 7）'),
         ('wecom', 'msg:3', NULL)`,
    );
    await ds.runMigrations({ transaction: 'each' });
    expect(await ds.query(`SELECT channel, dedupe_key, reply, withheld FROM callback_receipt ORDER BY dedupe_key`)).toEqual([
      { channel: 'wecom', dedupe_key: 'msg:2', reply: '已登记（编号 7）', withheld: false },
      { channel: 'wecom', dedupe_key: 'msg:3', reply: null, withheld: false },
    ]);
    await downToEmpty(ds);
    expect(await leftovers(ds)).toEqual([]);
  });

  test('person identities: the id columns move into person_identity, an id on several rows stays with the one the bot recognised', async () => {
    const mine = MIGRATIONS.findIndex((m) => new m().name === 'PersonIdentities1765600000000');
    expect(await executedCount(ds)).toBe(0);
    await ds.runMigrations({ transaction: 'each' });
    while ((await executedCount(ds)) > mine) await ds.undoLastMigration({ transaction: 'each' });
    const [{ id: county }] = await ds.query(`INSERT INTO region (name, level) VALUES ('旧旗', 'county') RETURNING id`);
    const [{ id: station }] = await ds.query(`INSERT INTO station (name, county_id) VALUES ('旧站', $1) RETURNING id`, [county]);
    const managers: Array<{ id: number }> = await ds.query(
      `INSERT INTO station_manager (station_id, name, wecom_user_id, mp_openid, wechat_contact_id) VALUES
         ($1, '甲', 'wc-jia', 'o-jia', 'wx-both'),
         ($1, '乙', NULL, '', 'wx-yi'),
         ($1, '丙', 'wc-jia', NULL, NULL)
       RETURNING id`,
      [station],
    );
    const [{ id: staff }] = await ds.query(
      `INSERT INTO county_staff (county_id, name, wecom_user_id, mp_openid, wechat_contact_id) VALUES ($1, '丁', 'wc-ding', NULL, 'wx-both') RETURNING id`,
      [county],
    );
    await ds.runMigrations({ transaction: 'each' });
    const [jia, yi] = managers.map((m) => m.id);
    expect(await ds.query(`SELECT manager_id, staff_id, kind, external_id FROM person_identity ORDER BY kind, external_id`)).toEqual([
      { manager_id: jia, staff_id: null, kind: 'openid', external_id: 'o-jia' },
      // 'wx-both' was a manager's and a staff member's: the manager keeps it (the bot acted as the manager).
      { manager_id: jia, staff_id: null, kind: 'wechat-contact', external_id: 'wx-both' },
      { manager_id: yi, staff_id: null, kind: 'wechat-contact', external_id: 'wx-yi' },
      { manager_id: null, staff_id: staff, kind: 'wecom-user', external_id: 'wc-ding' },
      // 'wc-jia' was two managers': the first keeps it; 丙 is left without an id (and an empty openid is no id).
      { manager_id: jia, staff_id: null, kind: 'wecom-user', external_id: 'wc-jia' },
    ]);
    expect(await pendingSql(ds)).toEqual([]);
    expect(await catalog(ds)).toEqual(entitySchema);

    // Down puts each id back in its column.
    while ((await executedCount(ds)) > mine) await ds.undoLastMigration({ transaction: 'each' });
    expect(await ds.query(`SELECT name, wecom_user_id, mp_openid, wechat_contact_id FROM station_manager ORDER BY id`)).toEqual([
      { name: '甲', wecom_user_id: 'wc-jia', mp_openid: 'o-jia', wechat_contact_id: 'wx-both' },
      { name: '乙', wecom_user_id: null, mp_openid: null, wechat_contact_id: 'wx-yi' },
      { name: '丙', wecom_user_id: null, mp_openid: null, wechat_contact_id: null },
    ]);
    expect(await ds.query(`SELECT name, wecom_user_id, mp_openid, wechat_contact_id FROM county_staff`)).toEqual([
      { name: '丁', wecom_user_id: 'wc-ding', mp_openid: null, wechat_contact_id: null },
    ]);
    await downToEmpty(ds);
    expect(await leftovers(ds)).toEqual([]);
  });
});
