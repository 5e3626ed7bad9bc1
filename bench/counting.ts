/**
 * Part of `npm run bench` (alone: BENCH_ONLY=counting): pushes a stream of synthetic group messages
 * through the real counting path (link recognition → robot → share-counter script → ShareCounter →
 * PostgreSQL) and compares it with a plain batched INSERT of the same rows into the same table
 * (partitioned by month when the schema partitions it), in the same run. Runs on any bench
 * database: the counting county (基准旗) and its month (November 2026) are its own, so a database
 * holding a province's year (bench/province.ts) is measured the same way.
 */
import type { DataSource } from 'typeorm';
import type { IncomingMessage } from '../src/bot/context';
import { KepuPuppetMock } from '../src/channels/wechat/kepu-puppet-mock';
import { ManualClock } from '../src/clock';
import { compose } from '../src/compose';
import type { AppConfig } from '../src/config';
import { monthBounds } from '../src/db/partitioning';
import { findKepuLinksInText, recognizeMiniProgram, recognizeUrlCard, type KepuLink } from '../src/domain/kepu-links';
import type { Logger } from '../src/logger';
import { createMetrics } from '../src/metrics';
import { clearMonth, ensureBenchPartitions } from './scratch';

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

/** The counting county: 50 stations, 200 groups, 5,000 informants. */
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

/** The month the counting part writes (its warm-up day and its counting day). */
const COUNTING_MONTH = '2026-11';

/** The counting county's informants (their rollups are the part's own). */
const COUNTING_INFORMANTS = `informant_id IN (SELECT i.id FROM informant i JOIN station s ON s.id = i.station_id
  JOIN region r ON r.id = s.county_id WHERE r.name = '基准旗' AND r.level = 'county')`;

/** Removes what an earlier counting run wrote: the month's share events and effective shares, the county's rollups of the month. */
async function clearCounting(ds: DataSource): Promise<void> {
  await clearMonth(ds, 'share_event', COUNTING_MONTH);
  await clearMonth(ds, 'effective_share', COUNTING_MONTH);
  const { from, to } = monthBounds(COUNTING_MONTH);
  await ds.query(`DELETE FROM daily_rollup WHERE day >= $1 AND day < $2 AND ${COUNTING_INFORMANTS}`, [from, to]);
}

export type CountingBench = Awaited<ReturnType<typeof benchCounting>>;

/** The counting path against a plain batched INSERT of the same rows, on `ds`. */
export async function benchCounting(ds: DataSource, config: AppConfig, log: Logger) {
  // The counting county (基准旗): seeded once per database (a second run on the same database reuses it).
  const seeded: unknown[] = await ds.query(`SELECT 1 FROM region WHERE name = '基准旗' AND level = 'county'`);
  if (seeded.length === 0) {
    await seed(ds);
    // Statistics as autovacuum keeps them on a running server (the county's tables were just filled).
    await ds.query('ANALYZE');
  }
  await ensureBenchPartitions(ds, [COUNTING_MONTH]);
  await clearCounting(ds);
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
  await clearCounting(ds);

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

  const { from: monthFrom, to: monthTo } = monthBounds(COUNTING_MONTH);
  const [{ stored, effective }] = await ds.query(
    `SELECT count(*)::int AS stored, count(*) FILTER (WHERE effective)::int AS effective FROM share_event WHERE day >= $1 AND day < $2`,
    [monthFrom, monthTo],
  );
  const [{ rolled }] = await ds.query(
    `SELECT coalesce(sum(raw_shares), 0)::int AS rolled FROM daily_rollup WHERE day >= $1 AND day < $2 AND ${COUNTING_INFORMANTS}`,
    [monthFrom, monthTo],
  );
  const hist = (await metrics.shareBatchSeconds.get()).values;
  const batchSum = hist.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0;
  const batchCount = hist.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
  const sorted = Array.from(latencies).sort((a, b) => a - b);

  // --- baseline: a plain batched INSERT of the same rows into the same table ---
  // Every column but the generated id, whatever the schema (county_id, partitions) holds now.
  const columns: Array<{ name: string; type: string }> = await ds.query(
    `SELECT a.attname AS name, format_type(a.atttypid, NULL) AS type FROM pg_attribute a
     WHERE a.attrelid = 'share_event'::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attname NOT IN ('id', 'created_at')
     ORDER BY a.attnum`,
  );
  const cols = columns.map((c) => c.name);
  const rows: Array<Record<string, unknown>> = await ds.query(
    `SELECT ${cols.map((c) => `"${c}"`).join(', ')} FROM share_event WHERE day >= $1 AND day < $2 ORDER BY id`,
    [monthFrom, monthTo],
  );
  await clearMonth(ds, 'share_event', COUNTING_MONTH);
  const plainSql = `INSERT INTO share_event (${cols.map((c) => `"${c}"`).join(', ')})
    SELECT * FROM unnest(${columns.map((c, i) => `$${i + 1}::${c.type}[]`).join(', ')})`;
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
  const [{ partitioned }]: Array<{ partitioned: boolean }> = await ds.query(
    `SELECT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = 'share_event'::regclass) AS partitioned`,
  );
  // The robot's wiring is done (its puppet and watchers would keep the process alive); the
  // database stays open for the parts after this one.
  await app.stop();
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
    storedRowsPerSecond: Math.round(storedRate),
    latencyMs: {
      p50: +percentile(sorted, 50).toFixed(2),
      p99: +percentile(sorted, 99).toFixed(2),
      max: +sorted[sorted.length - 1].toFixed(2),
    },
    plainInsertRowsPerSecond: Math.round(plainRate),
    batchMax: BATCH,
    ratioMessagesVsPlainInsert: +(msgRate / plainRate).toFixed(2),
    ratioStoredRowsVsPlainInsert: +(storedRate / plainRate).toFixed(2),
    shareBatches: { count: batchCount, meanRows: Math.round(shares / Math.max(1, batchCount)), secondsInDatabase: +batchSum.toFixed(2) },
    rssMiB: { before: Math.round(rssBefore / 2 ** 20), peak: Math.round(rssPeak / 2 ** 20) },
    partitioned,
  };
  return report;
}

/** Prints the counting bench. */
export function printCountingBench(r: CountingBench): void {
  console.log('\nkepubot benchmark — share counting path (npm run bench)');
  console.log(
    `  ${r.messages} messages (${r.shareMessages} carrying a Kepu China link: ${r.sharesStored} stored, ${r.effectiveShares} effective), ${r.groups} groups, ${r.informants} informants`,
  );
  console.log(
    `  counting path:  ${r.messagesPerSecond} messages/s  (${r.storedRowsPerSecond} share rows/s)  p50 ${r.latencyMs.p50} ms  p99 ${r.latencyMs.p99} ms per message`,
  );
  console.log(
    `  plain INSERT:   ${r.plainInsertRowsPerSecond} rows/s into share_event${r.partitioned ? ' (partitioned by month)' : ''} (same rows, batches of ${r.batchMax})`,
  );
  console.log(
    `  ratio:          messages/s ÷ plain INSERT rows/s = ${r.ratioMessagesVsPlainInsert} (target ≥ 0.8; messages/s target ≥ 5000)`,
  );
  console.log(
    `                  share rows/s ÷ plain INSERT rows/s = ${r.ratioStoredRowsVsPlainInsert} (each share also writes effective_share and daily_rollup)`,
  );
  console.log(`  memory:         RSS ${r.rssMiB.before} MiB before, peak ${r.rssMiB.peak} MiB`);
  console.log(JSON.stringify(r));
}
