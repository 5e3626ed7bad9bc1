import { createServer } from 'node:net';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { log as puppetLog } from 'wechaty-puppet';
import { PuppetServer } from 'wechaty-puppet-service';
import { createDeliver } from '../../src/channels/outbound';
import { KepuPuppetMock } from '../../src/channels/wechat/kepu-puppet-mock';
import { tcpProbe, WatchedPuppetService } from '../../src/channels/wechat/watched-puppet-service';
import { wechatReadiness, WechatRuntime, type WechatStatus } from '../../src/channels/wechat/wechat-runtime';
import { WecomApiClient } from '../../src/channels/wecom/wecom-api';
import { ManualClock } from '../../src/clock';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { createServices } from '../../src/services';
import { AlertService } from '../../src/services/alert.service';
import { OutboxWorker } from '../../src/jobs/outbox';
import { watchWechatForAlerts, type WechatAlertWatch } from '../../src/channels/wechat/wechat-alerts';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startFakeWecom, type FakeWecom } from '../support/fake-wecom';

const log = createLogger('silent');
// Wechaty's own logger (brolog) warns on every reconnection; the runtime's status is what counts here.
puppetLog.level('silent');
const CORP = 'ww0123456789abcdef';
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Resolves with the first status (now or after a change) that satisfies `accept`. */
function statusWhere(runtime: WechatRuntime, accept: (s: WechatStatus) => boolean, what: string): Promise<WechatStatus> {
  return new Promise((resolve, reject) => {
    if (accept(runtime.status())) {
      resolve(runtime.status());
      return;
    }
    const guard = setTimeout(() => {
      off();
      reject(new Error(`no WeChat status where ${what}; last: ${JSON.stringify(runtime.status())}`));
    }, 30_000);
    const off = runtime.onChange((s) => {
      if (!accept(s)) return;
      clearTimeout(guard);
      off();
      resolve(s);
    });
  });
}

function decodeQr(png: Buffer): string | null {
  const image = PNG.sync.read(png);
  return jsQR(new Uint8ClampedArray(image.data), image.width, image.height)?.data ?? null;
}

describe('WeChat logout: status and one alert per incident, with the login QR code', () => {
  let db: TestDatabase;
  let fake: FakeWecom;
  let runtime: WechatRuntime;
  let puppet: KepuPuppetMock;
  let alerts: AlertService;
  let watch: WechatAlertWatch;
  const clock = new ManualClock(new Date('2026-11-25T02:00:00Z'));

  beforeAll(async () => {
    db = await createTestDatabase();
    fake = await startFakeWecom({ corpId: CORP, secret: 'secret-secret' });
    const config = loadConfig({
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
    await services.stations.add({ name: '告警一站', county: '告警旗' });
    await services.stations.add({ name: '告警二站', county: '另一旗' });
    await services.people.addStaff('告警旗', { ids: { 'wecom-user': 'staff-a' } });
    await services.people.addStaff('另一旗', { ids: { 'wecom-user': 'staff-b' } });
    await db.ds.query(`UPDATE region SET digest_webhook_url = $1 WHERE name = '告警旗'`, [`${fake.url}/cgi-bin/webhook/send?key=county`]);

    const api = new WecomApiClient({
      baseUrl: fake.url,
      corpId: CORP,
      secret: 'secret-secret',
      agentId: 1000002,
      sleep: async () => undefined,
    });
    alerts = new AlertService({ ds: db.ds, config, deliver: createDeliver({ wecom: api }), log, clock });
    puppet = new KepuPuppetMock();
    runtime = new WechatRuntime(puppet, `health-${Date.now()}`, log, { clock });
    watch = watchWechatForAlerts(runtime, alerts, { log, clock });
    runtime.start();
    await runtime.started;
  });

  afterAll(async () => {
    watch?.stop();
    await runtime?.stop();
    await fake?.close();
    await db?.close();
  });

  let me: ReturnType<KepuPuppetMock['mocker']['createContact']> | null = null;
  const self = () => (me ??= puppet.mocker.createContact({ id: 'kepubot-self', name: '科普e站助手' }));
  const alertRuns = async (): Promise<Array<{ id: number; period: string; messages: number }>> =>
    db.ds.query(`SELECT id, period, messages FROM job_run WHERE job = 'alert' ORDER BY id`);

  it('is ready while logged in; a logout makes it not ready and queues exactly one alert carrying the QR code', async () => {
    puppet.mocker.login(self());
    expect(wechatReadiness(await statusWhere(runtime, (s) => s.loggedIn, 'logged in'))).toEqual({ ready: true });

    clock.advance(60_000);
    await puppet.logout('在其他设备登录');
    const loggedOut = await statusWhere(runtime, (s) => !s.loggedIn, 'logged out');
    expect(loggedOut).toMatchObject({ connected: true, loggedIn: false, since: clock.now() });
    const readiness = wechatReadiness(loggedOut);
    expect(readiness.ready).toBe(false);
    expect(readiness.reason).toMatch(/未登录|退出登录/);

    const qr = 'https://login.weixin.qq.com/l/kepubot-test-qr-1';
    puppet.mocker.scan(qr);
    expect(runtime.status().qrcode).toBe(qr);
    expect(wechatReadiness(runtime.status()).reason).toContain('等待扫码登录');
    await watch.idle();
    // The QR code refreshes: still the same incident.
    puppet.mocker.scan('https://login.weixin.qq.com/l/kepubot-test-qr-2');
    await watch.idle();

    const runs = await alertRuns();
    expect(runs).toHaveLength(1);
    // Each recipient gets two outbox parts: the text (part 0), then the QR code (part 1).
    const rows: Array<{
      channel: string;
      recipient: string;
      part: number;
      payload: { text: string; file?: { name: string; base64: string } };
    }> = await db.ds.query(`SELECT channel, recipient, part, payload FROM outbox_message WHERE run_id = $1 ORDER BY recipient, part`, [
      runs[0].id,
    ]);
    expect(rows.map((r) => `${r.channel} ${r.recipient} ${r.part}`).sort()).toEqual([
      'wecom-app ops-on-duty|staff-a|staff-b 0',
      'wecom-app ops-on-duty|staff-a|staff-b 1',
      `wecom-webhook ${fake.url}/cgi-bin/webhook/send?key=county 0`,
      `wecom-webhook ${fake.url}/cgi-bin/webhook/send?key=county 1`,
      `wecom-webhook ${fake.url}/cgi-bin/webhook/send?key=ops 0`,
      `wecom-webhook ${fake.url}/cgi-bin/webhook/send?key=ops 1`,
    ]);
    for (const r of rows.filter((x) => x.part === 0)) {
      expect(r.payload.text).toContain('退出登录');
      expect(r.payload.file).toBeUndefined();
    }
    for (const r of rows.filter((x) => x.part === 1)) {
      const png = Buffer.from(r.payload.file!.base64, 'base64');
      expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
      expect(decodeQr(png)).toBe(qr);
    }

    // The outbox delivers it through the WeCom app and the group robots.
    const worker = new OutboxWorker(
      db.ds,
      createDeliver({ wecom: new WecomApiClient({ baseUrl: fake.url, corpId: CORP, secret: 'secret-secret', agentId: 1000002 }) }),
      {
        intervalMs: 0,
        jitterMs: 0,
        dailyCap: 100,
        quiet: { start: 0, end: 0 },
        zone: 'Asia/Shanghai',
      },
      log,
    );
    while ((await worker.tick(clock.now())) !== 'idle');
    expect(fake.sent.map((b) => `${b.msgtype} ${b.touser}`)).toEqual([
      'text ops-on-duty|staff-a|staff-b',
      'file ops-on-duty|staff-a|staff-b',
    ]);
    expect(fake.uploads.map((u) => decodeQr(u.bytes))).toEqual([qr, qr, qr]);
    expect(fake.webhook.map((b) => b.msgtype)).toEqual(['text', 'file', 'text', 'file']);
  });

  it('logging in again makes it ready and resolves the incident without a second alert', async () => {
    puppet.mocker.login(self());
    const s = await statusWhere(runtime, (x) => x.loggedIn, 'logged in again');
    expect(wechatReadiness(s)).toEqual({ ready: true });
    expect(s.qrcode).toBeNull();
    await watch.idle();
    expect(await alertRuns()).toHaveLength(1);
    const incidents: Array<{ resolved: boolean }> = await db.ds.query(`SELECT resolved_at IS NOT NULL AS resolved FROM alert_incident`);
    expect(incidents).toEqual([{ resolved: true }]);
  });

  it('a later logout is a new incident with one new alert; a restart during it does not alert again', async () => {
    clock.advance(3_600_000);
    await puppet.logout('手机端退出');
    await statusWhere(runtime, (s) => !s.loggedIn, 'logged out again');
    puppet.mocker.scan('https://login.weixin.qq.com/l/kepubot-test-qr-3');
    await watch.idle();
    const runs = await alertRuns();
    expect(runs).toHaveLength(2);
    expect(runs[1].period).not.toBe(runs[0].period);

    // A new process (nothing in memory) during the same incident: the database remembers it.
    const config = loadConfig({ LOG_LEVEL: 'silent', ALERT_WEBHOOK_URL: `${fake.url}/cgi-bin/webhook/send?key=ops` });
    const restarted = new AlertService({ ds: db.ds, config, deliver: createDeliver({}), log, clock });
    expect(await restarted.raise('wechat-logout', { text: '又一次' })).toBe('already');
    expect(await alertRuns()).toHaveLength(2);
  });
});

describe('puppet service that goes away and comes back', () => {
  const token = 'insecure_kepubot-health-test';
  let endpoint: string;
  let serverPuppet: KepuPuppetMock;
  let server: PuppetServer | null = null;
  let runtime: WechatRuntime;
  const received: string[] = [];

  async function freePort(): Promise<number> {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const { port } = srv.address() as { port: number };
    await new Promise<void>((r) => srv.close(() => r()));
    return port;
  }

  async function startServer(): Promise<PuppetServer> {
    const s = new PuppetServer({ endpoint, token, puppet: serverPuppet, tls: { disable: true } });
    await s.start();
    return s;
  }

  async function arrives(text: string): Promise<void> {
    serverPuppet.injectText({ talkerId: 'member-1', text });
    await new Promise<void>((resolve, reject) => {
      const guard = setTimeout(() => reject(new Error(`message "${text}" never arrived`)), 30_000);
      const check = (): void => {
        if (received.includes(text)) {
          clearTimeout(guard);
          runtime.bot.off('message', check);
          resolve();
        }
      };
      runtime.bot.on('message', check);
      check();
    });
  }

  beforeAll(async () => {
    endpoint = `127.0.0.1:${await freePort()}`;
    serverPuppet = new KepuPuppetMock();
    await serverPuppet.start();
    const me = serverPuppet.mocker.createContact({ id: 'kepubot-self', name: '科普e站助手' });
    serverPuppet.mocker.createContact({ id: 'member-1', name: '信息员甲' });
    serverPuppet.mocker.login(me);
    server = await startServer();
    const client = new WatchedPuppetService({ endpoint, token, tls: { disable: true } });
    runtime = new WechatRuntime(client, `health-svc-${Date.now()}`, log, { probe: tcpProbe(endpoint) });
    runtime.bot.on('message', (m) => {
      received.push(m.text());
    });
    runtime.start();
  });

  afterAll(async () => {
    await runtime?.stop();
    await server?.stop();
    await serverPuppet?.stop();
  });

  it('reports the lost connection at once, reconnects with backoff within 10 s of waits, and messages arrive again', async () => {
    await statusWhere(runtime, (s) => s.connected && s.loggedIn, 'connected and logged in');
    await arrives('断线之前');

    await server!.stop();
    server = null;
    const down = await statusWhere(runtime, (s) => !s.connected, 'disconnected');
    expect(down.state).toBe('reconnecting');
    const readiness = wechatReadiness(down);
    expect(readiness.ready).toBe(false);
    expect(readiness.reason).toContain('连接已断开');
    expect(runtime.lastOutage()?.reason).toMatch(/event stream/);
    // Let it fail while the service is away, so the reconnection goes through the backoff.
    const failing = await statusWhere(runtime, () => (runtime.lastOutage()?.attempts ?? 0) >= 2, 'a failed reconnection attempt');
    expect(failing.reason).toMatch(/已尝试 [1-9]/);

    server = await startServer();
    const back = await statusWhere(runtime, (s) => s.connected && s.loggedIn, 'reconnected and logged in');
    expect(wechatReadiness(back)).toEqual({ ready: true });
    const outage = runtime.lastOutage()!;
    expect(outage.recovered).toBe(true);
    expect(outage.attempts).toBeGreaterThanOrEqual(2);
    // The waits the backoff scheduled add up to less than the 60 s watchdog, well within 10 s.
    expect(outage.scheduledWaitMs).toBeLessThan(10_000);

    await arrives('重连之后');
  });
});
