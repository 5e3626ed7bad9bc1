import type { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config';
import { MIGRATIONS } from '../../src/db/migrations';
import { COUNTY_TABLES } from '../../src/db/table-classes';
import { daysBefore, monthOf, previousMonthOf, quarterOf, weekOf, type DayRange } from '../../src/domain/calendar';
import { createLogger } from '../../src/logger';
import { createServices } from '../../src/services';
import { DEMO_COUNTY, seedDemo } from '../../src/services/demo-seed.service';
import { createTestDatabase, type TestDatabase } from '../support/db';

/**
 * Upgrading in place (issue 18): a county's quarter of data in the previous version's schema (the
 * demo's 91 days, taken back to that schema by the conversion's own down: no county_id, plain
 * tables), converted by migration 1765700000000, gives every figure as before, keeps every row,
 * and the counting path still dedupes a replayed message and a second share of an item that day.
 */

const MINE = 'CountyKeysPartitions1765700000000';
const NOW = new Date('2026-12-04T02:00:00Z');
const TODAY = '2026-12-04';
const config = loadConfig({ LOG_LEVEL: 'silent' });
const log = createLogger('silent');

async function executed(ds: DataSource): Promise<string[]> {
  const rows: Array<{ name: string }> = await ds.query(`SELECT name FROM typeorm_migrations ORDER BY timestamp, id`);
  return rows.map((r) => r.name);
}

/** Every figure a county reads, over several periods (day, week, month, last month, quarter, last quarter). */
async function everyFigure(ds: DataSource): Promise<unknown> {
  const services = createServices(ds, config);
  const [{ id: countyId }]: Array<{ id: number }> = await ds.query(`SELECT id FROM region WHERE level = 'county' AND name = $1`, [
    DEMO_COUNTY.county,
  ]);
  const stations: Array<{ id: number }> = await ds.query(`SELECT id FROM station WHERE county_id = $1 ORDER BY id`, [countyId]);
  const stationIds = stations.map((s) => s.id);
  const yesterday = daysBefore(TODAY, 1);
  const ranges: Record<string, DayRange> = {
    day: { from: yesterday, to: yesterday },
    week: weekOf(yesterday),
    month: monthOf(TODAY),
    lastMonth: previousMonthOf(TODAY),
    quarter: quarterOf(TODAY),
    lastQuarter: quarterOf(daysBefore(quarterOf(TODAY).from, 1)),
  };
  const out: Record<string, unknown> = {};
  for (const [name, range] of Object.entries(ranges)) {
    out[name] = {
      county: await services.statistics.figures('county', countyId, range, TODAY),
      stations: await Promise.all(stationIds.map((id) => services.statistics.figures('station', id, range, TODAY))),
      table: await services.statistics.stationTable(countyId, range, TODAY),
      top: await services.statistics.topInformants(stationIds, range, 20),
      rankings: await Promise.all(stationIds.map((id) => services.statistics.stationRanking(id, range, 50))),
    };
  }
  out.ledger = await services.statistics.informantLedger(stationIds, ranges.quarter, TODAY);
  return out;
}

/** Every row of the large tables (county_id aside), in a stable order. */
async function largeRows(ds: DataSource): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of COUNTY_TABLES) {
    const rows: Array<{ j: string }> = await ds.query(`SELECT (to_jsonb(x) - 'county_id')::text AS j FROM "${t}" x ORDER BY 1`);
    out[t] = rows.map((r) => r.j);
  }
  return out;
}

describe('upgrading a county database in place to county keys and monthly partitions', () => {
  let db: TestDatabase;
  let before: unknown;
  let rowsBefore: Record<string, unknown[]>;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDemo(createServices(db.ds, config), db.ds, NOW, log);
    before = await everyFigure(db.ds);
    rowsBefore = await largeRows(db.ds);
    // Back to the previous version's schema, data kept.
    const mine = (await executed(db.ds)).indexOf(MINE);
    expect(mine).toBeGreaterThan(0);
    while ((await executed(db.ds)).length > mine) await db.ds.undoLastMigration({ transaction: 'each' });
  }, 300_000);

  afterAll(async () => {
    await db?.close();
  });

  test('the previous schema: no county_id, plain tables, the data there', async () => {
    // The migration just before this one (the previous version's last; other parts add migrations before it).
    const names = MIGRATIONS.map((m) => new m().name);
    expect((await executed(db.ds)).at(-1)).toBe(names[names.indexOf(MINE) - 1]);
    const county: unknown[] = await db.ds.query(
      `SELECT 1 FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'county_id' AND table_name = ANY($1)`,
      [COUNTY_TABLES],
    );
    expect(county).toEqual([]);
    const kinds: Array<{ relname: string; relkind: string }> = await db.ds.query(
      `SELECT relname, relkind::text AS relkind FROM pg_class WHERE relname IN ('share_event', 'effective_share') ORDER BY 1`,
    );
    expect(kinds).toEqual([
      { relname: 'effective_share', relkind: 'r' },
      { relname: 'share_event', relkind: 'r' },
    ]);
    expect(await largeRows(db.ds)).toEqual(rowsBefore);
    expect(rowsBefore.share_event.length).toBeGreaterThan(1000);
  });

  test('the conversion runs (its time is this test’s)', async () => {
    const applied = await db.ds.runMigrations({ transaction: 'each' });
    expect(applied.map((m) => m.name)).toContain(MINE);
  }, 300_000);

  test('every figure is as before, every row is kept, and county_id is the station’s county', async () => {
    expect(await everyFigure(db.ds)).toEqual(before);
    expect(await largeRows(db.ds)).toEqual(rowsBefore);
    for (const t of COUNTY_TABLES.filter((x) => x !== 'effective_share')) {
      const [{ n }]: Array<{ n: number }> = await db.ds.query(
        `SELECT count(*)::int AS n FROM "${t}" x JOIN station s ON s.id = x.station_id WHERE x.county_id IS DISTINCT FROM s.county_id`,
      );
      expect([t, n]).toEqual([t, 0]);
    }
    // An effective share is its informant's county's, or (unconfirmed) its share's.
    const [{ n, unconfirmed }]: Array<{ n: number; unconfirmed: number }> = await db.ds.query(
      `SELECT count(*) FILTER (WHERE e.county_id IS DISTINCT FROM coalesce(si.county_id, ss.county_id))::int AS n,
              count(*) FILTER (WHERE e.informant_id IS NULL)::int AS unconfirmed
         FROM effective_share e JOIN share_event s ON s.message_id = e.message_id AND s.day = e.day
         JOIN station ss ON ss.id = s.station_id
         LEFT JOIN informant i ON i.id = e.informant_id LEFT JOIN station si ON si.id = i.station_id`,
    );
    expect(n).toBe(0);
    expect(unconfirmed).toBeGreaterThan(0);
  });

  test('the raw tables are monthly partitions: every month of the data, the current month and two ahead', async () => {
    const months: Array<{ m: string }> = await db.ds.query(
      `SELECT DISTINCT to_char(day, 'YYYY-MM') AS m FROM share_event
       UNION SELECT to_char((date_trunc('month', now() AT TIME ZONE 'Asia/Shanghai') + make_interval(months => n)), 'YYYY-MM')
       FROM generate_series(0, 2) n ORDER BY 1`,
    );
    const expected = months.map(({ m }) => `share_event_y${m.slice(0, 4)}m${m.slice(5)}`);
    const parts: Array<{ name: string }> = await db.ds.query(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'share_event'::regclass ORDER BY 1`,
    );
    expect(parts.map((p) => p.name)).toEqual(expected);
    // The demo's 91 days before 4 December span September to December.
    expect(expected.slice(0, 4)).toEqual(['share_event_y2026m09', 'share_event_y2026m10', 'share_event_y2026m11', 'share_event_y2026m12']);
  });

  test('after the upgrade the counting path dedupes a replayed message and a second share of an item the same day', async () => {
    const services = createServices(db.ds, config);
    const [old]: Array<{
      message_id: string;
      room_id: string;
      talker_id: string;
      talker_name: string;
      content_key: string;
      url: string;
      sent_at: Date;
    }> = await db.ds.query(
      `SELECT message_id, room_id, talker_id, talker_name, content_key, url, sent_at FROM share_event
          WHERE informant_id IS NOT NULL AND effective ORDER BY sent_at DESC, message_id LIMIT 1`,
    );
    const share = (messageId: string, sentAt: Date) =>
      services.shares.record({
        messageId,
        roomId: old.room_id,
        talkerId: old.talker_id,
        talkerName: old.talker_name,
        link: { contentKey: old.content_key, url: old.url, kind: 'url' },
        sentAt,
      });
    const [{ n: sharesBefore }]: Array<{ n: number }> = await db.ds.query(`SELECT count(*)::int AS n FROM share_event`);
    expect((await share(old.message_id, old.sent_at)).outcome).toBe('replay');
    expect((await share(`${old.message_id}-again`, new Date(old.sent_at.getTime() + 60_000))).outcome).toBe('repeat');
    const [{ n: sharesAfter }]: Array<{ n: number }> = await db.ds.query(`SELECT count(*)::int AS n FROM share_event`);
    expect(sharesAfter).toBe(sharesBefore + 1);
    await services.shares.flush();
  });
});
