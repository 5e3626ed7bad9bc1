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
  const upTo = MIGRATIONS.findIndex((m) => new m().name === 'JobRunCounty1765610000000');
  const open = async (migrations: typeof MIGRATIONS): Promise<DataSource> => {
    const ds = createDataSource({ url: db.url, poolSize: 2, log: createLogger('silent'), migrations });
    await ds.initialize();
    return ds;
  };

  beforeAll(async () => {
    db = await createEmptyDatabase();
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('fills county_id from county:, station: and room: scopes, NULL for the rest', async () => {
    expect(upTo).toBeGreaterThan(0);
    // The schema as it was before this migration.
    const before = await open(MIGRATIONS.slice(0, upTo));
    await before.runMigrations({ transaction: 'each' });
    await before.destroy();
    const ds = await open(MIGRATIONS);

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
    await ds.destroy();
  });
});
