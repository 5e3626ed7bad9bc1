/**
 * `npm run bench`: pushes a stream of synthetic group messages through the real counting path
 * (link recognition → robot → share-counter script → ShareCounter → PostgreSQL) and compares it
 * with a plain batched INSERT of the same rows into the same table, in the same run.
 *
 * Uses DATABASE_URL (a scratch database is created and dropped on it) or an embedded PostgreSQL
 * in a temporary directory. Options: BENCH_MESSAGES (default 100000), BENCH_CONCURRENCY (1000),
 * BENCH_ROSTER_ROWS (100000; the roster import part, also runnable alone: bench/roster-import.ts),
 * BENCH_ONLY=counting, spool, callbacks, statistics, overview, console, hostile-uploads or accounts (run only that part;
 * hostile roster uploads through the console's route, also runnable alone: bench/hostile-uploads.ts;
 * accounts: 50 WeChat accounts over gRPC, see bench/accounts.ts), BENCH_CALLBACKS (4000),
 * BENCH_OVERVIEW_RUNS (200).
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import type { IncomingMessage } from '../src/bot/context';
import { ManualClock } from '../src/clock';
import { loadConfig } from '../src/config';
import { openDataSource } from '../src/db/data-source';
import { openDatabaseServer } from '../src/db/embedded-postgres';
import { findKepuLinksInText, recognizeMiniProgram, recognizeUrlCard, type KepuLink } from '../src/domain/kepu-links';
import { createLogger } from '../src/logger';
import { createMetrics } from '../src/metrics';
import { compose } from '../src/compose';
import { KepuPuppetMock } from '../src/channels/wechat/kepu-puppet-mock';
import { benchAccounts, printAccountsBench } from './accounts';
import { benchCallbacks, type CallbackBench } from './callbacks';
import { measureConsoleSize, printConsoleSize } from './console-size';
import { benchSpool, type SpoolBench } from './spool';
import { benchRosterImport, printRosterBench } from './roster-import';
import { benchHostileUploads, printHostileBench } from './hostile-uploads';
import { benchOverview, printOverviewBench } from './overview';
import { benchStatistics, type StatisticsBench } from './statistics';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 100_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 1000);
const GROUPS = 200;
const INFORMANTS = 5_000;
const STATIONS = 50;

/** Deterministic pseudo-random numbers, so every run pushes the same stream. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Synthetic {
  id: string;
  roomId: string;
  talkerId: string;
  kind: 'text' | 'url' | 'mini-program';
  text: string;
  url?: string;
  appid?: string;
  pagePath?: string;
  sentAt: Date;
}

const CHAT = ['收到', '大家晚上好', '今天的文章很实用', '明天几点开会？', '好的，谢谢', '转给家里老人看了', '天气冷了注意保暖'];

function makeStream(start: Date): { stream: Synthetic[]; shares: number } {
  const rand = rng(20261125);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const stream: Synthetic[] = [];
  const recentShares: Synthetic[] = [];
  let shares = 0;
  for (let i = 0; i < MESSAGES; i++) {
    const g = Math.floor(rand() * GROUPS);
    // 25 informants per group; 1 member in 50 is not on the roster (unconfirmed shares).
    const member = Math.floor(rand() * 25);
    const talkerId = rand() < 0.02 ? `bench-stranger-${g}-${member}` : `bench-contact-${g * 25 + member}`;
    const sentAt = new Date(start.getTime() + i * 10);
    const base = { id: `bench-msg-${i}`, roomId: `bench-room-${g}@chatroom`, talkerId, sentAt };
    const r = rand();
    if (r < 0.6) {
      stream.push({ ...base, kind: 'text', text: pick(CHAT) });
      continue;
    }
    shares++;
    if (r < 0.62 && recentShares.length > 0) {
      // Replay: the same WeChat message delivered again after a reconnect.
      stream.push({ ...pick(recentShares), sentAt });
      continue;
    }
    // Items drawn from a pool of 2,000, so some shares repeat an item the sender already shared today.
    const item = 800000 + Math.floor(rand() * 2000);
    const shape = rand();
    let msg: Synthetic;
    if (shape < 0.5) {
      msg = { ...base, kind: 'text', text: `好文推荐 https://m.kepuchina.cn/tuwendetail?id=${item} 请大家转发` };
    } else if (shape < 0.8) {
      msg = {
        ...base,
        kind: 'url',
        text: '科普中国',
        url: `https://www.kepuchina.cn/article/articleinfo?business_type=100&classify=0&ar_id=${item}`,
      };
    } else {
      msg = { ...base, kind: 'mini-program', text: '科普中国', appid: 'wx1234567890abcdef', pagePath: `pages/detail/detail?id=${item}` };
    }
    stream.push(msg);
    recentShares.push(msg);
    if (recentShares.length > 500) recentShares.shift();
  }
  return { stream, shares };
}

export async function seed(ds: DataSource): Promise<void> {
  await ds.query(`INSERT INTO region (name, level) VALUES ('基准旗', 'county')`);
  await ds.query(
    `INSERT INTO station (name, county_id, type)
     SELECT '基准e站' || s, (SELECT id FROM region WHERE name = '基准旗'), 'community' FROM generate_series(1, $1) s`,
    [STATIONS],
  );
  await ds.query(
    `INSERT INTO wechat_group (room_id, topic, station_id, bound_at)
     SELECT 'bench-room-' || g || '@chatroom', '基准群' || g,
            (SELECT id FROM station WHERE name = '基准e站' || (g % $2 + 1)), now()
     FROM generate_series(0, $1 - 1) g`,
    [GROUPS, STATIONS],
  );
  await ds.query(
    `INSERT INTO informant (station_id, name, wechat_contact_id, bound_at)
     SELECT (SELECT station_id FROM wechat_group WHERE room_id = 'bench-room-' || (n / 25) || '@chatroom'),
            '信息员' || n, 'bench-contact-' || n, now()
     FROM generate_series(0, $1 - 1) n`,
    [INFORMANTS],
  );
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

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
    if (env.BENCH_ONLY === 'hostile-uploads') {
      printHostileBench(await benchHostileUploads(adminUrl));
      return;
    }
    await seed(ds);
    const start = new Date('2026-11-25T01:00:00Z');
    const clock = new ManualClock(start);
    const metrics = createMetrics();
    // The real wiring, on the bench's database and clock; messages go straight to the robot.
    const app = await compose(config, {
      dataSource: ds,
      clock,
      log,
      metrics,
      puppet: new KepuPuppetMock(),
      http: false,
      scheduler: false,
      resilience: false,
    });
    const { services, robot } = app;
    const { stream, shares } = makeStream(start);
    const rules = config.links;

    const toIncoming = (m: Synthetic): IncomingMessage => {
      let links: KepuLink[];
      if (m.kind === 'text') links = findKepuLinksInText(m.text, rules);
      else if (m.kind === 'url') links = [recognizeUrlCard({ url: m.url!, title: m.text }, rules)].filter((l): l is KepuLink => Boolean(l));
      else
        links = [recognizeMiniProgram({ appid: m.appid, title: m.text, pagePath: m.pagePath }, rules)].filter((l): l is KepuLink =>
          Boolean(l),
        );
      return {
        id: m.id,
        channel: 'wechat-group',
        kind: m.kind,
        text: m.text,
        sentAt: m.sentAt,
        sender: { id: m.talkerId, name: m.talkerId },
        room: { id: m.roomId, topic: m.roomId },
        links,
      };
    };
    let replies = 0;
    const handle = async (m: Synthetic): Promise<void> => {
      const incoming = toIncoming(m);
      await services.groups.remember(incoming.room!.id, incoming.room!.topic);
      await robot.receive(incoming, async () => {
        replies++;
      });
    };

    // Warm-up (JIT, connection pool), not measured: 1,000 messages of another day.
    const warm = makeStream(new Date('2026-11-20T01:00:00Z'))
      .stream.slice(0, 1000)
      .map((m) => ({ ...m, id: `warm-${m.id}` }));
    await Promise.all(warm.map(handle));
    await services.shares.flush();
    await ds.query('TRUNCATE share_event, effective_share, daily_rollup');

    // --- the counting path ---
    const latencies = new Float64Array(stream.length);
    let next = 0;
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const t0 = process.hrtime.bigint();
    const worker = async (): Promise<void> => {
      while (next < stream.length) {
        const i = next++;
        const s = process.hrtime.bigint();
        await handle(stream[i]);
        latencies[i] = Number(process.hrtime.bigint() - s) / 1e6;
        if ((i & 1023) === 0) rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    await services.shares.flush();
    const countingSeconds = Number(process.hrtime.bigint() - t0) / 1e9;

    const [{ stored, effective }] = await ds.query(
      `SELECT count(*)::int AS stored, count(*) FILTER (WHERE effective)::int AS effective FROM share_event`,
    );
    const [{ rolled }] = await ds.query(`SELECT coalesce(sum(raw_shares), 0)::int AS rolled FROM daily_rollup`);
    const hist = (await metrics.shareBatchSeconds.get()).values;
    const batchSum = hist.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0;
    const batchCount = hist.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
    const sorted = Array.from(latencies).sort((a, b) => a - b);

    // --- baseline: a plain batched INSERT of the same rows into the same table ---
    const rows: Array<Record<string, unknown>> = await ds.query(
      `SELECT message_id, room_id, station_id, talker_id, talker_name, informant_id, content_key, url, title,
              message_type, sent_at, day, effective FROM share_event ORDER BY id`,
    );
    await ds.query('TRUNCATE share_event');
    const cols = Object.keys(rows[0]);
    const types = [
      'varchar',
      'varchar',
      'int',
      'varchar',
      'varchar',
      'int',
      'varchar',
      'text',
      'text',
      'varchar',
      'timestamptz',
      'date',
      'bool',
    ];
    const plainSql = `INSERT INTO share_event (${cols.join(', ')})
      SELECT * FROM unnest(${cols.map((_, i) => `$${i + 1}::${types[i]}[]`).join(', ')})`;
    const BATCH = config.counting.batchMax;
    const t1 = process.hrtime.bigint();
    const inserts: Array<Promise<unknown>> = [];
    for (let i = 0; i < rows.length; i += BATCH) {
      const chunk = rows.slice(i, i + BATCH);
      inserts.push(
        ds.query(
          plainSql,
          cols.map((c) => chunk.map((r) => r[c])),
        ),
      );
      if (inserts.length >= 2) await inserts.shift();
    }
    await Promise.all(inserts);
    const plainSeconds = Number(process.hrtime.bigint() - t1) / 1e9;

    const msgRate = stream.length / countingSeconds;
    const shareRate = shares / countingSeconds;
    const storedRate = stored / countingSeconds;
    const plainRate = rows.length / plainSeconds;
    const report = {
      messages: stream.length,
      shareMessages: shares,
      sharesStored: stored,
      effectiveShares: effective,
      rollupRawTotal: rolled,
      repliesSent: replies,
      groups: GROUPS,
      informants: INFORMANTS,
      concurrency: CONCURRENCY,
      countingSeconds: +countingSeconds.toFixed(2),
      messagesPerSecond: Math.round(msgRate),
      shareMessagesPerSecond: Math.round(shareRate),
      latencyMs: {
        p50: +percentile(sorted, 50).toFixed(2),
        p99: +percentile(sorted, 99).toFixed(2),
        max: +sorted[sorted.length - 1].toFixed(2),
      },
      plainInsertRowsPerSecond: Math.round(plainRate),
      ratioMessagesVsPlainInsert: +(msgRate / plainRate).toFixed(2),
      ratioStoredRowsVsPlainInsert: +(storedRate / plainRate).toFixed(2),
      shareBatches: { count: batchCount, meanRows: Math.round(shares / Math.max(1, batchCount)), secondsInDatabase: +batchSum.toFixed(2) },
      rssMiB: { before: Math.round(rssBefore / 2 ** 20), peak: Math.round(rssPeak / 2 ** 20) },
    };
    console.log('\nkepubot benchmark — share counting path (npm run bench)');
    console.log(
      `  ${stream.length} messages (${shares} carrying a Kepu China link: ${stored} stored, ${effective} effective), ${GROUPS} groups, ${INFORMANTS} informants`,
    );
    console.log(
      `  counting path:  ${report.messagesPerSecond} messages/s  (${Math.round(storedRate)} share rows/s)  p50 ${report.latencyMs.p50} ms  p99 ${report.latencyMs.p99} ms per message`,
    );
    console.log(`  plain INSERT:   ${report.plainInsertRowsPerSecond} rows/s into share_event (same rows, batches of ${BATCH})`);
    console.log(
      `  ratio:          messages/s ÷ plain INSERT rows/s = ${report.ratioMessagesVsPlainInsert} (target ≥ 0.5; messages/s target ≥ 5000)`,
    );
    console.log(
      `                  share rows/s ÷ plain INSERT rows/s = ${report.ratioStoredRowsVsPlainInsert} (each share also writes effective_share and daily_rollup)`,
    );
    console.log(`  memory:         RSS ${report.rssMiB.before} MiB before, peak ${report.rssMiB.peak} MiB`);
    console.log(JSON.stringify(report));
    // The robot's wiring is done (its puppet and watchers would keep the process alive); the
    // database stays open for the parts below.
    await app.stop();
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
