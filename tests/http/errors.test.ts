import { createServer, connect, type Server as NetServer, type Socket } from 'node:net';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DataSource } from 'typeorm';
import { Robot } from '../../src/bot/robot';
import { loadScripts } from '../../src/bot/script-loader';
import { wecomCallback } from '../../src/channels/wecom/wecom-callback';
import { WecomApiClient } from '../../src/channels/wecom/wecom-api';
import { ManualClock } from '../../src/clock';
import { loadConfig } from '../../src/config';
import { openDataSource } from '../../src/db/data-source';
import { isDatabaseUnavailable } from '../../src/db/errors';
import { createApp } from '../../src/http/app';
import { createLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import { createServices, type Services } from '../../src/services';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { sealed, textXml, VECTOR } from '../support/callback-harness';

/**
 * A TCP hop between kepubot and the real PostgreSQL, so a test can make the database
 * unreachable (connections dropped, new ones refused) and reachable again.
 */
class DatabaseLink {
  private server: NetServer | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async up(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => this.sockets.delete(s));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async down(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = null;
  }
}

const NOW = new Date('2026-11-22T02:00:00Z');
const TS = Math.floor(NOW.getTime() / 1000);

describe('HTTP errors: wrong method → 405 in Chinese, database unreachable → 503 without a stack', () => {
  let db: TestDatabase;
  let link: DatabaseLink;
  let ds: DataSource;
  let services: Services;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const target = new URL(db.url);
    link = new DatabaseLink({ host: target.hostname, port: Number(target.port) });
    await link.up();
    const viaLink = new URL(db.url);
    viaLink.hostname = '127.0.0.1';
    viaLink.port = String(link.port);
    ds = await openDataSource({ url: viaLink.toString(), poolSize: 2, log: createLogger('silent') });
    const config = loadConfig({
      WECOM_CORP_ID: VECTOR.corpId,
      WECOM_AGENT_ID: '1000002',
      WECOM_SECRET: 'wecom-secret-1',
      WECOM_TOKEN: VECTOR.token,
      WECOM_ENCODING_AES_KEY: VECTOR.aesKey,
    });
    const log = createLogger('silent');
    const metrics = createMetrics();
    const clock = new ManualClock(NOW);
    services = createServices(ds, config, metrics, log);
    const robot = new Robot({ services, config, clock, log, metrics });
    loadScripts(robot);
    const api = new WecomApiClient({
      baseUrl: 'http://127.0.0.1:9',
      corpId: VECTOR.corpId,
      secret: 'x',
      agentId: 1000002,
      sleep: async () => undefined,
    });
    const app = createApp({
      health: async () => ({
        database: 'up',
        bot: { state: 'test', loggedIn: false, connected: true, since: null, reason: null, mode: 'demo' },
        version: 'test',
      }),
      metrics: metrics.registry,
      log,
      routers: [wecomCallback(config.wecom!, config.callbacks, { robot, receipts: services.receipts, clock, log, metrics }, api)],
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await services.stations.add({ name: '城关社区e站', county: '演示旗' });
    await services.people.addManager('城关社区e站', { ids: { 'wecom-user': 'zhangsan' } });
  });

  afterAll(async () => {
    server.closeAllConnections();
    server.close();
    if (ds.isInitialized) await ds.destroy();
    await link.down();
    await db.close();
  });

  it('answers a wrong method with 405, the Allow header and a Chinese message naming the allowed methods', async () => {
    const put = await fetch(`${base}/wecom/callback`, { method: 'PUT', body: 'x' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('HEAD, GET, POST');
    expect(await put.json()).toEqual({ error: '这个地址不接受 PUT 请求，只接受 HEAD、GET、POST' });

    const post = await fetch(`${base}/healthz`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(((await post.json()) as { error: string }).error).toBe('这个地址不接受 POST 请求，只接受 HEAD、GET');

    const del = await fetch(`${base}/metrics`, { method: 'DELETE' });
    expect(del.status).toBe(405);
    expect(((await del.json()) as { error: string }).error).toContain('只接受 HEAD、GET');
  });

  it('answers 503 with a short message while the database is unreachable, and 200 once it is back', async () => {
    const callback = (msgId: string) => {
      const { query, body } = sealed(textXml('zhangsan', '本月', msgId, TS), {
        token: VECTOR.token,
        aesKey: VECTOR.aesKey,
        receiveId: VECTOR.corpId,
        timestamp: TS,
      });
      return fetch(`${base}/wecom/callback?${query}`, { method: 'POST', body, headers: { 'content-type': 'text/xml' } });
    };
    await link.down();
    try {
      for (const id of ['outage-1', 'outage-2']) {
        const res = await callback(id);
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('30');
        const text = await res.text();
        expect(JSON.parse(text)).toEqual({ error: '数据库暂时不可用，请稍后再试' });
        expect(text).not.toMatch(/\bat\s|Error|ECONN|stack/);
      }
    } finally {
      await link.up();
    }
    const ok = await callback('outage-1');
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('<Encrypt>');
  });

  it('tells connection failures from query errors', () => {
    expect(isDatabaseUnavailable(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(
      true,
    );
    expect(isDatabaseUnavailable(Object.assign(new Error('x'), { code: '08006' }))).toBe(true);
    expect(
      isDatabaseUnavailable(new Error('wrapped', { cause: new AggregateError([Object.assign(new Error('y'), { code: 'ECONNREFUSED' })]) })),
    ).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
    expect(isDatabaseUnavailable(new Error('something else'))).toBe(false);
  });
});
