import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, type HealthReport } from '../../src/http/app';
import { createLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import { createTestDatabase, type TestDatabase } from '../support/db';

describe('HTTP: /healthz and /metrics on a real Koa server', () => {
  let db: TestDatabase;
  let server: Server;
  let base: string;
  const metrics = createMetrics();

  beforeAll(async () => {
    db = await createTestDatabase();
    const health = async (): Promise<HealthReport> => {
      let database: HealthReport['database'] = 'up';
      try {
        await db.ds.query('SELECT 1');
      } catch {
        database = 'down';
      }
      return {
        database,
        bot: { state: 'online', loggedIn: true, connected: true, since: null, reason: null, mode: 'demo' },
        version: 'test',
      };
    };
    const app = createApp({ health, metrics: metrics.registry, log: createLogger('silent') });
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.close();
    await db.close();
  });

  it('reports 200 with the database and bot state', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ database: 'up', bot: { state: 'online', loggedIn: true } });
  });

  it('serves the counters in the Prometheus text format', async () => {
    metrics.sharesCounted.inc(2);
    metrics.duplicatesIgnored.inc({ reason: 'message_replay' });
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const body = await res.text();
    expect(body).toContain('kepubot_shares_counted_total 2');
    expect(body).toContain('kepubot_duplicates_ignored_total{reason="message_replay"} 1');
    expect(body).toContain('# TYPE kepubot_messages_total counter');
    expect(body).toContain('# TYPE kepubot_effective_shares_total counter');
  });

  it('answers unknown paths with a 404 and a message', async () => {
    const res = await fetch(`${base}/nope`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: string }).error).toContain('/nope');
  });

  it('stays live (/healthz 200) but not ready (/readyz 503 with the reason) when the database is down', async () => {
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    await db.ds.destroy();
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { database: string }).database).toBe('down');
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { reasons: string[] }).reasons).toEqual(['数据库无法连接']);
  });
});
