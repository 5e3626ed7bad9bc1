/**
 * Part of `npm run bench` (alone: BENCH_ONLY=province): a county's cost must not grow with its
 * province. Two databases on the same server, measured in the same run:
 * - one county: the statistics bench's county year (bench/statistics.ts) in a province of its own;
 * - province: a copy of that database (CREATE DATABASE … TEMPLATE) grown by BENCH_PROVINCE_COUNTIES − 1
 *   (default 19) other counties of the same shape (stations, informants, roster, rollups, summaries,
 *   activities copied from the measured county in SQL, INSERT … SELECT per table, not through the
 *   counting path), in two prefectures of one province.
 * Measures on both: the county ranking p99 (day, week, month, quarter; interleaved), the overview
 * API p99 (real HTTP), a prefecture's and the province's quarterly table, and the counting path
 * against a plain batched INSERT (bench/counting.ts).
 */
import { cpus, loadavg } from 'node:os';
import type { DataSource } from 'typeorm';
import { composeCore } from '../src/compose';
import { loadConfig, type AppConfig } from '../src/config';
import { openDataSource } from '../src/db/data-source';
import { parsePeriod } from '../src/domain/periods';
import type { Logger } from '../src/logger';
import type { Services } from '../src/services';
import { benchCounting, type CountingBench } from './counting';
import { benchOverview } from './overview';
import { createScratchDatabase } from './scratch';
import { BENCH_COUNTY, BENCH_TODAY, measureRankings, seedCountyYear } from './statistics';

const PROVINCE = '基准省';
const PREFECTURES = ['基准一市', '基准二市'];
const QUARTER = '2025Q3';

/** The large tables copied per county, each with the column that ties its rows to a station. */
const COPIED = ['informant_roster', 'daily_rollup', 'informant_period', 'station_day', 'station_period', 'station_roster_day', 'activity'];

export interface ProvinceMeasures {
  rankingMs: Record<'day' | 'week' | 'month' | 'quarter', { p50: number; p99: number }>;
  overviewApiMs: { p50: number; p99: number };
  prefectureTableMs: number;
  provinceTableMs: number;
  counting: CountingBench;
}

export interface ProvinceBench {
  counties: number;
  countiesPerPrefecture: number[];
  stationsPerCounty: number;
  informantsPerCounty: number;
  /** Rows per table in the province database (before the counting part). */
  rows: Record<string, number>;
  seedSeconds: number;
  growSeconds: number;
  /** The machine's 1-minute load average when the measures began and ended (os.loadavg). */
  loadAverage: { start: number; end: number };
  one: ProvinceMeasures;
  province: ProvinceMeasures;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** The columns of a table, in order, with whether the database generates them (serial/identity ids). */
async function columnsOf(ds: DataSource, table: string): Promise<Array<{ name: string; generated: boolean }>> {
  return ds.query(
    `SELECT a.attname AS name, (a.attidentity <> '' OR coalesce(pg_get_expr(d.adbin, d.adrelid), '') LIKE 'nextval(%') AS generated
     FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [table],
  );
}

/**
 * Grows the database by `extra` counties shaped like the measured one, in SQL: the stations, then
 * the informants, then every large table through id maps (old → new station, informant). Every
 * column is copied as it is except the ids it maps, so a column added by a later schema (county_id)
 * is copied too (a `county_id` takes the new county). updated_at is copied: the rows are as old as the
 * measured county's, which the summaries already cover (the summaries are copied, not recounted).
 */
async function grow(ds: DataSource, countyId: number, extra: number, prefectureIds: number[]): Promise<void> {
  await ds.query(
    `INSERT INTO region (name, level, parent_id)
     SELECT '基准县' || k, 'county', ($2::int[])[1 + k % 2] FROM generate_series(2, $1 + 1) k`,
    [extra, prefectureIds],
  );
  const expr = (table: string, c: { name: string; generated: boolean }): string | null => {
    if (c.generated) return null;
    if (c.name === 'station_id') return 'sm.new_id';
    if (c.name === 'informant_id') return 'im.new_id';
    if (c.name === 'county_id') return 'sm.county_id';
    if (table === 'informant' && c.name === 'wechat_contact_id') return `'p' || sm.county_id || '-' || t.wechat_contact_id`;
    return `t."${c.name}"`;
  };
  const copy = async (table: string, from: string): Promise<void> => {
    const cols = (await columnsOf(ds, table)).map((c) => ({ c, e: expr(table, c) })).filter((x) => x.e !== null);
    await ds.query(
      `INSERT INTO "${table}" (${cols.map((x) => `"${x.c.name}"`).join(', ')}) SELECT ${cols.map((x) => x.e).join(', ')} ${from}`,
    );
  };
  // Stations: the measured county's, in each new county.
  const stationCols = (await columnsOf(ds, 'station')).filter((c) => !c.generated);
  await ds.query(
    `INSERT INTO station (${stationCols.map((c) => `"${c.name}"`).join(', ')})
     SELECT ${stationCols.map((c) => (c.name === 'county_id' ? 'c.id' : `t."${c.name}"`)).join(', ')}
     FROM station t CROSS JOIN region c WHERE t.county_id = $1 AND c.level = 'county' AND c.name LIKE '基准县%'`,
    [countyId],
  );
  await ds.query(`DROP TABLE IF EXISTS bench_station_map, bench_informant_map`);
  await ds.query(
    `CREATE TABLE bench_station_map AS
     SELECT o.id AS old_id, n.id AS new_id, n.county_id FROM station o JOIN station n ON n.name = o.name AND n.county_id <> o.county_id
     JOIN region c ON c.id = n.county_id AND c.name LIKE '基准县%' WHERE o.county_id = $1`,
    [countyId],
  );
  await ds.query(`CREATE INDEX ON bench_station_map (old_id, county_id)`);
  await copy('informant', `FROM informant t JOIN bench_station_map sm ON sm.old_id = t.station_id`);
  await ds.query(
    `CREATE TABLE bench_informant_map AS
     SELECT o.id AS old_id, n.id AS new_id, sm.county_id FROM informant o JOIN bench_station_map sm ON sm.old_id = o.station_id
     JOIN informant n ON n.wechat_contact_id = 'p' || sm.county_id || '-' || o.wechat_contact_id`,
  );
  await ds.query(`CREATE INDEX ON bench_informant_map (old_id, county_id)`);
  await ds.query('ANALYZE bench_station_map, bench_informant_map');
  for (const table of COPIED) {
    const names = (await columnsOf(ds, table)).map((c) => c.name);
    await copy(
      table,
      `FROM "${table}" t JOIN bench_station_map sm ON sm.old_id = t.station_id` +
        (names.includes('informant_id')
          ? ` JOIN bench_informant_map im ON im.old_id = t.informant_id AND im.county_id = sm.county_id`
          : ''),
    );
  }
  await ds.query(`DROP TABLE bench_station_map, bench_informant_map`);
  await ds.query('ANALYZE');
}

/** Opens a second database made from `source` (a file copy: CREATE DATABASE … TEMPLATE). */
async function copyDatabase(adminUrl: string, sourceName: string, targetName: string): Promise<string> {
  const { Client } = await import('pg');
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${targetName} TEMPLATE ${sourceName}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${targetName}`;
  return url.toString();
}

/** Runs the province bench on the server behind `adminUrl` (two scratch databases, dropped after). */
export async function benchProvince(adminUrl: string, config: AppConfig, log: Logger): Promise<ProvinceBench> {
  const counties = Math.max(2, Number(process.env.BENCH_PROVINCE_COUNTIES ?? 20));
  const tableRuns = Number(process.env.BENCH_TABLE_RUNS ?? 2);
  const scratch = await createScratchDatabase(adminUrl, 'kepubot_bench_one');
  const provinceName = `${scratch.name.replace('one', 'province')}`;
  const opened: DataSource[] = [];
  try {
    let one = await openDataSource({ url: scratch.url, poolSize: 10 });
    opened.push(one);
    const t0 = process.hrtime.bigint();
    const { countyId } = await seedCountyYear(one);
    // The county in a prefecture of a province; the other prefecture is empty in this database.
    const [{ id: provinceId }]: Array<{ id: number }> = await one.query(
      `INSERT INTO region (name, level) VALUES ($1, 'province') RETURNING id`,
      [PROVINCE],
    );
    const prefectureIds: number[] = [];
    for (const name of PREFECTURES)
      prefectureIds.push(
        (await one.query(`INSERT INTO region (name, level, parent_id) VALUES ($1, 'prefecture', $2) RETURNING id`, [name, provinceId]))[0]
          .id as number,
      );
    await one.query(`UPDATE region SET parent_id = $2 WHERE id = $1`, [countyId, prefectureIds[0]]);
    const seedSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    // The copy needs the source database without connections.
    await one.destroy();
    opened.pop();
    const provinceUrl = await copyDatabase(adminUrl, scratch.name, provinceName);
    one = await openDataSource({ url: scratch.url, poolSize: 10 });
    opened.push(one);
    const prov = await openDataSource({ url: provinceUrl, poolSize: 10 });
    opened.push(prov);
    const t1 = process.hrtime.bigint();
    await grow(prov, countyId, counties - 1, prefectureIds);
    const growSeconds = Number(process.hrtime.bigint() - t1) / 1e9;

    const rows: Record<string, number> = {};
    for (const table of ['region', 'station', 'informant', ...COPIED, 'share_event', 'effective_share'])
      rows[table] = Number((await prov.query(`SELECT count(*) AS n FROM "${table}"`))[0].n);
    const perPrefecture: Array<{ n: string }> = await prov.query(
      `SELECT count(*) AS n FROM region WHERE level = 'county' AND parent_id = ANY($1) GROUP BY parent_id ORDER BY parent_id`,
      [prefectureIds],
    );

    const loadStart = loadavg()[0];
    const statConfig = loadConfig({ LOG_LEVEL: 'silent' });
    const services: Services[] = [];
    for (const ds of [one, prov]) services.push((await composeCore(statConfig, { dataSource: ds })).services);
    // Warm both (plans, caches), then the rankings interleaved.
    await measureRankings(services, countyId, 2);
    const ranking = await measureRankings(services, countyId, Number(process.env.BENCH_STAT_RUNS ?? 20));
    const quarter = parsePeriod(QUARTER)!;
    const tables = async (s: Services): Promise<{ prefecture: number; province: number }> => {
      let prefecture = 0;
      let province = 0;
      // One unmeasured run of each (caches, plans), then the slowest of tableRuns.
      await s.reports.prefectureWorkbook({ id: prefectureIds[0], name: PREFECTURES[0] }, quarter, BENCH_TODAY, '季度统计表');
      await s.reports.provinceWorkbook({ id: provinceId, name: PROVINCE }, quarter, BENCH_TODAY, '季度统计表');
      for (let i = 0; i < tableRuns; i++) {
        prefecture = Math.max(
          prefecture,
          await time(() =>
            s.reports.prefectureWorkbook({ id: prefectureIds[0], name: PREFECTURES[0] }, quarter, BENCH_TODAY, '季度统计表'),
          ),
        );
        province = Math.max(
          province,
          await time(() => s.reports.provinceWorkbook({ id: provinceId, name: PROVINCE }, quarter, BENCH_TODAY, '季度统计表')),
        );
      }
      return { prefecture, province };
    };
    const oneTables = await tables(services[0]);
    const provTables = await tables(services[1]);
    const oneOverview = await benchOverview(one);
    const provOverview = await benchOverview(prov);
    const oneCounting = await benchCounting(one, config, log);
    const provCounting = await benchCounting(prov, config, log);
    const [stations] = await one.query(`SELECT count(*)::int AS n FROM station WHERE county_id = $1`, [countyId]);
    const [informants] = await one.query(
      `SELECT count(*)::int AS n FROM informant i JOIN station s ON s.id = i.station_id WHERE s.county_id = $1`,
      [countyId],
    );
    const measures = (i: 0 | 1): ProvinceMeasures => ({
      rankingMs: ranking[i],
      overviewApiMs: (i === 0 ? oneOverview : provOverview).apiMs,
      prefectureTableMs: +(i === 0 ? oneTables : provTables).prefecture.toFixed(1),
      provinceTableMs: +(i === 0 ? oneTables : provTables).province.toFixed(1),
      counting: i === 0 ? oneCounting : provCounting,
    });
    return {
      counties,
      countiesPerPrefecture: perPrefecture.map((r) => Number(r.n)),
      stationsPerCounty: stations.n,
      informantsPerCounty: informants.n,
      rows,
      seedSeconds: +seedSeconds.toFixed(1),
      growSeconds: +growSeconds.toFixed(1),
      loadAverage: { start: +loadStart.toFixed(2), end: +loadavg()[0].toFixed(2) },
      one: measures(0),
      province: measures(1),
    };
  } finally {
    for (const ds of opened) if (ds.isInitialized) await ds.destroy();
    await scratch.admin.query(`DROP DATABASE IF EXISTS ${provinceName} WITH (FORCE)`);
    await scratch.admin.query(`DROP DATABASE IF EXISTS ${scratch.name} WITH (FORCE)`);
    await scratch.admin.end();
  }
}

/** Prints the province bench: one table, one county vs province, with the ratio and the target. */
export function printProvinceBench(b: ProvinceBench): void {
  console.log(
    `\nkepubot benchmark — a province-shaped database (${BENCH_COUNTY} + ${b.counties - 1} counties of the same shape in ${b.countiesPerPrefecture.length} prefectures: ${b.countiesPerPrefecture.join(' + ')})`,
  );
  console.log(
    `  each county: ${b.stationsPerCounty} stations, ${b.informantsPerCounty} informants; county year seeded in ${b.seedSeconds} s, ${b.counties - 1} counties added in ${b.growSeconds} s`,
  );
  console.log(
    `  load average (1 min, ${cpus().length} cores): ${b.loadAverage.start} when the measures began, ${b.loadAverage.end} at the end`,
  );
  console.log(
    `  province database rows: ${Object.entries(b.rows)
      .map(([t, n]) => `${t} ${n}`)
      .join(', ')}`,
  );
  const rows: Array<[string, number, number, string]> = [];
  for (const k of ['day', 'week', 'month', 'quarter'] as const)
    rows.push([`county ranking p99 (${k}), ms`, b.one.rankingMs[k].p99, b.province.rankingMs[k].p99, '< 20 ms, ratio ≤ 1.2']);
  rows.push(['overview API p99, ms', b.one.overviewApiMs.p99, b.province.overviewApiMs.p99, '< 50 ms']);
  rows.push([`prefecture quarterly table ${QUARTER}, ms`, b.one.prefectureTableMs, b.province.prefectureTableMs, '—']);
  rows.push([`province quarterly table ${QUARTER}, ms`, b.one.provinceTableMs, b.province.provinceTableMs, '< 5000 ms']);
  rows.push(['counting path, messages/s', b.one.counting.messagesPerSecond, b.province.counting.messagesPerSecond, '≥ 5000']);
  rows.push(['plain batched INSERT, rows/s', b.one.counting.plainInsertRowsPerSecond, b.province.counting.plainInsertRowsPerSecond, '—']);
  rows.push([
    'counting ÷ plain INSERT',
    b.one.counting.ratioMessagesVsPlainInsert,
    b.province.counting.ratioMessagesVsPlainInsert,
    '≥ 0.8',
  ]);
  const w = Math.max(...rows.map((r) => r[0].length)) + 2;
  console.log(`  ${'measure'.padEnd(w)}${'one county'.padStart(12)}${'province'.padStart(12)}${'ratio'.padStart(8)}   target`);
  for (const [m, a, p, t] of rows)
    console.log(`  ${m.padEnd(w)}${String(a).padStart(12)}${String(p).padStart(12)}${(a ? (p / a).toFixed(2) : '—').padStart(8)}   ${t}`);
  console.log(JSON.stringify(b));
}
