/**
 * Part of `npm run bench` (alone: BENCH_ONLY=overview): the console's overview API on the bench's
 * year of county data (bench/statistics.ts: 50 stations × 500 informants), through the real Koa
 * server (compose, a signed-in operator, fetch), next to the service call it wraps
 * (OverviewService.overview) and the statistics call at its heart (StatisticsService.stationTable
 * for the period), in the same run. Target: the API's p99 < 50 ms.
 */
import type { DataSource } from 'typeorm';
import { KepuPuppetMock } from '../src/channels/wechat/kepu-puppet-mock';
import { ManualClock } from '../src/clock';
import { compose } from '../src/compose';
import { loadConfig } from '../src/config';
import { dayOf } from '../src/domain/calendar';
import { periodContaining } from '../src/domain/periods';
import { createLogger } from '../src/logger';
import { BENCH_COUNTY, BENCH_TODAY, seedCountyYear } from './statistics';

export interface OverviewBench {
  stations: number;
  runs: number;
  /** GET /api/v1/overview over HTTP (session check, access, the service, JSON). */
  apiMs: { p50: number; p99: number };
  /** OverviewService.overview: every figure, series, ranking and attention item. */
  serviceMs: { p50: number; p99: number };
  /** StatisticsService.stationTable for the same period (the county's figures and ranking alone). */
  stationTableMs: { p50: number; p99: number };
  responseBytes: number;
}

function pcts(xs: number[]): { p50: number; p99: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) => +s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))].toFixed(2);
  return { p50: at(50), p99: at(99) };
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** Runs the overview bench on `ds`, seeding the county's year first unless an earlier part did. */
export async function benchOverview(ds: DataSource): Promise<OverviewBench> {
  const found: Array<{ id: number }> = await ds.query(`SELECT id FROM region WHERE name = $1 AND level = 'county'`, [BENCH_COUNTY]);
  const countyId = found[0]?.id ?? (await seedCountyYear(ds)).countyId;
  const RUNS = Number(process.env.BENCH_OVERVIEW_RUNS ?? 200);
  const now = new Date(`${BENCH_TODAY}T04:00:00Z`);
  const clock = new ManualClock(now);
  const config = loadConfig({ LOG_LEVEL: 'silent', PORT: '0', HOST: '127.0.0.1', WECHATY_NAME: `bench-overview-${process.pid}` });
  const app = await compose(config, {
    dataSource: ds,
    clock,
    log: createLogger('silent'),
    puppet: new KepuPuppetMock(),
    scheduler: false,
    resilience: false,
  });
  try {
    const base = `http://127.0.0.1:${app.port}`;
    await app.services.consoleAuth.addOperator('bench-operator', 'bench-password-123');
    const signIn = await fetch(`${base}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench-operator', password: 'bench-password-123' }),
    });
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0];
    const get = async (): Promise<number> => {
      const res = await fetch(`${base}/api/v1/overview?county=${countyId}`, { headers: { cookie } });
      if (res.status !== 200) throw new Error(`overview answered ${res.status}: ${await res.text()}`);
      return (await res.arrayBuffer()).byteLength;
    };
    const today = dayOf(now);
    const period = periodContaining('month', today);
    const service = () =>
      app.services.overview.overview({ countyId }, period, today, { loggedIn: true, connected: true, reason: null }, now);
    const table = () => app.services.statistics.stationTable(countyId, period, today);
    // Warm up (plans cached, connections open).
    let responseBytes = 0;
    for (let i = 0; i < 10; i++) {
      responseBytes = await get();
      await service();
      await table();
    }
    const api: number[] = [];
    const svc: number[] = [];
    const tbl: number[] = [];
    // Interleaved, so the three see the same conditions.
    for (let i = 0; i < RUNS; i++) {
      api.push(await time(get));
      svc.push(await time(service));
      tbl.push(await time(table));
    }
    const stations: Array<{ n: number }> = await ds.query(`SELECT count(*)::int AS n FROM station WHERE county_id = $1`, [countyId]);
    return { stations: stations[0].n, runs: RUNS, apiMs: pcts(api), serviceMs: pcts(svc), stationTableMs: pcts(tbl), responseBytes };
  } finally {
    await app.stop();
  }
}

/** Prints the overview bench. */
export function printOverviewBench(o: OverviewBench): void {
  console.log('\nkepubot benchmark — the console overview API (GET /api/v1/overview, a county over its year of data)');
  console.log(`  ${o.stations} stations, ${o.runs} requests each, one at a time; answer ${o.responseBytes} bytes`);
  console.log(`  GET /api/v1/overview:        p50 ${o.apiMs.p50} ms  p99 ${o.apiMs.p99} ms (target p99 < 50 ms)`);
  console.log(`  OverviewService.overview:    p50 ${o.serviceMs.p50} ms  p99 ${o.serviceMs.p99} ms`);
  console.log(`  statistics.stationTable:     p50 ${o.stationTableMs.p50} ms  p99 ${o.stationTableMs.p99} ms (the month's ranking alone)`);
  console.log(JSON.stringify(o));
}
