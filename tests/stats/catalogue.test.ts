import { loadConfig } from '../../src/config';
import { figures as figuresSchema } from '../../src/http/api/schemas';
import { createServices, type Services } from '../../src/services';
import { FIGURES, figuresOf, sumAggregates, type Aggregates } from '../../src/stats/catalogue';
import { SHARE_KEYS, ACTIVITY_KEYS } from '../../src/stats/sql';
import { createTestDatabase, type TestDatabase } from '../support/db';

// The figures the API answers and the xlsx shows, written out by hand: a figure that disappears
// from the catalogue, or from the API's schema, fails here.
const AGGREGATES = [
  'informants',
  'days',
  'firstDay',
  'informantDays',
  'activeInformants',
  'rawShares',
  'effectiveShares',
  'quotaMetDays',
  'activities',
  'participants',
  'activitiesOf50',
];
const RATIOS = ['activeRate', 'perInformantDay', 'quotaMetRate', 'participantsPerActivity'];

describe('the figure catalogue', () => {
  it('lists every figure, and the API schema has exactly those', () => {
    expect(Object.keys(FIGURES).sort()).toEqual([...AGGREGATES, ...RATIOS].sort());
    expect(Object.keys(figuresSchema.shape).sort()).toEqual([...AGGREGATES, ...RATIOS].sort());
  });

  it('computes the ratios and the sums of stations by hand-made cases', () => {
    const a: Aggregates = {
      informants: 4,
      days: 10,
      firstDay: '2026-07-03',
      informantDays: 40,
      activeInformants: 3,
      rawShares: 70,
      effectiveShares: 60,
      quotaMetDays: 10,
      activities: 2,
      participants: 90,
      activitiesOf50: 1,
    };
    const b: Aggregates = {
      informants: 1,
      days: 12,
      firstDay: '2026-07-01',
      informantDays: 12,
      activeInformants: 0,
      rawShares: 0,
      effectiveShares: 0,
      quotaMetDays: 0,
      activities: 0,
      participants: 0,
      activitiesOf50: 0,
    };
    expect(figuresOf(a)).toEqual({ ...a, activeRate: 0.75, perInformantDay: 1.5, quotaMetRate: 0.25, participantsPerActivity: 45 });
    expect(figuresOf(b)).toEqual({ ...b, activeRate: 0, perInformantDay: 0, quotaMetRate: 0, participantsPerActivity: 0 });
    expect(sumAggregates([a, b])).toEqual({
      informants: 5,
      days: 12,
      firstDay: '2026-07-01',
      informantDays: 52,
      activeInformants: 3,
      rawShares: 70,
      effectiveShares: 60,
      quotaMetDays: 10,
      activities: 2,
      participants: 90,
      activitiesOf50: 1,
    });
    expect(sumAggregates([])).toMatchObject({ days: 0, firstDay: null, informants: 0 });
  });
});

describe("the catalogue's SQL: one station's sums (station_day) and its informants' (daily_rollup) agree", () => {
  let db: TestDatabase;
  let services: Services;
  let stationId: number;
  let informantIds: number[];
  const range = { from: '2026-07-01', to: '2026-07-10' };
  const today = '2026-07-20';

  beforeAll(async () => {
    db = await createTestDatabase();
    services = createServices(db.ds, loadConfig({ LOG_LEVEL: 'silent' }));
    const st = await services.stations.add({ name: '甲站', county: '目录旗' });
    stationId = st.id;
    await db.ds.query(`UPDATE station SET counting_from = '2026-07-01' WHERE id = $1`, [st.id]);
    await db.ds.query(`INSERT INTO informant (station_id, name) SELECT $1, '人' || n FROM generate_series(1, 3) n`, [st.id]);
    await db.ds.query(
      `INSERT INTO informant_roster (informant_id, station_id, from_day) SELECT id, station_id, '2026-07-01' FROM informant`,
    );
    informantIds = (await db.ds.query(`SELECT id FROM informant ORDER BY id`)).map((r: { id: number }) => r.id);
    // Hand-made rollups: (informant index, day, raw, effective).
    const rows: Array<[number, string, number, number]> = [
      [0, '2026-07-01', 4, 3],
      [0, '2026-07-02', 1, 1],
      [0, '2026-07-05', 6, 5],
      [1, '2026-07-01', 2, 2],
      [1, '2026-07-10', 3, 3],
      [1, '2026-07-11', 9, 9], // outside the range
      [2, '2026-07-03', 1, 0],
    ];
    for (const [i, day, raw, eff] of rows) {
      await db.ds.query(
        `INSERT INTO daily_rollup (informant_id, day, station_id, raw_shares, effective_shares) VALUES ($1, $2, $3, $4, $5)`,
        [informantIds[i], day, stationId, raw, eff],
      );
    }
    for (const [date, participants] of [
      ['2026-07-02', 60],
      ['2026-07-09', 20],
    ] as const) {
      await services.activities.log(stationId, { date, type: '讲座', title: '防诈', participants, place: '村委会' }, 'test');
    }
  });
  afterAll(async () => {
    await db.close();
  });

  it('gives the hand-counted sums, the same from both sources', async () => {
    const station = await services.statistics.figures('station', stationId, range, today);
    // raw 4+1+6+2+3+1 = 17; effective 3+1+5+2+3 = 14; days at the quota (3): 3, 5, 3 = 3.
    expect({ raw: station.rawShares, eff: station.effectiveShares, met: station.quotaMetDays }).toEqual({ raw: 17, eff: 14, met: 3 });
    expect({ n: station.activities, p: station.participants, n50: station.activitiesOf50 }).toEqual({ n: 2, p: 80, n50: 1 });
    expect(station.informantDays).toBe(30);
    expect(station.perInformantDay).toBeCloseTo(14 / 30, 12);
    const people = await Promise.all(informantIds.map((id) => services.statistics.figures('informant', id, range, today)));
    expect(people.map((p) => p.effectiveShares)).toEqual([9, 5, 0]);
    // Every share sum of the catalogue, whatever it is: the informants' add up to the station's.
    expect(SHARE_KEYS.length).toBeGreaterThanOrEqual(3);
    for (const k of SHARE_KEYS) expect([k, people.reduce((n, p) => n + p[k], 0)]).toEqual([k, station[k]]);
    // An informant has no activities of their own.
    for (const k of ACTIVITY_KEYS) expect(people.map((p) => p[k])).toEqual([0, 0, 0]);
  });
});
