/**
 * The durable intake, measured in `npm run bench`:
 * - spool write rate while PostgreSQL refuses connections (shares/s through ShareCounter.record,
 *   each acknowledged only after fdatasync), next to two plain fdatasync'd appends of the same
 *   bytes in the same run: one write + fdatasync per share with as many in flight (a plain durable
 *   append), and the bytes cut into as many writes as the spool's group commits made (the disk's
 *   own limit, which leaves only the spool's CPU cost: serialising and acknowledging each share);
 * - drain rate after recovery (spooled shares written back per second), next to the normal
 *   counting rate of the same number of fresh shares straight into PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { openDataSource } from '../src/db/data-source';
import type { Logger } from '../src/logger';
import { createMetrics } from '../src/metrics';
import { ShareCounter, type ShareInput } from '../src/services/share-counter.service';
import { ShareSpool } from '../src/services/share-spool';

export interface SpoolBench {
  shares: number;
  concurrency: number;
  spoolBytes: number;
  spoolWrites: number;
  spoolSharesPerSecond: number;
  plainAppendSharesPerSecond: number;
  ratioSpoolVsPlainAppend: number;
  onePerShareFsyncSharesPerSecond: number;
  ratioSpoolVsOnePerShareFsync: number;
  drainSharesPerSecond: number;
  directCountingSharesPerSecond: number;
  ratioDrainVsDirect: number;
}

function shareAt(i: number, prefix: string): ShareInput {
  const informant = i % 5000;
  return {
    messageId: `${prefix}-${i}`,
    roomId: `bench-room-${Math.floor(informant / 25)}@chatroom`,
    talkerId: `bench-contact-${informant}`,
    talkerName: `信息员${informant}`,
    link: {
      kind: 'text',
      url: `https://m.kepuchina.cn/tuwendetail?id=${900000 + (i % 400)}`,
      contentKey: `kepu:${900000 + (i % 400)}`,
      title: undefined,
    } as ShareInput['link'],
    sentAt: new Date(Date.UTC(2026, 10, 26, 2, 0, 0) + i),
  };
}

async function pushAll(counter: ShareCounter, inputs: ShareInput[], concurrency: number): Promise<number> {
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < inputs.length) await counter.record(inputs[next++]);
    }),
  );
  await counter.flush();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Runs on a database of its own (created next to `adminUrl`'s, seeded by `seed`), dropped at the end. */
export async function benchSpool(adminUrl: string, seed: (ds: DataSource) => Promise<void>, log: Logger): Promise<SpoolBench> {
  const SHARES = Number(process.env.BENCH_SPOOL_SHARES ?? 40_000);
  const CONCURRENCY = 1000;
  const name = `kepubot_bench_spool_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const ds = await openDataSource({ url: url.toString(), poolSize: 10 });
  const dir = await mkdtemp(path.join(tmpdir(), 'kepubot-bench-spool-'));
  try {
    await seed(ds);
    const metrics = createMetrics();
    const spool = new ShareSpool(path.join(dir, 'spool'), { maxBytes: 2 ** 31 });
    const counter = new ShareCounter(ds, { batchMax: 500, batchWaitMs: 2, writeTimeoutMs: 5000 }, metrics, log, spool);
    await counter.start();
    const inputs = Array.from({ length: SHARES }, (_, i) => shareAt(i, 'spooled'));

    // PostgreSQL goes away for this database: connections refused, the open ones terminated.
    await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
    // The first failed batch switches the counter to spooling; the steady state is measured.
    await counter.record(shareAt(0, 'spooled-warm'));
    const spooledBefore = spool.syncs;
    const spoolSeconds = await pushAll(counter, inputs, CONCURRENCY);
    if (counter.state.spoolDepth !== SHARES + 1)
      throw new Error(`expected ${SHARES + 1} spooled shares, found ${counter.state.spoolDepth}`);
    const spoolWrites = spool.syncs - spooledBefore;
    const segments = (await readdir(path.join(dir, 'spool'))).filter((f) => f.endsWith('.jsonl')).sort();
    const bytes = Buffer.concat(await Promise.all(segments.map((f) => readFile(path.join(dir, 'spool', f)))));

    // The raw limit: the same bytes appended in the same number of writes, each followed by fdatasync.
    const plainFile = await open(path.join(dir, 'plain.jsonl'), 'a');
    const chunk = Math.ceil(bytes.length / spoolWrites);
    const t1 = process.hrtime.bigint();
    for (let off = 0; off < bytes.length; off += chunk) {
      const part = bytes.subarray(off, Math.min(bytes.length, off + chunk));
      await plainFile.write(part, 0, part.length, null);
      await plainFile.datasync();
    }
    const plainSeconds = Number(process.hrtime.bigint() - t1) / 1e9;
    await plainFile.close();
    // A plain durable append without group commit: each share's line written and fdatasync'd
    // before it is acknowledged, with as many in flight as the spool had (first 10,000 lines).
    const lines = bytes.toString('utf8').split('\n').filter(Boolean).slice(0, 10_000);
    const single = await open(path.join(dir, 'single.jsonl'), 'a');
    let nextLine = 0;
    const t2 = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (nextLine < lines.length) {
          await single.write(`${lines[nextLine++]}\n`);
          await single.datasync();
        }
      }),
    );
    const singleSeconds = Number(process.hrtime.bigint() - t2) / 1e9;
    await single.close();

    // PostgreSQL is back: write the spool back.
    await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    for (let i = 0; ; i++) {
      try {
        await ds.query('SELECT 1');
        break;
      } catch {
        if (i > 50) throw new Error('the bench database did not come back');
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const t3 = process.hrtime.bigint();
    const drained = await counter.drainNow();
    const drainSeconds = Number(process.hrtime.bigint() - t3) / 1e9;
    const [{ stored }] = await ds.query(`SELECT count(*)::int AS stored FROM share_event WHERE message_id LIKE 'spooled-%'`);
    if (stored !== SHARES + 1) throw new Error(`expected ${SHARES} stored shares after the drain, found ${stored} (drained ${drained})`);

    // The normal counting rate: as many fresh shares straight into PostgreSQL.
    const direct = Array.from({ length: SHARES }, (_, i) => shareAt(i, 'direct'));
    const directSeconds = await pushAll(counter, direct, CONCURRENCY);
    await counter.close(Date.now() + 5000);

    const spoolRate = SHARES / spoolSeconds;
    const plainRate = SHARES / plainSeconds;
    const drainRate = SHARES / drainSeconds;
    const directRate = SHARES / directSeconds;
    return {
      shares: SHARES,
      concurrency: CONCURRENCY,
      spoolBytes: bytes.length,
      spoolWrites,
      spoolSharesPerSecond: Math.round(spoolRate),
      plainAppendSharesPerSecond: Math.round(plainRate),
      ratioSpoolVsPlainAppend: +(spoolRate / plainRate).toFixed(2),
      onePerShareFsyncSharesPerSecond: Math.round(lines.length / singleSeconds),
      ratioSpoolVsOnePerShareFsync: +(spoolRate / (lines.length / singleSeconds)).toFixed(1),
      drainSharesPerSecond: Math.round(drainRate),
      directCountingSharesPerSecond: Math.round(directRate),
      ratioDrainVsDirect: +(drainRate / directRate).toFixed(2),
    };
  } finally {
    await ds.destroy().catch(() => undefined);
    await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`).catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  }
}
