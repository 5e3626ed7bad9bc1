import { appendFileSync, mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { createLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import { ShareCounter, type ShareInput } from '../../src/services/share-counter.service';
import { ShareSpool, SpoolFullError } from '../../src/services/share-spool';
import { WechatGroup } from '../../src/db/entities';
import { StationService } from '../../src/services/station.service';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { dataDir, waitFor } from '../support/processes';

function share(i: number, over: Partial<ShareInput> = {}): ShareInput {
  return {
    messageId: `spool-m-${i}`,
    roomId: 'spool-room@chatroom',
    talkerId: `spool-talker-${i % 7}`,
    talkerName: `成员${i % 7}`,
    link: {
      kind: 'text',
      url: `https://m.kepuchina.cn/tuwendetail?id=${i}`,
      contentKey: `kepu:${i}`,
      title: undefined,
    } as ShareInput['link'],
    sentAt: new Date('2026-11-20T02:00:00Z'),
    ...over,
  };
}

describe('the share spool (a durable append-only file)', () => {
  let dir: string;
  beforeEach(() => {
    dir = path.join(dataDir('kepubot-spool-'), 'spool');
  });
  afterEach(() => rmSync(path.dirname(dir), { recursive: true, force: true }));

  it('keeps what was appended across a restart, skips a torn last line, and drains in order', async () => {
    const spool = new ShareSpool(dir, { maxBytes: 10 * 1024 * 1024 });
    await spool.open();
    await Promise.all([spool.append([share(1), share(2)]), spool.append([share(3)])]);
    await spool.append([share(4)]);
    expect(spool.depth).toBe(4);
    await spool.close();
    // A crash in the middle of a write leaves half a line (never acknowledged).
    const seg = readdirSync(dir).find((f) => f.endsWith('.jsonl'))!;
    appendFileSync(path.join(dir, seg), '{"m":"spool-m-5","r":"x');

    const again = new ShareSpool(dir, { maxBytes: 10 * 1024 * 1024 });
    await again.open();
    expect(again.depth).toBe(4);
    const seen: string[] = [];
    const n = await again.drain(async (batch) => {
      seen.push(...batch.map((s) => s.messageId));
    }, 3);
    expect(n).toBe(4);
    expect(seen).toEqual(['spool-m-1', 'spool-m-2', 'spool-m-3', 'spool-m-4']);
    expect(again.depth).toBe(0);
    expect(readdirSync(dir).filter((f) => f.endsWith('.jsonl'))).toEqual([]);
  });

  it('is used by one server at a time', async () => {
    const first = new ShareSpool(dir, { maxBytes: 1024 * 1024 });
    await first.open();
    await expect(new ShareSpool(dir, { maxBytes: 1024 * 1024, lockWaitMs: 300 }).open()).rejects.toThrow(
      'another kepubot server uses the share spool',
    );
    await first.close();
    const second = new ShareSpool(dir, { maxBytes: 1024 * 1024 });
    await second.open();
    await second.close();
  });

  it('takes over the lock a killed server left behind once it is stale', async () => {
    mkdirSync(path.join(dir, 'spool.lock'), { recursive: true });
    const old = new Date(Date.now() - 60_000);
    utimesSync(path.join(dir, 'spool.lock'), old, old);
    const spool = new ShareSpool(dir, { maxBytes: 1024 * 1024, lockWaitMs: 0 });
    await spool.open();
    await spool.append([share(1)]);
    expect(spool.depth).toBe(1);
    await spool.close();
  });

  it('keeps a segment when writing it back fails, and refuses appends past its cap', async () => {
    const spool = new ShareSpool(dir, { maxBytes: 1024 * 1024 });
    await spool.open();
    await spool.append([share(1), share(2), share(3)]);
    await expect(spool.drain(async () => Promise.reject(new Error('database down')), 2)).rejects.toThrow('database down');
    expect(spool.depth).toBe(3);
    expect(readdirSync(dir).filter((f) => f.endsWith('.jsonl'))).toHaveLength(1);
    const big = Array.from({ length: 10_000 }, (_, i) => share(100 + i));
    await expect(spool.append(big)).rejects.toBeInstanceOf(SpoolFullError);
    expect(spool.depth).toBe(3);
    await spool.close();
  });

  it('ignores files that are not its segments', async () => {
    const spool = new ShareSpool(dir, { maxBytes: 1024 * 1024 });
    await spool.open();
    writeFileSync(path.join(dir, 'notes.txt'), 'hello');
    await spool.append([share(9)]);
    expect(await spool.drain(async () => undefined, 10)).toBe(1);
    await spool.close();
    expect(readdirSync(dir)).toEqual(['notes.txt']);
  });
});

describe('ShareCounter: PostgreSQL refuses connections, shares go to the spool and come back exactly once', () => {
  let db: TestDatabase;
  let dir: string;
  let admin: Client;
  let name: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    name = new URL(db.url).pathname.slice(1);
    dir = path.join(dataDir('kepubot-spool-'), 'spool');
    admin = new Client({ connectionString: process.env.KEPUBOT_TEST_ADMIN_URL });
    await admin.connect();
    const station = await new StationService(db.ds).add({ name: '容错e站', county: '测试旗' });
    await db.ds
      .getRepository(WechatGroup)
      .save({ roomId: 'spool-room@chatroom', topic: '容错群', stationId: station.id, boundAt: new Date() });
  });

  afterAll(async () => {
    await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`).catch(() => undefined);
    await admin.end();
    await db.close();
    rmSync(path.dirname(dir), { recursive: true, force: true });
  });

  it('spools during the outage, drains after it, and a replayed spool changes nothing', async () => {
    const metrics = createMetrics();
    const spool = new ShareSpool(dir, { maxBytes: 64 * 1024 * 1024 });
    const counter = new ShareCounter(db.ds, { batchMax: 50, batchWaitMs: 0, writeTimeoutMs: 2000 }, metrics, createLogger('silent'), spool);
    await counter.start();
    const before = await Promise.all(Array.from({ length: 20 }, (_, i) => counter.record(share(i))));
    expect(before.every((r) => r.outcome === 'effective' || r.outcome === 'repeat')).toBe(true);

    await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
    const during = await Promise.all(Array.from({ length: 200 }, (_, i) => counter.record(share(20 + i))));
    expect(during.every((r) => r.outcome === 'spooled')).toBe(true);
    expect(counter.state).toMatchObject({ mode: 'spooling', spoolDepth: 200 });

    await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    await waitFor(() => (counter.state.mode === 'direct' ? true : undefined), 'the counter to drain the spool');
    const after = await counter.record(share(500));
    expect(after.outcome).toBe('effective');

    const [{ n, distinct }] = await db.ds.query('SELECT count(*)::int AS n, count(DISTINCT message_id)::int AS distinct FROM share_event');
    expect(n).toBe(221);
    expect(distinct).toBe(221);
    const [{ eff }] = await db.ds.query('SELECT count(*)::int AS eff FROM effective_share');

    // Replaying the same shares (a crash after writing a segment but before deleting it) is harmless.
    await counter.close(Date.now() + 5000);
    await spool.append(Array.from({ length: 200 }, (_, i) => share(20 + i)));
    await spool.close();
    const replay = new ShareSpool(dir, { maxBytes: 64 * 1024 * 1024 });
    const counter2 = new ShareCounter(db.ds, { batchMax: 50, batchWaitMs: 0 }, metrics, createLogger('silent'), replay);
    await counter2.start();
    expect(counter2.state).toMatchObject({ mode: 'direct', spoolDepth: 0 });
    const [{ n2 }] = await db.ds.query('SELECT count(*)::int AS n2 FROM share_event');
    const [{ eff2 }] = await db.ds.query('SELECT count(*)::int AS eff2 FROM effective_share');
    expect(n2).toBe(221);
    expect(eff2).toBe(eff);
    await counter2.close(Date.now() + 1000);
  });
});
