import { loadConfig } from '../../src/config';
import { startConsole, type ConsoleFixture } from '../support/console';

/**
 * Behind nginx (TRUST_PROXY=true): the sign-in limits count per client address from
 * X-Forwarded-For, not per proxy, and the session cookie is Secure when the proxy says HTTPS.
 */
describe('TRUST_PROXY: kepubot behind a reverse proxy (real Koa, PostgreSQL)', () => {
  let fx: ConsoleFixture;

  beforeAll(async () => {
    fx = await startConsole(new Date('2026-11-25T04:00:00Z'), { TRUST_PROXY: 'true' });
    await fx.app.services.consoleAuth.addOperator('it', 'correct-horse-battery');
  });

  afterAll(async () => {
    await fx?.stop();
  });

  const attempt = (from: string, name: string, password: string, proto = 'http') =>
    fx.browser().call('POST', '/api/v1/session', {
      body: { name, password },
      // What nginx forwards: whatever the client claimed, then the address it really came from.
      headers: { 'x-forwarded-for': `10.${Math.floor(Math.random() * 255)}.0.1, ${from}`, 'x-forwarded-proto': proto },
    });

  it('limits failed sign-ins per client address (the one the proxy appended, not what the client claimed); another client behind the same proxy is not locked out', async () => {
    for (let i = 0; i < 20; i++) expect((await attempt('203.0.113.7', `guess${i}`, 'wrong-password')).status).toBe(401);
    const locked = await attempt('203.0.113.7', 'guess-last', 'wrong-password');
    expect(locked.status).toBe(429);
    expect(locked.json).toEqual({ error: expect.stringMatching(/^登录尝试过多，请 \d+ 分钟后再试$/) });
    expect((await attempt('198.51.100.2', 'it', 'correct-horse-battery')).status).toBe(201);
  });

  it('marks the session cookie Secure when the proxy forwarded HTTPS', async () => {
    const https = await attempt('198.51.100.3', 'it', 'correct-horse-battery', 'https');
    expect(https.status).toBe(201);
    expect(https.setCookie).toMatch(/kepubot_session=.*; secure/i);
    const http = await attempt('198.51.100.4', 'it', 'correct-horse-battery', 'http');
    expect(http.setCookie).not.toMatch(/secure/i);
  });

  it('refuses a TRUST_PROXY that is not a boolean, naming the variable', async () => {
    expect(() => loadConfig({ TRUST_PROXY: 'sometimes' })).toThrow(/TRUST_PROXY/);
  });
});
