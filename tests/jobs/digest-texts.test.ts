import { loadConfig } from '../../src/config';
import { parsePeriod } from '../../src/domain/periods';
import { JobRunner } from '../../src/jobs/runner';
import { createLogger } from '../../src/logger';
import { createServices, type Services } from '../../src/services';
import { createTestDatabase, type TestDatabase } from '../support/db';

/** Monday 23 November 2026, 09:00 in Shanghai: the digest of 2026-W47 (16–22 November). */
const NOW = new Date('2026-11-23T01:00:00Z');
const WEEK = parsePeriod('2026-W47')!;
const DAYS = ['2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20', '2026-11-21', '2026-11-22'];

/** The weekly digest's wording when there is little to rank: an empty week, a county of one or three stations. */
describe('weekly digest texts', () => {
  let db: TestDatabase;
  let services: Services;
  let runner: JobRunner;
  const config = loadConfig({ LOG_LEVEL: 'silent' });

  /** A county whose stations each have one informant on the roster from 1 November, counting from `countingFrom`. */
  async function county(
    name: string,
    stations: number,
    countingFrom = '2026-11-01',
  ): Promise<{ id: number; informants: number[]; stationIds: number[] }> {
    const informants: number[] = [];
    const stationIds: number[] = [];
    let countyId = 0;
    for (let i = 1; i <= stations; i++) {
      const st = await services.stations.add({ name: `${name}${i}站`, county: name });
      countyId = st.countyId;
      stationIds.push(st.id);
      await db.ds.query(`UPDATE station SET counting_from = $2 WHERE id = $1`, [st.id, countingFrom]);
      const [{ id }] = await db.ds.query(`INSERT INTO informant (station_id, name) VALUES ($1, $2) RETURNING id`, [st.id, `${name}员${i}`]);
      await db.ds.query(`INSERT INTO informant_roster (informant_id, station_id, from_day) VALUES ($1, $2, '2026-11-01')`, [id, st.id]);
      informants.push(id);
    }
    return { id: countyId, informants, stationIds };
  }
  /** Effective shares of an informant on each day of the week. */
  async function shares(informant: number, station: number, perDay: number[]): Promise<void> {
    for (const [i, n] of perDay.entries()) {
      if (n === 0) continue;
      await db.ds.query(
        `INSERT INTO daily_rollup (informant_id, day, station_id, raw_shares, effective_shares) VALUES ($1, $2, $3, $4, $4)`,
        [informant, DAYS[i], station, n],
      );
    }
  }
  const digest = async (countyId: number): Promise<string> => {
    const [run] = await runner.run('weekly-digest', WEEK, NOW, { countyIds: [countyId], dryRun: true });
    return [...run.messages, ...run.waiting.map((w) => w.message)][0].payload.text;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    services = createServices(db.ds, config);
    runner = new JobRunner(db.ds, services, config, createLogger('silent'));
  });
  afterAll(async () => {
    await db.close();
  });

  it('three stations: the one bottom station is named, with its figure', async () => {
    const c = await county('三站旗', 3);
    await shares(c.informants[0], c.stationIds[0], [3, 3, 3, 3, 3, 3, 3]);
    await shares(c.informants[1], c.stationIds[1], [1, 1, 1, 1, 1, 1, 1]);
    await shares(c.informants[2], c.stationIds[2], [1, 0, 0, 0, 0, 0, 0]);
    const text = await digest(c.id);
    // 1 effective share over 7 informant-days: 0.14; a third of three stations is one.
    expect(text).toContain('**排名靠后的e站**：三站旗3站（人均 0.14 条）');
    expect(text).not.toContain('三站旗2站（人均 1.00 条）、');
  });

  it('one station: it is never "the bottom one"', async () => {
    const c = await county('一站旗', 1);
    await shares(c.informants[0], c.stationIds[0], [0, 1, 0, 0, 0, 0, 0]);
    const text = await digest(c.id);
    expect(text).toContain('1. 一站旗1站：信息员 1，');
    expect(text).not.toContain('排名靠后');
  });

  it('two stations: no bottom list either', async () => {
    const c = await county('两站旗', 2);
    await shares(c.informants[0], c.stationIds[0], [3, 3, 3, 3, 3, 3, 3]);
    expect(await digest(c.id)).not.toContain('排名靠后');
  });

  it('a week before any station counted says so and ranks nobody', async () => {
    const c = await county('未开始旗', 3, '2026-12-01');
    const text = await digest(c.id);
    expect(text).toContain('本周尚无统计天数（还没有e站开始统计）');
    expect(text).not.toContain('排名靠后');
    expect(text).toContain('**优秀信息员**：本周无有效转发');
  });

  it('a counted week without one effective share says so and ranks nobody', async () => {
    const c = await county('静默旗', 3);
    const text = await digest(c.id);
    expect(text).toContain('本周没有统计到有效转发');
    expect(text).not.toContain('排名靠后');
  });
});
