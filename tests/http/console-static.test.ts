import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { firstLoadFiles, measureConsoleSize } from '../../bench/console-size';
import { createApp, type HealthReport } from '../../src/http/app';
import { consoleStatic, defaultConsoleDir } from '../../src/http/console-static';
import { createLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import { startConsole, type ConsoleFixture } from '../support/console';

const health = async (): Promise<HealthReport> => ({
  database: 'up',
  bot: { state: 'online', loggedIn: true, connected: true, since: null, reason: null, mode: 'demo' },
  version: 'test',
});

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
}

async function listen(consoleDir: string): Promise<{ server: Server; base: string }> {
  const app = createApp({ health, metrics: createMetrics().registry, log: createLogger('silent'), console: consoleStatic(consoleDir) });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('console static files on the Koa app (a built console in a temporary directory)', () => {
  const SCRIPT = `console.log(${JSON.stringify('科普'.repeat(400))});`;
  let dir: string;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kepubot-console-'));
    await mkdir(path.join(dir, 'assets'));
    await writeFile(
      path.join(dir, 'index.html'),
      '<!doctype html><html><head><script type="module" crossorigin src="/assets/index-abc123.js"></script></head><body><div id="app"></div></body></html>',
    );
    await writeFile(path.join(dir, 'assets', 'index-abc123.js'), SCRIPT);
    await writeFile(path.join(dir, 'assets', 'index-abc123.js.gz'), gzipSync(SCRIPT));
    ({ server, base } = await listen(dir));
  });

  afterAll(async () => {
    await close(server);
    await rm(dir, { recursive: true, force: true });
  });

  it('serves index.html at / revalidated on every load, with the console security headers', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self' 'unsafe-inline'");
    expect(csp).toContain("frame-ancestors 'self'");
    expect(await res.text()).toContain('<div id="app"></div>');
  });

  it('serves hashed assets cached for a year, gzipped to browsers that accept it', async () => {
    const zipped = await fetch(`${base}/assets/index-abc123.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(zipped.status).toBe(200);
    expect(zipped.headers.get('content-encoding')).toBe('gzip');
    expect(zipped.headers.get('content-type')).toContain('javascript');
    expect(zipped.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(zipped.headers.get('vary')).toContain('Accept-Encoding');
    expect(await zipped.text()).toBe(SCRIPT); // fetch undoes the gzip

    const plain = await fetch(`${base}/assets/index-abc123.js`, { headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await plain.text()).toBe(SCRIPT);
  });

  it('leaves /api, /healthz and unknown paths to the server: JSON answers, not the page', async () => {
    const api = await fetch(`${base}/api/v1/nothing`);
    expect(api.status).toBe(404);
    expect(await api.json()).toEqual({ error: '没有这个地址：GET /api/v1/nothing' });
    expect(api.headers.get('content-security-policy')).toBeNull();

    const healthz = await fetch(`${base}/healthz`);
    expect(healthz.status).toBe(200);
    expect(await healthz.json()).toMatchObject({ database: 'up' });

    const missing = await fetch(`${base}/assets/gone-000000.js`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: '没有这个地址：GET /assets/gone-000000.js' });

    const post = await fetch(`${base}/`, { method: 'POST' });
    expect(post.status).toBe(404);
  });

  it('answers / with a Chinese 503 naming `npm run build` when the console was not built', async () => {
    const empty = await mkdtemp(path.join(tmpdir(), 'kepubot-console-empty-'));
    const other = await listen(path.join(empty, 'web'));
    try {
      const res = await fetch(`${other.base}/`);
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toContain('text/html');
      const text = await res.text();
      expect(text).toContain('管理后台尚未构建');
      expect(text).toContain('npm run build');
    } finally {
      await close(other.server);
      await rm(empty, { recursive: true, force: true });
    }
  });
});

describe('the built console on kepubot (compose, real PostgreSQL)', () => {
  let fx: ConsoleFixture;

  beforeAll(async () => {
    if (!existsSync(path.join(defaultConsoleDir(), 'index.html'))) throw new Error('dist/web is missing: run `npm run build` first');
    fx = await startConsole(new Date('2026-11-25T04:00:00Z'));
  });

  afterAll(async () => {
    await fx?.stop();
  });

  it('serves the console page and every file its first load needs; the API stays JSON', async () => {
    const page = await fetch(`${fx.base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await page.text();
    expect(html).toContain('<div id="app"></div>');
    const files = firstLoadFiles(html);
    expect(files.some((f) => f.endsWith('.js'))).toBe(true);
    expect(files.some((f) => f.endsWith('.css'))).toBe(true);
    for (const file of files) {
      const res = await fetch(`${fx.base}/${file}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toContain('immutable');
    }

    const me = await fetch(`${fx.base}/api/v1/me`);
    expect(me.status).toBe(401);
    expect(await me.json()).toEqual({ error: '请先登录' });
  });

  it('the bench helper measures the same files: the first load is under 400 KB gzipped', () => {
    const size = measureConsoleSize();
    expect(size.firstLoad.files.length).toBeGreaterThan(1);
    expect(size.firstLoad.gzipBytes).toBeGreaterThan(0);
    expect(size.withOverview.gzipBytes).toBeGreaterThan(size.firstLoad.gzipBytes);
    expect(size.firstLoad.gzipBytes).toBeLessThan(size.targetGzipBytes);
  });
});

describe('the demo (no puppet service, no CONSOLE_PUBLIC_URL, PORT=0)', () => {
  let demo: ConsoleFixture;

  beforeAll(async () => {
    demo = await startConsole(new Date('2026-11-25T04:00:00Z'), {}, { puppet: undefined, demoTraffic: false });
  });

  afterAll(async () => {
    await demo?.stop();
  });

  it('the demo’s one-time link names the port really listened on (PORT=0, no CONSOLE_PUBLIC_URL) and signs in once', async () => {
    const link = demo.app.consoleLink!;
    expect(link).toMatch(new RegExp(`^http://localhost:${demo.app.port}/#/login\\?ticket=[\\w-]+$`));
    const ticket = new URL(link.replace('/#/', '/')).searchParams.get('ticket')!;
    const first = await demo.browser().call('POST', '/api/v1/auth/ticket', { body: { ticket } });
    expect(first).toMatchObject({ status: 201, json: { kind: 'operator', name: 'demo' } });
    expect((await demo.browser().call('POST', '/api/v1/auth/ticket', { body: { ticket } })).status).toBe(401);
  });
});
