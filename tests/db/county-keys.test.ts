import type { EntityManager } from 'typeorm';

/** A DataSource or a transaction's manager. */
type Queryable = Pick<EntityManager, 'query'>;
import { PARTITIONED_TABLES } from '../../src/db/partitioning';
import { COORDINATOR_TABLES, COUNTY_TABLES, REFERENCE_TABLES } from '../../src/db/table-classes';
import { loadConfig } from '../../src/config';
import { createServices } from '../../src/services';
import { createTestDatabase, type TestDatabase } from '../support/db';

/**
 * The schema is ready for a province and for Citus (issue 18): read from the catalog after every
 * migration ran, every large table carries county_id and every primary and unique key of it starts
 * with it; foreign keys between large tables include it; the raw tables are monthly partitions with
 * the partition column in each unique key and no DEFAULT partition; and every table is classified.
 */

interface Key {
  table: string;
  name: string;
  columns: string[];
  partial: boolean;
}

/** Primary keys, unique constraints and unique indexes of the parent tables (partitions left out), columns in key order. */
async function uniqueKeys(ds: Queryable): Promise<Key[]> {
  const rows: Array<{ table: string; name: string; columns: string[]; partial: boolean }> = await ds.query(
    `SELECT t.relname AS table, i.relname AS name, x.indpred IS NOT NULL AS partial,
            array(SELECT a.attname::text FROM unnest(x.indkey) WITH ORDINALITY k(attnum, n)
                  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.n) AS columns
       FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid
      WHERE t.relnamespace = 'public'::regnamespace AND NOT t.relispartition AND x.indisunique
      ORDER BY 1, 2`,
  );
  return rows;
}

/** What is wrong with the schema, one line each; empty when it is county-keyed as it must be. */
async function problems(ds: Queryable): Promise<string[]> {
  const out: string[] = [];
  const tables: Array<{ name: string; kind: string }> = await ds.query(
    `SELECT relname AS name, relkind::text AS kind FROM pg_class
      WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') AND NOT relispartition ORDER BY 1`,
  );
  const names = tables.map((t) => t.name);
  const classified = [...COUNTY_TABLES, ...REFERENCE_TABLES, ...COORDINATOR_TABLES];
  for (const t of names) if (!classified.includes(t)) out.push(`${t}: not classified in src/db/table-classes.ts`);
  for (const t of classified) {
    if (!names.includes(t)) out.push(`${t}: classified but not in the schema`);
    if (classified.filter((x) => x === t).length > 1) out.push(`${t}: classified twice`);
  }

  const countyColumns: Array<{ table: string; type: string; nn: boolean }> = await ds.query(
    `SELECT c.relname AS table, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS nn
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
      WHERE c.relnamespace = 'public'::regnamespace AND a.attname = 'county_id' AND NOT a.attisdropped AND c.relkind IN ('r', 'p')`,
  );
  for (const t of COUNTY_TABLES) {
    const col = countyColumns.find((c) => c.table === t);
    if (!col) out.push(`${t}: no county_id`);
    else if (col.type !== 'integer' || !col.nn) out.push(`${t}: county_id is ${col.type} ${col.nn ? 'NOT NULL' : 'NULL'}`);
  }

  const keys = await uniqueKeys(ds);
  for (const t of COUNTY_TABLES) {
    const own = keys.filter((k) => k.table === t);
    if (!own.some((k) => !k.partial && k.name.startsWith('PK_'))) out.push(`${t}: no primary key`);
    for (const k of own)
      if (k.columns[0] !== 'county_id') out.push(`${t}: key ${k.name} (${k.columns.join(', ')}) does not start with county_id`);
  }

  // Foreign keys between large tables carry the county on both sides.
  const fks: Array<{ table: string; target: string; name: string; columns: string[]; refs: string[] }> = await ds.query(
    `SELECT c.relname AS table, r.relname AS target, k.conname AS name,
            array(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(attnum, n)
                  JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum ORDER BY u.n) AS columns,
            array(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY u(attnum, n)
                  JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.attnum ORDER BY u.n) AS refs
       FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class r ON r.oid = k.confrelid
      WHERE k.contype = 'f' AND c.relnamespace = 'public'::regnamespace AND NOT c.relispartition`,
  );
  for (const fk of fks) {
    if (!COUNTY_TABLES.includes(fk.table)) {
      if (COUNTY_TABLES.includes(fk.target)) out.push(`${fk.table}: foreign key ${fk.name} into the large table ${fk.target}`);
      continue;
    }
    if (COUNTY_TABLES.includes(fk.target) && (fk.columns[0] !== 'county_id' || fk.refs[0] !== 'county_id')) {
      out.push(`${fk.table}: foreign key ${fk.name} to ${fk.target} without county_id first`);
    }
    if (COORDINATOR_TABLES.includes(fk.target)) out.push(`${fk.table}: foreign key ${fk.name} to the coordinator table ${fk.target}`);
  }

  // The raw tables: monthly RANGE partitions on their column, no DEFAULT partition, the column in each unique key.
  const partitioned: Array<{ table: string; strategy: string; columns: string[]; has_default: boolean }> = await ds.query(
    `SELECT c.relname AS table, p.partstrat::text AS strategy,
            array(SELECT a.attname::text FROM unnest(p.partattrs) u(attnum) JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = u.attnum) AS columns,
            p.partdefid <> 0 AS has_default
       FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid WHERE c.relnamespace = 'public'::regnamespace`,
  );
  for (const p of PARTITIONED_TABLES) {
    const found = partitioned.find((x) => x.table === p.table);
    if (!found) {
      out.push(`${p.table}: not partitioned`);
      continue;
    }
    if (found.strategy !== 'r' || found.columns.join() !== p.column)
      out.push(`${p.table}: partitioned by ${found.strategy} (${found.columns.join(', ')})`);
    if (found.has_default) out.push(`${p.table}: has a DEFAULT partition`);
    for (const k of keys.filter((x) => x.table === p.table)) {
      if (!k.columns.includes(p.column)) out.push(`${p.table}: key ${k.name} lacks the partition column ${p.column}`);
    }
  }
  for (const x of partitioned)
    if (!PARTITIONED_TABLES.some((p) => p.table === x.table)) out.push(`${x.table}: partitioned but not in PARTITIONED_TABLES`);
  return out;
}

describe('county keys in the catalog', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db?.close();
  });

  test('after every migration: each large table has county_id NOT NULL leading every primary and unique key', async () => {
    expect(await problems(db.ds)).toEqual([]);
    // Hand-written: the keys the migration made (what Citus needs: county_id first).
    const keys = (await uniqueKeys(db.ds)).filter((k) => COUNTY_TABLES.includes(k.table)).map((k) => `${k.name} (${k.columns.join(', ')})`);
    expect(keys.sort()).toEqual(
      [
        'PK_daily_rollup (county_id, informant_id, day)',
        'PK_effective_share (county_id, talker_id, content_key, day)',
        'PK_informant (county_id, id)',
        'PK_informant_period (county_id, informant_id, kind, period_start)',
        'PK_informant_roster (county_id, id)',
        'PK_share_event (county_id, day, id)',
        'PK_station_day (county_id, station_id, day)',
        'PK_station_period (county_id, station_id, kind, period_start)',
        'PK_station_roster_day (county_id, station_id, day)',
        'uq_informant_roster_open (county_id, informant_id)',
        'uq_informant_wechat_contact (county_id, wechat_contact_id)',
        'uq_share_event_message (county_id, day, message_id)',
      ].sort(),
    );
  });

  test('fails on a large table without the key, a key not led by county_id, a global unique key and an unclassified table', async () => {
    const q = db.ds.createQueryRunner();
    await q.startTransaction();
    try {
      await q.query(`CREATE TABLE gadget (id integer PRIMARY KEY)`);
      await q.query(`CREATE UNIQUE INDEX uq_informant_phone ON informant (phone)`);
      await q.query(`ALTER TABLE station_day DROP CONSTRAINT "PK_station_day"`);
      await q.query(`ALTER TABLE station_day ADD CONSTRAINT "PK_station_day" PRIMARY KEY (station_id, day, county_id)`);
      await q.query(`ALTER TABLE daily_rollup DROP COLUMN county_id`);
      await q.query(`CREATE TABLE share_event_default PARTITION OF share_event DEFAULT`);
      const found = await problems(q.manager);
      expect(found.sort()).toEqual(
        [
          'gadget: not classified in src/db/table-classes.ts',
          'informant: key uq_informant_phone (phone) does not start with county_id',
          'station_day: key PK_station_day (station_id, day, county_id) does not start with county_id',
          'daily_rollup: no county_id',
          'daily_rollup: no primary key', // dropping the column took the key with it
          'share_event: has a DEFAULT partition',
        ].sort(),
      );
    } finally {
      await q.rollbackTransaction();
      await q.release();
    }
    expect(await problems(db.ds)).toEqual([]);
  });

  test('one WeChat contact is one informant across counties: a bind in a second county is refused', async () => {
    const services = createServices(db.ds, loadConfig({ LOG_LEVEL: 'silent' }));
    const start = new Date('2026-11-02T09:00:00+08:00');
    const a = await services.stations.add({ name: '甲站', county: '甲旗', type: 'community' });
    const b = await services.stations.add({ name: '乙站', county: '乙旗', type: 'community' });
    expect(a.countyId).not.toBe(b.countyId);
    for (const [room, station, county] of [
      ['room-jia@chatroom', '甲站', '甲旗'],
      ['room-yi@chatroom', '乙站', '乙旗'],
    ]) {
      await services.groups.remember(room, station, start);
      await services.groups.bind(room, station, start, county);
    }
    const jia = await services.informants.addToRoster(a.id, '王芳', '13900000001', start);
    const yi = await services.informants.addToRoster(b.id, '王芳', '13900000002', start);
    expect([jia.countyId, yi.countyId]).toEqual([a.countyId, b.countyId]);
    await services.informants.bindMember('room-jia@chatroom', 'wxid_wangfang', '王芳', start);
    await expect(services.informants.bindMember('room-yi@chatroom', 'wxid_wangfang', '王芳', start)).rejects.toThrow(
      '您的微信已绑定为“王芳”',
    );
    const bound: Array<{ county_id: number; wechat_contact_id: string | null }> = await db.ds.query(
      `SELECT county_id, wechat_contact_id FROM informant WHERE id = ANY($1) ORDER BY county_id`,
      [[jia.id, yi.id]],
    );
    expect(bound).toEqual(
      [
        { county_id: a.countyId, wechat_contact_id: 'wxid_wangfang' },
        { county_id: b.countyId, wechat_contact_id: null },
      ].sort((x, y) => x.county_id - y.county_id),
    );

    // Their item shared in their own county's group and in the other county's the same day counts once.
    const share = (messageId: string, roomId: string, minute: number) =>
      services.shares.record({
        messageId,
        roomId,
        talkerId: 'wxid_wangfang',
        talkerName: '芳',
        link: { contentKey: 'kepu:article:7', url: 'https://m.kepuchina.cn/tuwendetail?id=7', kind: 'url' },
        sentAt: new Date(start.getTime() + minute * 60_000),
      });
    expect((await share('m-yi', 'room-yi@chatroom', 60)).outcome).toBe('effective');
    expect((await share('m-jia', 'room-jia@chatroom', 90)).outcome).toBe('repeat');
    const stored: Array<{ county_id: number; message_id: string; effective: boolean }> = await db.ds.query(
      `SELECT county_id, message_id, effective FROM share_event WHERE talker_id = 'wxid_wangfang' ORDER BY sent_at`,
    );
    expect(stored).toEqual([
      { county_id: b.countyId, message_id: 'm-yi', effective: true },
      { county_id: a.countyId, message_id: 'm-jia', effective: false },
    ]);
    const [rollup]: Array<{ county_id: number; raw_shares: number; effective_shares: number }> = await db.ds.query(
      `SELECT county_id, raw_shares, effective_shares FROM daily_rollup WHERE informant_id = $1`,
      [jia.id],
    );
    expect(rollup).toEqual({ county_id: a.countyId, raw_shares: 2, effective_shares: 1 });
  });
});
