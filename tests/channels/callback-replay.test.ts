import { decrypt, getSignature } from '@wecom/crypto';
import { XMLParser } from 'fast-xml-parser';
import { KepuPuppetMock } from '../../src/channels/wechat/kepu-puppet-mock';
import { ManualClock } from '../../src/clock';
import { compose, type Kepubot } from '../../src/compose';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import { MP, sealed, startCallbackHarness, textXml, VECTOR, type CallbackHarness } from '../support/callback-harness';
import { createTestDatabase, type TestDatabase } from '../support/db';

const xml = new XMLParser({ processEntities: false, parseTagValue: false });
const NOW = new Date('2026-11-22T02:00:00Z');
const TS = Math.floor(NOW.getTime() / 1000);
const OPENID = 'o6_bmjrPTlm6_2sgVt7hMZOPfL2M';

function openReply(text: string, aesKey: string): string {
  const outer = xml.parse(text).xml as Record<string, string>;
  return (xml.parse(decrypt(aesKey, outer.Encrypt).message).xml as Record<string, string>).Content;
}

describe('used signatures and receipts are shared by every process on the database', () => {
  let first: CallbackHarness;
  let second: CallbackHarness;
  beforeAll(async () => {
    first = await startCallbackHarness(NOW, { MP_ENCODING_AES_KEY: '' });
    second = await startCallbackHarness(NOW, { MP_ENCODING_AES_KEY: '' }, first.db);
    await first.services.stations.add({ name: '第一中学e站', county: '演示旗' });
    await first.services.people.addManager('第一中学e站', { ids: { openid: OPENID } });
  });
  afterAll(async () => {
    await second.stop();
    await first.stop();
  });

  it('a triple used on one process is refused with another body on another, and its retry gets the stored answer there', async () => {
    const query = `signature=${getSignature(MP.token, TS, '31337', '')}&timestamp=${TS}&nonce=31337&openid=${OPENID}`;
    const real = textXml(OPENID, '活动 今天 培训 跨进程培训 70人', 'cross-1', TS, 'gh_1234567890ab');
    const answered = await fetch(`${first.base}/mp/callback?${query}`, { method: 'POST', body: real });
    expect(answered.status).toBe(200);
    const answer = await answered.text();
    expect(answer).toContain('跨进程培训');

    const forged = await fetch(`${second.base}/mp/callback?${query}`, {
      method: 'POST',
      body: textXml(OPENID, '登录', 'cross-2', TS, 'gh_1234567890ab'),
    });
    expect(forged.status).toBe(403);
    expect(await forged.text()).not.toContain('ticket');

    const retry = await fetch(`${second.base}/mp/callback?${query}`, { method: 'POST', body: real });
    expect(await retry.text()).toBe(answer);
    const [{ n }] = await first.db.ds.query(`SELECT count(*)::int AS n FROM activity WHERE title = '跨进程培训'`);
    expect(n).toBe(1);
    const [{ tickets }] = await first.db.ds.query(`SELECT count(*)::int AS tickets FROM console_login_ticket`);
    expect(tickets).toBe(0);
  });
});

describe('old receipts and used signatures are deleted by the scheduler’s housekeeping (the real composition)', () => {
  let db: TestDatabase;
  let app: Kepubot;
  const clock = new ManualClock(NOW);
  const MAX_AGE = 300;

  beforeAll(async () => {
    db = await createTestDatabase();
    const config = loadConfig({
      LOG_LEVEL: 'silent',
      HOST: '127.0.0.1',
      PORT: '0',
      WECHATY_NAME: `test-${Math.random().toString(36).slice(2)}`,
      WECOM_CORP_ID: VECTOR.corpId,
      WECOM_AGENT_ID: '1000002',
      WECOM_SECRET: 'wecom-secret-1',
      WECOM_TOKEN: VECTOR.token,
      WECOM_ENCODING_AES_KEY: VECTOR.aesKey,
      WECOM_API_BASE: 'http://127.0.0.1:9',
      CALLBACK_MAX_AGE_SECONDS: String(MAX_AGE),
    });
    app = await compose(config, {
      dataSource: db.ds,
      puppet: new KepuPuppetMock(),
      clock,
      log: createLogger('silent'),
      metrics: createMetrics(),
      scheduler: true,
      resilience: false,
    });
    await app.services.stations.add({ name: '城关社区e站', county: '演示旗' });
    await app.services.people.addManager('城关社区e站', { ids: { 'wecom-user': 'zhangsan' } });
  });
  afterAll(async () => {
    await app.stop();
    await db.close();
  });

  async function say(content: string, msgId: string): Promise<string> {
    const ts = Math.floor(clock.now().getTime() / 1000);
    const { query, body } = sealed(textXml('zhangsan', content, msgId, ts), {
      token: VECTOR.token,
      aesKey: VECTOR.aesKey,
      receiveId: VECTOR.corpId,
      timestamp: ts,
    });
    const res = await fetch(`http://127.0.0.1:${app.port}/wecom/callback?${query}`, { method: 'POST', body });
    expect(res.status).toBe(200);
    return openReply(await res.text(), VECTOR.aesKey);
  }

  const rows = async (): Promise<{ receipts: string[]; signatures: number }> => {
    const receipts: Array<{ dedupe_key: string }> = await db.ds.query(`SELECT dedupe_key FROM callback_receipt ORDER BY received_at`);
    const [{ n }] = await db.ds.query(`SELECT count(*)::int AS n FROM callback_signature`);
    return { receipts: receipts.map((r) => JSON.parse(r.dedupe_key) as string[]).map((k) => k[2]), signatures: n };
  };

  it('keeps what a retry or a replay could still need, and deletes it after the window', async () => {
    expect(await say('帮助', 'old-1')).toContain('活动');
    expect(await say('登录', 'old-login')).toContain('ticket=');
    expect(await rows()).toEqual({ receipts: ['old-1', 'old-login'], signatures: 2 });

    // Past the timestamp window: the triples are useless (the envelope refuses them), the receipts stay.
    clock.advance((MAX_AGE + 1) * 1000);
    expect(await say('本月', 'young-1')).toContain('城关社区e站');
    await app.scheduler!.housekeep();
    expect(await rows()).toEqual({ receipts: ['old-1', 'old-login', 'young-1'], signatures: 1 });

    // Twice the window after they were received: the old receipts go; the young one stays, and its triple until the window closes.
    clock.advance(MAX_AGE * 1000);
    await app.scheduler!.housekeep();
    expect(await rows()).toEqual({ receipts: ['young-1'], signatures: 1 });

    clock.advance((MAX_AGE + 1) * 1000);
    await app.scheduler!.housekeep();
    expect(await rows()).toEqual({ receipts: [], signatures: 0 });
  });
});
