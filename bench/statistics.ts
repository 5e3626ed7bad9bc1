/**
 * Part of `npm run bench`: a year of synthetic data for one county (50 stations × 500 informants,
 * about 3 effective shares per informant-day) and the time to compute what the digests, tables
 * and rankings need, from the daily rollups; the baseline scans raw share events (one month of
 * them, generated the same way) for the same ranking.
 */
import type { DataSource } from 'typeorm';
import { loadConfig } from '../src/config';
import { daysBefore, monthOf } from '../src/domain/calendar';
import { parsePeriod, periodContaining } from '../src/domain/periods';
import { JOBS } from '../src/jobs';
import { composeCore } from '../src/compose';
import type { Services } from '../src/services';
import { ensureBenchPartitions } from './scratch';

const STATIONS = Number(process.env.BENCH_STATIONS ?? 50);
const PER_STATION = Number(process.env.BENCH_INFORMANTS_PER_STATION ?? 500);
const YEAR = 2025;

export interface StatisticsBench {
  stations: number;
  informants: number;
  rollupRows: number;
  shareEventsForBaseline: number;
  seedSeconds: number;
  /** Building station_day and informant_period for the whole year at once. */
  summarySeconds: number;
  rankingMs: Record<'day' | 'week' | 'month' | 'quarter', { p50: number; p99: number }>;
  stationMonthMs: { p50: number; p99: number };
  weeklyDigestMs: number;
  quarterlyTableMs: number;
  baselineMonthRankingFromShareEventsMs: number;
  rollupMonthRankingMs: number;
}

async function time<T>(fn: () => Promise<T>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

function pcts(xs: number[]): { p50: number; p99: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) => +s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))].toFixed(2);
  return { p50: at(50), p99: at(99) };
}

/** The bench's county: its name, and the last day of its year (the bench's "today"). */
export const BENCH_COUNTY = '统计基准旗';
export const BENCH_TODAY = `${YEAR}-12-31`;

/**
 * Seeds the bench's year of county data (STATIONS × PER_STATION informants, daily rollups,
 * activities, one month of raw share events) and builds the summaries. Returns the county.
 */
export async function seedCountyYear(
  ds: DataSource,
): Promise<{ countyId: number; seedSeconds: number; summarySeconds: number; services: Services }> {
  const config = loadConfig({ LOG_LEVEL: 'silent' });
  const { services } = await composeCore(config, { dataSource: ds });
  const t0 = process.hrtime.bigint();
  // The months of raw rows written below (and the counting part's), when the raw tables are partitioned.
  await ensureBenchPartitions(ds, [`${YEAR}-10`]);
  await ds.query(`INSERT INTO region (name, level) VALUES ('${BENCH_COUNTY}', 'county')`);
  const [{ id: countyId }]: Array<{ id: number }> = await ds.query(`SELECT id FROM region WHERE name = '${BENCH_COUNTY}'`);
  await ds.query(`INSERT INTO station (name, county_id, type) SELECT '统计e站' || s, $1, 'community' FROM generate_series(1, $2) s`, [
    countyId,
    STATIONS,
  ]);
  await ds.query(
    `INSERT INTO informant (station_id, name, wechat_contact_id, bound_at)
     SELECT st.id, '信息员' || st.id || '-' || n, 'stat-' || st.id || '-' || n, now()
     FROM station st, generate_series(1, $2) n WHERE st.county_id = $1`,
    [countyId, PER_STATION],
  );
  // Every station counts, and every informant is on its roster, from 1 January; one informant in 50
  // leaves on 30 June (an informant-day count that is not informants × days).
  await ds.query(`UPDATE station SET counting_from = $2 WHERE county_id = $1`, [countyId, `${YEAR}-01-01`]);
  await ds.query(
    `INSERT INTO informant_roster (informant_id, station_id, from_day, to_day)
     SELECT i.id, i.station_id, $2::date, CASE WHEN i.id % 50 = 0 THEN $3::date END
     FROM informant i JOIN station s ON s.id = i.station_id WHERE s.county_id = $1`,
    [countyId, `${YEAR}-01-01`, `${YEAR}-06-30`],
  );
  // Effective shares per informant-day: 0..6, mean about 3; raw a little higher.
  await ds.query(
    `INSERT INTO daily_rollup (informant_id, day, station_id, raw_shares, effective_shares)
     SELECT i.id, d::date, i.station_id, e + (e > 0)::int, e
     FROM informant i JOIN station s ON s.id = i.station_id,
          generate_series($2::date, $3::date, interval '1 day') d,
          LATERAL (SELECT (floor(random() * 7))::int + 0 * i.id AS e) r
     WHERE s.county_id = $1 AND r.e > 0 AND (i.id % 50 <> 0 OR d <= $4::date)`,
    [countyId, `${YEAR}-01-01`, `${YEAR}-12-31`, `${YEAR}-06-30`],
  );
  await ds.query(
    `INSERT INTO activity (station_id, date, type, title, participants, created_by)
     SELECT s.id, make_date($2, m, 10 + (s.id % 15)), '讲座', '基准活动' || m, 30 + (s.id * 7 + m) % 60, 'bench'
     FROM station s, generate_series(1, 12) m WHERE s.county_id = $1 AND (s.id + m) % 5 <> 0`,
    [countyId, YEAR],
  );
  // Baseline: the raw share events of one month (October), one row per effective share.
  const month = monthOf(`${YEAR}-10-15`);
  await ds.query(
    `INSERT INTO share_event (message_id, room_id, station_id, talker_id, talker_name, informant_id, content_key, url,
                              message_type, sent_at, day, effective)
     SELECT 'stat-' || d.informant_id || '-' || d.day || '-' || k, 'stat-room', d.station_id, 'stat-' || d.informant_id,
            '', d.informant_id, 'kepu:item:' || k, 'https://m.kepuchina.cn/tuwendetail?id=' || k, 'text',
            d.day::timestamp AT TIME ZONE 'Asia/Shanghai' + interval '10 hours', d.day, true
     FROM daily_rollup d JOIN station s ON s.id = d.station_id, generate_series(1, d.effective_shares) k
     WHERE s.county_id = $1 AND d.day BETWEEN $2 AND $3`,
    [countyId, month.from, month.to],
  );
  await ds.query('ANALYZE');
  const seedSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  // The summaries are kept current incrementally in production; here a year arrives at once.
  const summarySeconds = (await time(() => services.statistics.summaries.refresh())) / 1000;
  await ds.query('ANALYZE');
  return { countyId, seedSeconds, summarySeconds, services };
}

/**
 * The county ranking (StatisticsService.stationTable) for a day, week, month and quarter of the
 * bench's year, `runs` times each, on each of several databases' services in turn (interleaved,
 * so they see the same machine load): p50 and p99 per kind, one record per database.
 */
export async function measureRankings(each: Services[], countyId: number, runs: number): Promise<Array<StatisticsBench['rankingMs']>> {
  const out = each.map(() => ({}) as StatisticsBench['rankingMs']);
  for (const kind of ['day', 'week', 'month', 'quarter'] as const) {
    const xs: number[][] = each.map(() => []);
    for (let i = 0; i < runs; i++) {
      const p = periodContaining(kind, daysBefore(BENCH_TODAY, (i * 37) % 300));
      for (const [j, services] of each.entries()) xs[j].push(await time(() => services.statistics.stationTable(countyId, p, BENCH_TODAY)));
    }
    xs.forEach((x, j) => (out[j][kind] = pcts(x)));
  }
  return out;
}

export async function benchStatistics(ds: DataSource): Promise<StatisticsBench> {
  const config = loadConfig({ LOG_LEVEL: 'silent' });
  const { countyId, seedSeconds, summarySeconds, services } = await seedCountyYear(ds);
  const month = monthOf(`${YEAR}-10-15`);
  const [{ rollups }] = await ds.query(
    `SELECT count(*)::int AS rollups FROM daily_rollup d JOIN station s ON s.id = d.station_id WHERE s.county_id = $1`,
    [countyId],
  );
  const [{ events }] = await ds.query(`SELECT count(*)::int AS events FROM share_event WHERE room_id = 'stat-room'`);

  const today = `${YEAR}-12-31`;
  const RUNS = Number(process.env.BENCH_STAT_RUNS ?? 20);
  const rankingMs = await measureRankings([services], countyId, RUNS).then((r) => r[0]);
  const [{ id: stationId }]: Array<{ id: number }> = await ds.query(`SELECT id FROM station WHERE county_id = $1 ORDER BY id LIMIT 1`, [
    countyId,
  ]);
  const sm: number[] = [];
  for (let i = 0; i < RUNS; i++)
    sm.push(
      await time(() => services.statistics.stationMonth(stationId, monthOf(`${YEAR}-${String((i % 12) + 1).padStart(2, '0')}-15`), today)),
    );
  const weeklyDigestMs = await time(() =>
    JOBS['weekly-digest'].plan(
      { ds, services, config },
      { kind: 'county', countyId },
      parsePeriod(`${YEAR}-W40`)!,
      new Date(`${YEAR}-10-06T01:00:00Z`),
    ),
  );
  const county = { id: countyId, name: '统计基准旗' };
  const quarterlyTableMs = await time(() => services.reports.statisticsWorkbook(county, parsePeriod(`${YEAR}Q3`)!, today, '季度统计表'));

  // The same month ranking from raw share events (what kepubot would do without rollups).
  const baselineMonthRankingFromShareEventsMs = await time(() =>
    ds.query(
      `WITH per_day AS (
         SELECT e.station_id, e.informant_id, e.day, count(*) FILTER (WHERE e.effective) AS eff, count(*) AS raw
         FROM share_event e JOIN station s ON s.id = e.station_id
         WHERE s.county_id = $1 AND e.day BETWEEN $2 AND $3 GROUP BY e.station_id, e.informant_id, e.day
       )
       SELECT station_id, count(DISTINCT informant_id) FILTER (WHERE eff > 0) AS active, sum(raw) AS raw, sum(eff) AS eff,
              count(*) FILTER (WHERE eff >= 3) AS met
       FROM per_day GROUP BY station_id`,
      [countyId, month.from, month.to],
    ),
  );
  const rollupMonthRankingMs = await time(() => services.statistics.stationTable(countyId, { from: month.from, to: month.to }, today));
  return {
    stations: STATIONS,
    informants: STATIONS * PER_STATION,
    rollupRows: rollups,
    shareEventsForBaseline: events,
    seedSeconds: +seedSeconds.toFixed(1),
    summarySeconds: +summarySeconds.toFixed(1),
    rankingMs,
    stationMonthMs: pcts(sm),
    weeklyDigestMs: +weeklyDigestMs.toFixed(1),
    quarterlyTableMs: +quarterlyTableMs.toFixed(1),
    baselineMonthRankingFromShareEventsMs: +baselineMonthRankingFromShareEventsMs.toFixed(1),
    rollupMonthRankingMs: +rollupMonthRankingMs.toFixed(1),
  };
}
