import { loadConfig } from '../../src/config';
import { periodFor } from '../../src/domain/schedule';
import { JobRunner } from '../../src/jobs/runner';
import { createLogger } from '../../src/logger';
import { createServices } from '../../src/services';
import { createTestDatabase, type TestDatabase } from '../support/db';

/**
 * A run stores the county of its scope when it is claimed (county, station, group), and the lists
 * filter by that column: a county's staff see their county's runs only.
 */
describe('job runs carry their county', () => {
  let db: TestDatabase;
  let runner: JobRunner;
  let a: number;
  let b: number;
  let stationB: number;
  const now = new Date('2026-11-25T11:00:00Z');

  beforeAll(async () => {
    db = await createTestDatabase();
    const config = loadConfig({ LOG_LEVEL: 'silent' });
    const log = createLogger('silent');
    const services = createServices(db.ds, config, undefined, log);
    runner = new JobRunner(db.ds, services, config, log);
    const station = async (name: string, county: string) => await services.stations.add({ name, county, type: 'community' });
    a = (await station('甲站', '甲旗')).countyId;
    const sb = await station('乙站', '乙旗');
    b = sb.countyId;
    stationB = sb.id;
    await db.ds.query(`INSERT INTO wechat_group (room_id, topic) VALUES ('b-room@chatroom', '乙群')`);
    await services.groups.bind('b-room@chatroom', '乙站', now, '乙旗');
  });

  afterAll(async () => {
    await db.close();
  });

  it('stores the county of county, station and group scopes, and lists a county’s runs only', async () => {
    for (const job of ['weekly-digest', 'monthly-check', 'group-reminder'] as const) await runner.run(job, periodFor(job, now), now);
    const rows: Array<{ job: string; county_id: number }> = await db.ds.query(`SELECT job, county_id FROM job_run ORDER BY job, county_id`);
    expect(rows).toEqual([
      { job: 'group-reminder', county_id: b },
      { job: 'monthly-check', county_id: a },
      { job: 'monthly-check', county_id: b },
      { job: 'weekly-digest', county_id: a },
      { job: 'weekly-digest', county_id: b },
    ]);
    expect((await runner.listRuns(30, [b])).map((r) => r.scope).sort()).toEqual([
      `county:${b}`,
      'room:b-room@chatroom',
      `station:${stationB}`,
    ]);
    expect((await runner.listRuns(30, [a])).map((r) => r.job).sort()).toEqual(['monthly-check', 'weekly-digest']);
  });
});
