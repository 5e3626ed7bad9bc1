/**
 * Part of `npm run bench`: WeCom callbacks per second and p99 through the whole
 * verify → decrypt → parse XML → dedupe → command → encrypted reply path, next to a bare Koa
 * route on the same server, measured in the same run over real HTTP.
 */
import Router from '@koa/router';
import { encrypt, getSignature } from '@wecom/crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DataSource } from 'typeorm';
import { Robot } from '../src/bot/robot';
import { loadScripts } from '../src/bot/script-loader';
import { channelRouters } from '../src/channels/registry';
import { ManualClock } from '../src/clock';
import { loadConfig } from '../src/config';
import { createApp } from '../src/http/app';
import { createLogger } from '../src/logger';
import { createMetrics } from '../src/metrics';
import { createServices } from '../src/services';

const TOKEN = 'QDG6eK';
const AES_KEY = 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C';
const CORP_ID = 'wx5823bf96d3bd56c7';

export interface CallbackBench {
  requests: number;
  callbacksPerSecond: number;
  callbackLatencyMs: { p50: number; p99: number };
  bareRequestsPerSecond: number;
  bareLatencyMs: { p50: number; p99: number };
  ratio: number;
}

async function drive(n: number, concurrency: number, make: (i: number) => Promise<void>): Promise<{ seconds: number; lat: number[] }> {
  const lat: number[] = [];
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const s = process.hrtime.bigint();
        await make(i);
        lat.push(Number(process.hrtime.bigint() - s) / 1e6);
      }
    }),
  );
  lat.sort((a, b) => a - b);
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, lat };
}

const pct = (xs: number[], p: number) => +xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))].toFixed(2);

export async function benchCallbacks(ds: DataSource, n = Number(process.env.BENCH_CALLBACKS ?? 4000)): Promise<CallbackBench> {
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    WECOM_CORP_ID: CORP_ID,
    WECOM_AGENT_ID: '1000002',
    WECOM_SECRET: 'bench-secret',
    WECOM_TOKEN: TOKEN,
    WECOM_ENCODING_AES_KEY: AES_KEY,
    WECOM_API_BASE: 'http://127.0.0.1:9',
  });
  const log = createLogger('silent');
  const metrics = createMetrics();
  const now = new Date('2026-11-25T02:00:00Z');
  const clock = new ManualClock(now);
  const services = createServices(ds, config, metrics, log);
  await services.stations.add({ name: '回调基准e站', county: '基准旗' });
  await services.people.addManager('回调基准e站', { ids: { 'wecom-user': 'bench-manager' } });
  const robot = new Robot({ services, config, clock, log, metrics });
  loadScripts(robot);
  const bare = new Router();
  bare.post('/bare', (ctx) => {
    ctx.body = 'ok';
  });
  const app = createApp({
    health: async () => ({
      database: 'up',
      bot: { state: 'bench', loggedIn: false, connected: false, since: null, reason: null, mode: 'demo' },
      version: 'bench',
    }),
    metrics: metrics.registry,
    log,
    routers: [...channelRouters(config, { robot, receipts: services.receipts, clock, log, metrics }), bare],
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ts = Math.floor(now.getTime() / 1000);
  // Sealed outside the timed loop: the client's encryption is WeCom's work, not ours.
  const bodies = Array.from({ length: n }, (_, i) => {
    const content = i % 2 === 0 ? `活动 今天 讲座 基准讲座${i} 60人 文化站` : '本月';
    const inner = `<xml><ToUserName><![CDATA[${CORP_ID}]]></ToUserName><FromUserName><![CDATA[bench-manager]]></FromUserName><CreateTime>${ts}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${content}]]></Content><MsgId>bench-${i}</MsgId><AgentID>1000002</AgentID></xml>`;
    const ciphertext = encrypt(AES_KEY, inner, CORP_ID);
    const nonce = String(100000 + i);
    return {
      url: `${base}/wecom/callback?msg_signature=${getSignature(TOKEN, ts, nonce, ciphertext)}&timestamp=${ts}&nonce=${nonce}`,
      body: `<xml><ToUserName><![CDATA[${CORP_ID}]]></ToUserName><Encrypt><![CDATA[${ciphertext}]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>`,
    };
  });
  try {
    const concurrency = 16;
    // Warm-up, not measured.
    await drive(200, concurrency, async () => {
      await (await fetch(`${base}/bare`, { method: 'POST', body: bodies[0].body })).text();
    });
    const bareRun = await drive(n, concurrency, async (i) => {
      const res = await fetch(`${base}/bare`, { method: 'POST', body: bodies[i].body });
      await res.text();
    });
    let failures = 0;
    const cbRun = await drive(n, concurrency, async (i) => {
      const res = await fetch(bodies[i].url, { method: 'POST', body: bodies[i].body });
      const text = await res.text();
      if (res.status !== 200 || !text.includes('<Encrypt>')) failures++;
    });
    if (failures > 0) throw new Error(`${failures} callbacks did not get an encrypted reply`);
    const [{ logged }] = await ds.query(`SELECT count(*)::int AS logged FROM activity WHERE title LIKE '基准讲座%'`);
    if (logged !== Math.ceil(n / 2)) throw new Error(`expected ${Math.ceil(n / 2)} activities, found ${logged}`);
    const cbRate = n / cbRun.seconds;
    const bareRate = n / bareRun.seconds;
    return {
      requests: n,
      callbacksPerSecond: Math.round(cbRate),
      callbackLatencyMs: { p50: pct(cbRun.lat, 50), p99: pct(cbRun.lat, 99) },
      bareRequestsPerSecond: Math.round(bareRate),
      bareLatencyMs: { p50: pct(bareRun.lat, 50), p99: pct(bareRun.lat, 99) },
      ratio: +(cbRate / bareRate).toFixed(2),
    };
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}
