import { encrypt, getSignature } from '@wecom/crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Robot } from '../../src/bot/robot';
import { loadScripts } from '../../src/bot/script-loader';
import { channelRouters } from '../../src/channels/registry';
import { wecomClient } from '../../src/channels/wecom/wecom-client';
import { ManualClock } from '../../src/clock';
import { loadConfig, type AppConfig } from '../../src/config';
import { createApp } from '../../src/http/app';
import { createLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import { createServices, type Services } from '../../src/services';
import { createTestDatabase, type TestDatabase } from './db';
import { startFakeWecom, type FakeWecom } from './fake-wecom';

/** WeCom's published test vector (the callback documentation). */
export const VECTOR = {
  token: 'QDG6eK',
  aesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
  corpId: 'wx5823bf96d3bd56c7',
  timestamp: 1409659589,
  nonce: '263014780',
  msgSignature: '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3',
  echostr: 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==',
  echoPlain: '1616140317555161061',
};

export const MP = { appId: 'wx0123456789abcdef', token: 'mpToken123', aesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' };

export interface CallbackHarness {
  db: TestDatabase;
  services: Services;
  clock: ManualClock;
  config: AppConfig;
  fakeWecom: FakeWecom;
  base: string;
  stop(): Promise<void>;
}

/**
 * kepubot's Koa app with the registry's channels (WeCom, Official Account) on port 0, real
 * PostgreSQL, fake WeCom API. With `shared`, it uses another harness's database (a second process:
 * nothing in memory shared) and leaves it open on stop.
 */
export async function startCallbackHarness(now: Date, env: Record<string, string> = {}, shared?: TestDatabase): Promise<CallbackHarness> {
  const db = shared ?? (await createTestDatabase());
  const fakeWecom = await startFakeWecom({ corpId: VECTOR.corpId, secret: 'wecom-secret-1' });
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    WECOM_CORP_ID: VECTOR.corpId,
    WECOM_AGENT_ID: '1000002',
    WECOM_SECRET: 'wecom-secret-1',
    WECOM_TOKEN: VECTOR.token,
    WECOM_ENCODING_AES_KEY: VECTOR.aesKey,
    WECOM_API_BASE: fakeWecom.url,
    MP_APP_ID: MP.appId,
    MP_TOKEN: MP.token,
    MP_ENCODING_AES_KEY: MP.aesKey,
    ...env,
  });
  const log = createLogger('silent');
  const metrics = createMetrics();
  const clock = new ManualClock(now);
  const services = createServices(db.ds, config, metrics, log);
  const robot = new Robot({ services, config, clock, log, metrics });
  loadScripts(robot);
  const deps = { robot, receipts: services.receipts, clock, log, metrics };
  // The WeCom plug-in's client (src/channels/wecom/wecom-client.ts), built here first so its retries do not wait.
  if (config.wecom) wecomClient(config.wecom, log, { sleep: async () => undefined });
  const app = createApp({
    health: async () => ({
      database: 'up',
      bot: { state: 'test', loggedIn: false, connected: false, since: null, reason: null, mode: 'demo' },
      version: 'test',
    }),
    metrics: metrics.registry,
    log,
    routers: channelRouters(config, deps),
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    db,
    services,
    clock,
    config,
    fakeWecom,
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await fakeWecom.close();
      if (!shared) await db.close();
    },
  };
}

/** The inner XML WeCom encrypts for a text message. */
export function textXml(from: string, content: string, msgId: string, createTime: number, to = VECTOR.corpId): string {
  return `<xml><ToUserName><![CDATA[${to}]]></ToUserName><FromUserName><![CDATA[${from}]]></FromUserName><CreateTime>${createTime}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${content}]]></Content><MsgId>${msgId}</MsgId><AgentID>1000002</AgentID></xml>`;
}

/** An encrypted, signed callback as WeCom (or the Official Account in safe mode) sends it. */
export function sealed(
  inner: string,
  opts: { token: string; aesKey: string; receiveId: string; timestamp: number; nonce?: string },
): { query: string; body: string } {
  const nonce = opts.nonce ?? '1372623149';
  const ciphertext = encrypt(opts.aesKey, inner, opts.receiveId);
  const sig = getSignature(opts.token, opts.timestamp, nonce, ciphertext);
  return {
    query: `msg_signature=${sig}&timestamp=${opts.timestamp}&nonce=${nonce}`,
    body: `<xml><ToUserName><![CDATA[${opts.receiveId}]]></ToUserName><Encrypt><![CDATA[${ciphertext}]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>`,
  };
}
