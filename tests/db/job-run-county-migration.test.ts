import type { DataSource } from 'typeorm';
import { createDataSource } from '../../src/db/data-source';
import { MIGRATIONS } from '../../src/db/migrations';
import { createLogger } from '../../src/logger';
import { createEmptyDatabase, type EmptyDatabase } from '../support/db';

/**
 * Upgrading a database with runs stored before job_run.county_id: each run gets its county from its
 * scope once, in the migration (county, station, bound group); alerts and runs of a group no longer
 * bound get none.
 */
describe('migration JobRunCounty: existing runs get their county', () => {
  let db: EmptyDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await createEmptyDatabase();
    ds = createDataSource({ url: db.url, poolSize: 2, log: createLogger('silent') });
    await ds.initialize();
  });

  afterAll(async () => {
    if (ds?.isInitialized) await ds.destroy();
    await db?.drop();
  });

  it('fills county_id from county:, station: and room: scopes, NULL for the rest', async () => {
    await ds.runMigrations({ transaction: 'each' });
    const mine = MIGRATIONS.findIndex((m) => m.name === 'JobRunCounty1765610000000');
    expect(mine).toBeGreaterThan(0);
    // Back to just before it (later migrations too: they run again below).
    for (let n = MIGRATIONS.length; n > mine; n--) await ds.undoLastMigration({ transaction: 'each' });

    const [{ id: a }] = await ds.query(`INSERT INTO region (name, level) VALUES ('甲旗', 'county') RETURNING id`);
    const [{ id: b }] = await ds.query(`INSERT INTO region (name, level) VALUES ('乙旗', 'county') RETURNING id`);
    const [{ id: st }] = await ds.query(`INSERT INTO station (name, county_id) VALUES ('乙站', $1) RETURNING id`, [b]);
    await ds.query(
      `INSERT INTO wechat_group (room_id, topic, station_id) VALUES ('bound@chatroom', '群', $1), ('loose@chatroom', '散群', NULL)`,
      [st],
    );
    const scopes = [`county:${a}`, `station:${st}`, 'room:bound@chatroom', 'room:loose@chatroom', 'alert:wechat-logout:7', 'county:999999'];
    for (const [i, scope] of scopes.entries()) {
      await ds.query(`INSERT INTO job_run (job, scope, period, state) VALUES ('weekly-digest', $1, $2, 'planned')`, [scope, `2026-W4${i}`]);
    }

    await ds.runMigrations({ transaction: 'each' });
    const rows: Array<{ scope: string; county_id: number | null }> = await ds.query(`SELECT scope, county_id FROM job_run ORDER BY id`);
    expect(rows).toEqual([
      { scope: `county:${a}`, county_id: a },
      { scope: `station:${st}`, county_id: b },
      { scope: 'room:bound@chatroom', county_id: b },
      { scope: 'room:loose@chatroom', county_id: null },
      { scope: 'alert:wechat-logout:7', county_id: null },
      { scope: 'county:999999', county_id: null },
    ]);
  });
});
