import { loadConfig } from '../../src/config';
import { createServices, type Services } from '../../src/services';
import { rangeShape } from '../../src/services/statistics.service';
import { createTestDatabase, type TestDatabase } from '../support/db';

describe('statistics from the summaries agree with the daily rollups for every kind of range', () => {
  let db: TestDatabase;
  let services: Services;
  let countyId: number;

  beforeAll(async () => {
    db = await createTestDatabase();
    services = createServices(db.ds, loadConfig({ LOG_LEVEL: 'silent' }));
    const st = await services.stations.add({ name: '甲站', county: '汇总旗' });
    countyId = st.countyId;
    await db.ds.query(`INSERT INTO informant (station_id, name) SELECT $1, '人' || n FROM generate_series(1, 20) n`, [st.id]);
    // The station counts, and the 20 are on its roster, from the first day of the rollups.
    await db.ds.query(`UPDATE station SET counting_from = '2026-07-01' WHERE id = $1`, [st.id]);
    await db.ds.query(
      `INSERT INTO informant_roster (informant_id, station_id, from_day) SELECT id, station_id, '2026-07-01' FROM informant`,
    );
    // Deterministic pseudo-random rollups over 120 days.
    await db.ds.query(
      `INSERT INTO daily_rollup (informant_id, day, station_id, raw_shares, effective_shares)
       SELECT i.id, d::date, i.station_id, (i.id * 7 + extract(doy FROM d)::int) % 6 + 1, (i.id * 7 + extract(doy FROM d)::int) % 6
       FROM informant i, generate_series('2026-07-01'::date, '2026-10-28'::date, interval '1 day') d
       WHERE (i.id + extract(doy FROM d)::int) % 4 <> 0`,
    );
  });
  afterAll(async () => {
    await db.close();
  });

  /** The same figures computed straight from daily_rollup, independently of the summaries. */
  async function direct(from: string, to: string) {
    const [r] = await db.ds.query(
      `SELECT count(DISTINCT informant_id) FILTER (WHERE effective_shares > 0)::int AS active,
              coalesce(sum(raw_shares), 0)::int AS raw, coalesce(sum(effective_shares), 0)::int AS eff,
              count(*) FILTER (WHERE effective_shares >= 3)::int AS met
       FROM daily_rollup WHERE day BETWEEN $1 AND $2`,
      [from, to],
    );
    return r;
  }

  it.each([
    ['2026-08-12', '2026-08-12', 'day'],
    ['2026-08-10', '2026-08-16', 'week'],
    ['2026-08-01', '2026-08-31', 'months'],
    ['2026-07-01', '2026-09-30', 'quarter'],
    ['2026-10-01', '2026-10-28', 'quarter'],
    ['2026-07-01', '2026-08-31', 'months'],
    ['2026-08-05', '2026-08-20', 'days'],
  ])('%s – %s (%s)', async (from, to, shape) => {
    const today = '2026-10-28';
    expect(rangeShape({ from, to }, today)).toBe(shape);
    const f = await services.statistics.figures('county', countyId, { from, to }, today);
    const d = await direct(from, to);
    expect({ active: f.activeInformants, raw: f.rawShares, eff: f.effectiveShares, met: f.quotaMetDays }).toEqual(d);
  });

  it('picks up rollups changed after a refresh (a late share, an adoption)', async () => {
    const before = await services.statistics.figures('county', countyId, { from: '2026-10-26', to: '2026-11-01' }, '2026-10-28');
    await db.ds.query(
      `UPDATE daily_rollup SET effective_shares = effective_shares + 10, raw_shares = raw_shares + 10, updated_at = now()
       WHERE day = '2026-10-27' AND informant_id = (SELECT min(informant_id) FROM daily_rollup WHERE day = '2026-10-27')`,
    );
    const after = await services.statistics.figures('county', countyId, { from: '2026-10-26', to: '2026-11-01' }, '2026-10-28');
    expect(after.effectiveShares - before.effectiveShares).toBe(10);
    expect(after).toMatchObject(
      await direct('2026-10-26', '2026-10-28').then((d) => ({ effectiveShares: d.eff, rawShares: d.raw, activeInformants: d.active })),
    );
  });
});
