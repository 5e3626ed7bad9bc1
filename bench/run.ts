/**
 * `npm run bench`: pushes a stream of synthetic group messages through the real counting path
 * (link recognition → robot → share-counter script → ShareCounter → PostgreSQL) and compares it
 * with a plain batched INSERT of the same rows into the same table, in the same run.
 *
 * Uses DATABASE_URL (a scratch database is created and dropped on it) or an embedded PostgreSQL
 * in a temporary directory. Options: BENCH_MESSAGES (default 100000), BENCH_CONCURRENCY (1000),
 * BENCH_ROSTER_ROWS (100000; the roster import part, also runnable alone: bench/roster-import.ts),
 * BENCH_ONLY=counting, spool, callbacks, statistics, overview, console, hostile-uploads, accounts or province (run only that part;
 * hostile roster uploads through the console's route, also runnable alone: bench/hostile-uploads.ts;
 * accounts: 50 WeChat accounts over gRPC, see bench/accounts.ts), BENCH_CALLBACKS (4000),
 * BENCH_OVERVIEW_RUNS (200); province (bench/province.ts: a county vs a province-shaped database;
 * BENCH_PROVINCE_COUNTIES, default 20).
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { loadConfig } from '../src/config';
import { openDataSource } from '../src/db/data-source';
import { openDatabaseServer } from '../src/db/embedded-postgres';
import { createLogger } from '../src/logger';
import { benchAccounts, printAccountsBench } from './accounts';
import { benchCallbacks, type CallbackBench } from './callbacks';
import { benchCounting, printCountingBench, seed } from './counting';
import { measureConsoleSize, printConsoleSize } from './console-size';
import { benchSpool, type SpoolBench } from './spool';
import { benchRosterImport, printRosterBench } from './roster-import';
import { benchHostileUploads, printHostileBench } from './hostile-uploads';
import { benchOverview, printOverviewBench } from './overview';
import { benchProvince, printProvinceBench } from './province';
import { benchStatistics, type StatisticsBench } from './statistics';

async function main(): Promise<void> {
  const log = createLogger('warn');
  const env = process.env;
  // The console's first-load size (dist/web) needs no database.
  if (!env.BENCH_ONLY || env.BENCH_ONLY === 'console') printConsoleSize(measureConsoleSize());
  if (env.BENCH_ONLY === 'console') return;
  let dataDir: string | null = null;
  let adminUrl = env.DATABASE_URL;
  let stopServer = async (): Promise<void> => undefined;
  if (!adminUrl) {
    dataDir = await mkdtemp(path.join(tmpdir(), 'kepubot-bench-'));
    const server = await openDatabaseServer({ dataDir, embeddedPort: 20000 + Math.floor(Math.random() * 20000) }, log);
    adminUrl = server.url;
    stopServer = () => server.stop();
  }
  const dbName = `kepubot_bench_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;

  const config = loadConfig({ DATABASE_URL: url.toString(), LOG_LEVEL: 'warn', KEPU_MINIPROGRAM_APPIDS: 'wx1234567890abcdef' });
  const ds = await openDataSource({ url: url.toString(), poolSize: 10 });
  const printSpool = (sp: SpoolBench): void => {
    console.log('\nkepubot benchmark — durable intake (PostgreSQL refusing connections, then back)');
    console.log(
      `  ${sp.shares} shares, ${sp.concurrency} in flight, ${sp.spoolBytes} bytes in ${sp.spoolWrites} group-committed fdatasync'd writes`,
    );
    console.log(`  spool while down:   ${sp.spoolSharesPerSecond} shares/s (each acknowledged after fdatasync)`);
    console.log(
      `  plain append:       ${sp.onePerShareFsyncSharesPerSecond} shares/s (same lines, write + fdatasync each, ${sp.concurrency} in flight)`,
    );
    console.log(`  ratio:              ${sp.ratioSpoolVsOnePerShareFsync}× the plain fdatasync'd append (target ≥ 0.5)`);
    console.log(
      `  disk limit:         ${sp.plainAppendSharesPerSecond} shares/s (same bytes in the spool's ${sp.spoolWrites} writes); spool ${sp.ratioSpoolVsPlainAppend}× of it (the rest is serialising and acknowledging each share)`,
    );
    console.log(
      `  drain after:        ${sp.drainSharesPerSecond} shares/s written back, vs ${sp.directCountingSharesPerSecond} shares/s counted directly (${sp.ratioDrainVsDirect}×)`,
    );
    console.log(JSON.stringify(sp));
  };
  const printCallbacks = (cb: CallbackBench): void => {
    console.log('\nkepubot benchmark — WeCom callbacks (verify → decrypt → parse → command → encrypted reply)');
    console.log(`  ${cb.requests} callbacks (half 活动, half 本月), 16 concurrent HTTP clients`);
    console.log(
      `  callback path:  ${cb.callbacksPerSecond} callbacks/s  p50 ${cb.callbackLatencyMs.p50} ms  p99 ${cb.callbackLatencyMs.p99} ms`,
    );
    console.log(`  bare Koa route: ${cb.bareRequestsPerSecond} requests/s  p50 ${cb.bareLatencyMs.p50} ms  p99 ${cb.bareLatencyMs.p99} ms`);
    console.log(`  ratio:          ${cb.ratio}× the bare route (target ≥ 0.4; WeCom's deadline is 5 s per callback)`);
    console.log(JSON.stringify(cb));
  };
  const printStatistics = (st: StatisticsBench): void => {
    console.log('\nkepubot benchmark — statistics for a county over a year (from daily rollups)');
    console.log(
      `  ${st.stations} stations × ${st.informants / st.stations} informants, ${st.rollupRows} rollup rows, seeded in ${st.seedSeconds} s, summaries built in ${st.summarySeconds} s`,
    );
    for (const [k, v] of Object.entries(st.rankingMs))
      console.log(`  county ranking (${k}):`.padEnd(28) + `p50 ${v.p50} ms  p99 ${v.p99} ms (target p99 < 20 ms)`);
    console.log(`  one station's month:       p50 ${st.stationMonthMs.p50} ms  p99 ${st.stationMonthMs.p99} ms`);
    console.log(`  weekly digest (county):    ${st.weeklyDigestMs} ms`);
    console.log(`  quarterly table (.xlsx):   ${st.quarterlyTableMs} ms (target < 2000 ms)`);
    console.log(
      `  baseline: month ranking from ${st.shareEventsForBaseline} raw share events ${st.baselineMonthRankingFromShareEventsMs} ms vs ${st.rollupMonthRankingMs} ms from rollups`,
    );
    console.log(JSON.stringify(st));
  };
  try {
    if (env.BENCH_ONLY === 'spool') {
      printSpool(await benchSpool(adminUrl, seed, log));
      return;
    }
    if (env.BENCH_ONLY === 'callbacks') {
      printCallbacks(await benchCallbacks(ds));
      return;
    }
    if (env.BENCH_ONLY === 'statistics') {
      printStatistics(await benchStatistics(ds));
      // On the same year of county data.
      printOverviewBench(await benchOverview(ds));
      return;
    }
    if (env.BENCH_ONLY === 'accounts') {
      printAccountsBench(await benchAccounts(adminUrl));
      return;
    }
    if (env.BENCH_ONLY === 'overview') {
      printOverviewBench(await benchOverview(ds));
      return;
    }
    if (env.BENCH_ONLY === 'province') {
      printProvinceBench(await benchProvince(adminUrl, config, log));
      return;
    }
    if (env.BENCH_ONLY === 'hostile-uploads') {
      printHostileBench(await benchHostileUploads(adminUrl));
      return;
    }
    printCountingBench(await benchCounting(ds, config, log));
    if (env.BENCH_ONLY === 'counting') return;

    printSpool(await benchSpool(adminUrl, seed, log));

    // Callbacks before the year of statistics, so autovacuum of the big tables does not disturb them.
    printCallbacks(await benchCallbacks(ds));

    printStatistics(await benchStatistics(ds));
    // On the same year of county data.
    printOverviewBench(await benchOverview(ds));

    printRosterBench(await benchRosterImport(adminUrl));

    printHostileBench(await benchHostileUploads(adminUrl));

    printAccountsBench(await benchAccounts(adminUrl));

    printProvinceBench(await benchProvince(adminUrl, config, log));
  } finally {
    await ds.destroy();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
    await stopServer();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
