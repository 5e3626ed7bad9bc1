import { loadConfig } from '../../src/config';
import { Informant, WechatGroup } from '../../src/db/entities';
import { createMetrics } from '../../src/metrics';
import { createServices, type Services } from '../../src/services';
import type { ShareInput } from '../../src/services/share-counter.service';
import { createTestDatabase, type TestDatabase } from '../support/db';

describe('ShareCounter: batched counting straight into PostgreSQL', () => {
  let db: TestDatabase;
  let services: Services;
  const when = new Date('2026-11-22T15:59:59Z'); // 23:59:59 in Asia/Shanghai

  beforeAll(async () => {
    db = await createTestDatabase();
    services = createServices(db.ds, loadConfig({ SHARE_BATCH_MAX: '50', SHARE_BATCH_WAIT_MS: '1' }), createMetrics());
    const station = await services.stations.add({ name: '并发e站', county: '测试旗' });
    await db.ds
      .getRepository(WechatGroup)
      .save(Array.from({ length: 4 }, (_, g) => ({ roomId: `g${g}@chatroom`, topic: `群${g}`, stationId: station.id, boundAt: when })));
    await db.ds
      .getRepository(Informant)
      .save(Array.from({ length: 20 }, (_, i) => ({ stationId: station.id, name: `信息员${i}`, wechatContactId: `c${i}` })));
  });

  afterAll(async () => {
    await db.close();
  });

  const share = (i: number, item: number, extra: Partial<ShareInput> = {}): ShareInput => ({
    messageId: `m-${i}`,
    roomId: `g${i % 4}@chatroom`,
    talkerId: `c${i % 25}`, // c20..c24 are not on the roster: unconfirmed
    talkerName: `成员${i % 25}`,
    link: { contentKey: `kepu:item:${item}`, url: `https://m.kepuchina.cn/tuwendetail?id=${item}`, kind: 'text' },
    sentAt: when,
    ...extra,
  });

  it('gives each of 2,000 concurrent messages its own outcome and keeps rollups equal to the events', async () => {
    const inputs = Array.from({ length: 2000 }, (_, i) => share(i, i % 37));
    const replays = inputs.slice(0, 100);
    const results = await Promise.all([...inputs, ...replays].map((s) => services.shares.record(s)));
    await services.shares.flush();

    const outcomes = results.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.outcome]: (acc[r.outcome] ?? 0) + 1 }), {});
    expect(outcomes.replay).toBe(100);
    // 25 senders × 37 items on one day: at most one effective share per (sender, item)
    const [{ distinct }] = await db.ds.query(`SELECT count(DISTINCT (talker_id, content_key))::int AS distinct FROM share_event`);
    expect(outcomes.effective).toBe(distinct);
    expect(outcomes.effective + outcomes.repeat).toBe(2000);

    const [check] = await db.ds.query(`
      SELECT (SELECT count(*)::int FROM share_event) AS events,
             (SELECT count(*)::int FROM share_event WHERE informant_id IS NOT NULL) AS confirmed,
             (SELECT sum(raw_shares)::int FROM daily_rollup) AS raw,
             (SELECT count(*)::int FROM share_event WHERE effective AND informant_id IS NOT NULL) AS eff_events,
             (SELECT sum(effective_shares)::int FROM daily_rollup) AS eff,
             (SELECT count(*)::int FROM effective_share) AS eff_rows`);
    expect(check.events).toBe(2000);
    expect(check.raw).toBe(check.confirmed);
    expect(check.eff).toBe(check.eff_events);
    expect(check.eff_rows).toBe(outcomes.effective);
    // every message of day 2026-11-22 in Asia/Shanghai, although 15:59:59Z
    expect(await db.ds.query(`SELECT DISTINCT to_char(day, 'YYYY-MM-DD') AS d FROM share_event`)).toEqual([{ d: '2026-11-22' }]);
  });

  it('lets a replay claim nothing, even when it is recognised under another content key now (new URL rules, an upgrade)', async () => {
    const first = await services.shares.record(
      share(50000, 1, {
        messageId: 'm-rekeyed',
        talkerId: 'c1',
        link: { contentKey: 'kepu:item:777', url: 'https://m.kepuchina.cn/videodetail?id=777', kind: 'text' },
      }),
    );
    expect(first.outcome).toBe('effective');
    const again = await services.shares.record(
      share(50000, 1, {
        messageId: 'm-rekeyed',
        talkerId: 'c1',
        link: { contentKey: 'kepu:video:777', url: 'https://m.kepuchina.cn/videodetail?id=777', kind: 'text' },
      }),
    );
    expect(again.outcome).toBe('replay');
    expect(await db.ds.query(`SELECT content_key FROM effective_share WHERE message_id = 'm-rekeyed'`)).toEqual([
      { content_key: 'kepu:item:777' },
    ]);
    // The item under its new key is still effective when the sender really shares it again that day.
    const real = await services.shares.record(
      share(50001, 1, {
        messageId: 'm-real',
        talkerId: 'c1',
        link: { contentKey: 'kepu:video:777', url: 'https://m.kepuchina.cn/videodetail?id=777', kind: 'text' },
      }),
    );
    expect(real.outcome).toBe('effective');
  });

  it('leaves a group that is not bound to a station untouched', async () => {
    const r = await services.shares.record(share(99999, 1, { roomId: 'stranger@chatroom', messageId: 'm-stranger' }));
    expect(r).toEqual({ outcome: 'unbound-group', informantId: null, day: '2026-11-22' });
    expect(await db.ds.query(`SELECT 1 FROM share_event WHERE message_id = 'm-stranger'`)).toEqual([]);
  });
});
