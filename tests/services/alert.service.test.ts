import type { DataSource } from 'typeorm';
import { createDeliver } from '../../src/channels/outbound';
import { WecomApiClient } from '../../src/channels/wecom/wecom-api';
import { ManualClock } from '../../src/clock';
import { ConfigError, loadConfig, type AppConfig } from '../../src/config';
import { openDataSource } from '../../src/db/data-source';
import { createLogger } from '../../src/logger';
import { createServices } from '../../src/services';
import { AlertService, DatabaseDownAlarm, databaseDownAlert, userBatches } from '../../src/services/alert.service';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startFakeWecom, type FakeWecom } from '../support/fake-wecom';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';

const log = createLogger('silent');
const CORP = 'ww0123456789abcdef';

describe('alert settings', () => {
  it('defaults to a 5 minute database-down limit and reads the operator', () => {
    const c = loadConfig({ ALERT_WEBHOOK_URL: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc' });
    expect(c.alerts).toEqual({
      operatorWecomUsers: [],
      operatorWebhookUrl: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc',
      dbDownAfterSeconds: 300,
      coverageMinutes: 30,
      suspectMinutes: 120,
    });
    expect(c.wechat.reconnectMaxMs).toBe(10_000);
  });

  it('refuses WeCom alert users without the WeCom app, naming the variable', () => {
    expect(() => loadConfig({ ALERT_WECOM_USER: 'ops' })).toThrow(ConfigError);
    expect(() => loadConfig({ ALERT_WECOM_USER: 'ops' })).toThrow(/ALERT_WECOM_USER/);
    expect(() => loadConfig({ DB_DOWN_ALERT_AFTER_SECONDS: '1' })).toThrow(/DB_DOWN_ALERT_AFTER_SECONDS/);
  });

  it('splits long WeCom user lists so each message fits', () => {
    const users = Array.from({ length: 200 }, (_, i) => `user-${String(i).padStart(4, '0')}`);
    const batches = userBatches(users);
    expect(batches.length).toBeGreaterThan(1);
    for (const b of batches) expect(b.length).toBeLessThanOrEqual(600);
    expect(batches.join('|').split('|')).toEqual(users);
  });
});

describe('alerts while PostgreSQL is unreachable', () => {
  let db: TestDatabase;
  let fake: FakeWecom;
  let proxy: TcpProxy;
  let ds: DataSource;
  let config: AppConfig;
  let alerts: AlertService;
  const clock = new ManualClock(new Date('2026-11-25T02:00:00Z'));

  beforeAll(async () => {
    db = await createTestDatabase();
    fake = await startFakeWecom({ corpId: CORP, secret: 'secret-secret' });
    config = loadConfig({
      LOG_LEVEL: 'silent',
      WECOM_CORP_ID: CORP,
      WECOM_AGENT_ID: '1000002',
      WECOM_SECRET: 'secret-secret',
      WECOM_TOKEN: 'callbackToken',
      WECOM_ENCODING_AES_KEY: 'a'.repeat(43),
      WECOM_API_BASE: fake.url,
      ALERT_WECOM_USER: 'ops-on-duty',
      ALERT_WEBHOOK_URL: `${fake.url}/cgi-bin/webhook/send?key=ops`,
    });
    const services = createServices(db.ds, config);
    await services.stations.add({ name: '断库一站', county: '断库旗' });
    await services.people.addStaff('断库旗', { ids: { 'wecom-user': 'staff-a' } });
    await db.ds.query(`UPDATE region SET digest_webhook_url = $1 WHERE name = '断库旗'`, [`${fake.url}/cgi-bin/webhook/send?key=county`]);

    const target = new URL(db.url);
    proxy = await startTcpProxy(target.hostname, Number(target.port));
    const viaProxy = new URL(db.url);
    viaProxy.port = String(proxy.port);
    ds = await openDataSource({ url: viaProxy.toString(), poolSize: 2 });
    const api = new WecomApiClient({
      baseUrl: fake.url,
      corpId: CORP,
      secret: 'secret-secret',
      agentId: 1000002,
      sleep: async () => undefined,
    });
    alerts = new AlertService({ ds, config, deliver: createDeliver({ wecom: api }), log, clock });
    const county = await services.reports.countyByName('断库旗');
    expect(await alerts.refreshRecipients()).toEqual({
      wecomUsers: ['staff-a'],
      webhooks: [`${fake.url}/cgi-bin/webhook/send?key=county`],
      counties: { 'staff-a': [county.id], [`${fake.url}/cgi-bin/webhook/send?key=county`]: [county.id] },
    });
  });

  afterAll(async () => {
    await proxy?.close();
    if (ds?.isInitialized) await ds.destroy().catch(() => undefined);
    await fake?.close();
    await db?.close();
  });

  it('sends the database-down alert directly to the WeCom API and the webhooks, once per incident', async () => {
    await proxy.cut();
    const alert = databaseDownAlert(clock.now());
    expect(alert.text).toContain('数据库');

    expect(await alerts.raise('database-down', alert)).toBe('sent');
    expect(fake.sent).toEqual([expect.objectContaining({ msgtype: 'text', touser: 'ops-on-duty|staff-a', text: { content: alert.text } })]);
    expect(fake.webhook.map((b) => b.text.content)).toEqual([alert.text, alert.text]);
    const requests = fake.requests.length;

    expect(await alerts.raise('database-down', alert)).toBe('already');
    expect(await alerts.raise('database-down', alert, { direct: true })).toBe('already');
    expect(fake.requests.length).toBe(requests);

    // Over: a later outage is a new incident.
    await alerts.resolve('database-down');
    expect(await alerts.raise('database-down', alert, { direct: true })).toBe('sent');
    expect(fake.sent).toHaveLength(2);
    await alerts.resolve('database-down');
    await proxy.restore();
  });

  it('the database-down alarm waits for the configured limit, alerts once, and ends when the database answers', async () => {
    const alarm = new DatabaseDownAlarm(alerts, config.alerts.dbDownAfterSeconds, clock);
    const before = fake.sent.length;
    await proxy.cut();
    expect(await alarm.observe(false)).toBeNull();
    clock.advance(299_000);
    expect(await alarm.observe(false)).toBeNull();
    expect(fake.sent).toHaveLength(before);
    clock.advance(1_000);
    expect(await alarm.observe(false)).toBe('sent');
    expect(fake.sent).toHaveLength(before + 1);
    expect(fake.sent[before].text.content).toContain('10:00');
    clock.advance(60_000);
    expect(await alarm.observe(false)).toBe('already');
    expect(fake.sent).toHaveLength(before + 1);
    await proxy.restore();
    expect(await alarm.observe(true)).toBe('resolved');
    expect(alarm.since).toBeNull();
  });

  it('an incident resolved while the database was down is recorded when it answers again', async () => {
    expect(await alerts.raise('wechat-logout', { text: '退出登录' })).toBe('queued');
    await proxy.cut();
    await alerts.resolve('wechat-logout');
    await proxy.restore();
    // The end of the first incident is written before the second opens: two incidents, two alerts.
    expect(await alerts.raise('wechat-logout', { text: '又退出登录' })).toBe('queued');
    const incidents: Array<{ resolved: boolean }> = await db.ds.query(
      `SELECT resolved_at IS NOT NULL AS resolved FROM alert_incident WHERE incident_key = 'wechat-logout' ORDER BY id`,
    );
    expect(incidents).toEqual([{ resolved: true }, { resolved: false }]);
    const [{ runs }] = await db.ds.query(`SELECT count(*)::int AS runs FROM job_run WHERE job = 'alert'`);
    expect(runs).toBe(2);
  });

  it("an account's logout: the QR code goes to the operator and the staff of the counties it serves; the others get the text", async () => {
    const services = createServices(db.ds, config);
    const other = await services.stations.add({ name: '别旗一站', county: '别旗' });
    await services.people.addStaff('别旗', { ids: { 'wecom-user': 'staff-b' } });
    const served = await services.reports.countyByName('断库旗');
    const png = Buffer.from('a PNG');
    expect(await alerts.raise('wechat-logout:7', { text: '工作号1 退出登录', png }, { qrCounties: [served.id] })).toBe('queued');
    const rows: Array<{ channel: string; recipient: string; part: number; text: string | null; file: string | null }> = await db.ds.query(
      `SELECT o.channel, o.recipient, o.part, o.payload->>'text' AS text, o.payload->'file'->>'name' AS file
       FROM outbox_message o JOIN job_run r ON r.id = o.run_id WHERE r.scope = 'alert:wechat-logout:7' ORDER BY o.channel, o.recipient, o.part`,
    );
    const note = '工作号1 退出登录\n（登录二维码只发给运维人员和这个微信号所服务旗县区的工作人员。）';
    expect(rows).toEqual([
      { channel: 'wecom-app', recipient: 'ops-on-duty|staff-a', part: 0, text: '工作号1 退出登录', file: null },
      { channel: 'wecom-app', recipient: 'ops-on-duty|staff-a', part: 1, text: '', file: '微信登录二维码.png' },
      { channel: 'wecom-app', recipient: 'staff-b', part: 0, text: note, file: null },
      { channel: 'wecom-webhook', recipient: `${fake.url}/cgi-bin/webhook/send?key=county`, part: 0, text: '工作号1 退出登录', file: null },
      {
        channel: 'wecom-webhook',
        recipient: `${fake.url}/cgi-bin/webhook/send?key=county`,
        part: 1,
        text: '',
        file: '微信登录二维码.png',
      },
      { channel: 'wecom-webhook', recipient: `${fake.url}/cgi-bin/webhook/send?key=ops`, part: 0, text: '工作号1 退出登录', file: null },
      { channel: 'wecom-webhook', recipient: `${fake.url}/cgi-bin/webhook/send?key=ops`, part: 1, text: '', file: '微信登录二维码.png' },
    ]);
    // An account serving every county: the operator alone gets the code.
    expect(await alerts.raise('wechat-logout:8', { text: '工作号2 退出登录', png }, { qrCounties: [] })).toBe('queued');
    const files: Array<{ recipient: string }> = await db.ds.query(
      `SELECT o.recipient FROM outbox_message o JOIN job_run r ON r.id = o.run_id
       WHERE r.scope = 'alert:wechat-logout:8' AND o.payload ? 'file' ORDER BY 1`,
    );
    expect(files.map((f) => f.recipient).sort()).toEqual([`${fake.url}/cgi-bin/webhook/send?key=ops`, 'ops-on-duty'].sort());
    expect(other.countyId).not.toBe(served.id);
    await alerts.resolve('wechat-logout:7');
    await alerts.resolve('wechat-logout:8');
  });

  it('unsent alerts of a resolved incident expire instead of going out late', async () => {
    await alerts.resolve('wechat-logout');
    const states: Array<{ state: string }> = await db.ds.query(
      `SELECT DISTINCT o.state FROM outbox_message o JOIN job_run r ON r.id = o.run_id WHERE r.job = 'alert'`,
    );
    expect(states).toEqual([{ state: 'expired' }]);
  });
});
