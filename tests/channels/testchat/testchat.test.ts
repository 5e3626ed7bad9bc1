import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Robot } from '../../../src/bot/robot';
import { loadScripts } from '../../../src/bot/script-loader';
import type { ChannelDeps } from '../../../src/channels/channel';
import { buildChannels, channelRouters } from '../../../src/channels/registry';
import { ManualClock } from '../../../src/clock';
import { loadConfig } from '../../../src/config';
import { createApp } from '../../../src/http/app';
import { createLogger } from '../../../src/logger';
import { createMetrics } from '../../../src/metrics';
import { createServices, type Services } from '../../../src/services';
import { MP, VECTOR } from '../../support/callback-harness';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { TEST_CHANNELS, testchatInbox } from './registry';
import type { TestchatMessage } from './testchat-channel';

const NOW = new Date('2026-11-22T02:00:00Z');
const OPENID = 'o-testchat-manager';

describe('a channel plug-in defined in a test (testchat) answers commands through the shared callback code', () => {
  let db: TestDatabase;
  let services: Services;
  let clock: ManualClock;
  let deps: ChannelDeps;
  let server: Server;
  let base: string;
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    WECOM_CORP_ID: VECTOR.corpId,
    WECOM_AGENT_ID: '1000002',
    WECOM_SECRET: 'wecom-secret-1',
    WECOM_TOKEN: VECTOR.token,
    WECOM_ENCODING_AES_KEY: VECTOR.aesKey,
    WECOM_API_BASE: 'http://127.0.0.1:9',
    MP_APP_ID: MP.appId,
    MP_TOKEN: MP.token,
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    const log = createLogger('silent');
    const metrics = createMetrics();
    clock = new ManualClock(NOW);
    services = createServices(db.ds, config, metrics, log);
    const robot = new Robot({ services, config, clock, log, metrics });
    loadScripts(robot);
    deps = { robot, receipts: services.receipts, clock, log, metrics };
    const app = createApp({
      health: async () => ({
        database: 'up',
        bot: { state: 'test', loggedIn: false, connected: false, since: null, reason: null, mode: 'demo' },
        version: 'test',
      }),
      metrics: metrics.registry,
      log,
      routers: channelRouters(config, deps, TEST_CHANNELS),
    });
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await services.stations.add({ name: '插件e站', county: '演示旗' });
    await services.people.addManager('插件e站', { ids: { openid: OPENID } });
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await db.close();
  });

  const post = (m: Partial<TestchatMessage> | string, token = 'tc-token') =>
    fetch(`${base}/testchat/callback?token=${token}`, { method: 'POST', body: typeof m === 'string' ? m : JSON.stringify(m) });
  const say = async (id: string, text: string, from = OPENID): Promise<string> => {
    const res = await post({ id, from, type: 'text', text });
    expect(res.status).toBe(200);
    return ((await res.json()) as { text?: string }).text ?? '';
  };
  const activities = async (): Promise<number> => (await db.ds.query(`SELECT count(*)::int AS n FROM activity`))[0].n;

  it('is built from the registry next to the real channels', () => {
    expect(buildChannels(config, deps, TEST_CHANNELS).map((c) => [c.name, c.identityKind])).toEqual([
      ['wecom', 'wecom-user'],
      ['mp', 'openid'],
      ['testchat', 'openid'],
    ]);
  });

  it('logs an activity from a manager recognised by the channel’s identity kind, audited under the channel’s name', async () => {
    const reply = await say('tc-1', '活动 11月20日 讲座 插件讲座 66人 文化站');
    const [a] = await db.ds.query(`SELECT id, title, participants, created_by FROM activity`);
    expect(a).toMatchObject({ title: '插件讲座', participants: 66, created_by: `testchat:${OPENID}` });
    expect(reply).toContain(`已登记（编号 ${a.id}）`);
    expect(await say('tc-2', '本月')).toContain('插件e站 2026年11月（截至22日）');
    const audit = await db.ds.query(`SELECT channel, sender_id, listener_id, outcome, station_id FROM audit_log ORDER BY id`);
    expect(audit).toEqual([
      { channel: 'testchat', sender_id: OPENID, listener_id: 'station.activity.log', outcome: 'ok', station_id: expect.any(Number) },
      { channel: 'testchat', sender_id: OPENID, listener_id: 'station.month', outcome: 'ok', station_id: expect.any(Number) },
    ]);
  });

  it('refuses a stranger, answers events and non-text messages', async () => {
    expect(await say('tc-3', '本月', 'o-stranger')).toContain('还没有登记为e站管理员');
    const follow = await post({ id: 'tc-4', from: 'o-new', type: 'event', event: 'follow', at: 1 });
    expect(await follow.json()).toEqual({ to: 'o-new', text: '欢迎使用 testchat' });
    const image = await post({ id: 'tc-5', from: OPENID, type: 'image' });
    expect(((await image.json()) as { text: string }).text).toContain('目前只支持文字命令');
  });

  it('answers a retried delivery with the stored reply and runs the command once', async () => {
    const before = await activities();
    const replies = [];
    for (let i = 0; i < 3; i++) replies.push(await say('tc-retry', '活动 昨天 培训 插件培训 51人'));
    expect(new Set(replies).size).toBe(1);
    expect(replies[0]).toContain('插件培训');
    expect(await activities()).toBe(before + 1);
    const [{ n }] = await db.ds.query(`SELECT count(*)::int AS n FROM callback_receipt WHERE channel = 'testchat' AND dedupe_key = $1`, [
      JSON.stringify(['msg', OPENID, 'tc-retry']),
    ]);
    expect(n).toBe(1);
  });

  it('refuses a wrong token (403), malformed JSON (400) and a body over the limit (413), storing nothing', async () => {
    const before = await activities();
    const forged = await post({ id: 'tc-6', from: OPENID, type: 'text', text: '活动 今天 讲座 伪造 60人' }, 'wrong');
    expect(forged.status).toBe(403);
    expect(await forged.json()).toEqual({ error: 'token mismatch' });
    expect((await post('{not json')).status).toBe(400);
    expect((await post({ id: 'tc-7', from: OPENID, type: 'text', text: 'x'.repeat(5000) })).status).toBe(413);
    expect((await post({ id: 'tc-8', type: 'text', text: '本月' })).status).toBe(400);
    const verify = await fetch(`${base}/testchat/callback?token=tc-token&challenge=abc`);
    expect(await verify.text()).toBe('abc');
    expect(await activities()).toBe(before);
  });

  it('acknowledges when the answer misses the deadline (on the injected clock) and sends it later through the channel', async () => {
    const runner = db.ds.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    await runner.query('LOCK TABLE activity IN ACCESS EXCLUSIVE MODE');
    const pending = post({ id: 'tc-slow', from: OPENID, type: 'text', text: '活动 今天 讲座 慢插件 70人' });
    await clock.whenTimerPending();
    clock.advance(1000);
    const res = await pending;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    await runner.commitTransaction();
    await runner.release();
    await testchatInbox.received(1);
    expect(testchatInbox.sent).toEqual([{ to: OPENID, text: expect.stringContaining('慢插件') }]);
    // The retry gets the stored answer passively.
    expect(await say('tc-slow', '活动 今天 讲座 慢插件 70人')).toContain('慢插件');
  });
});
