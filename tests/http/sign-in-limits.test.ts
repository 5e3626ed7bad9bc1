import { LoginLimiter } from '../../src/services/login-limiter.service';
import { startConsole, type ConsoleFixture } from '../support/console';

/**
 * Sign-in limits that hold under load: each attempt is counted in PostgreSQL before its password
 * is checked (argon2 runs only for attempts that were granted), 20 per address and 5 per name per
 * 15 minutes; past its limit a name slows down (one attempt a minute, from a clean address) rather
 * than locking its owner out. Behind a proxy (TRUST_PROXY) so each test can speak from its own address.
 */
describe('console sign-in limits (real Koa, PostgreSQL, argon2)', () => {
  const PASSWORD = 'correct-horse-battery';
  const MINUTE = 60 * 1000;
  let fx: ConsoleFixture;
  let checks: number;

  beforeAll(async () => {
    fx = await startConsole(new Date('2026-11-25T04:00:00Z'), { TRUST_PROXY: 'true' });
    await fx.app.services.consoleAuth.addOperator('it', PASSWORD);
    const auth = fx.app.services.consoleAuth;
    const verify = auth.verifyPassword.bind(auth);
    auth.verifyPassword = async (hash, password) => {
      checks++;
      return verify(hash, password);
    };
  });

  beforeEach(() => {
    checks = 0;
    // Every test starts after the windows of the one before.
    fx.clock.advance(16 * MINUTE);
  });

  afterAll(async () => {
    await fx?.stop();
  });

  const attempt = (from: string, name: string, password: string) =>
    fx.browser().call('POST', '/api/v1/session', { body: { name, password }, headers: { 'x-forwarded-for': from } });

  const tally = (statuses: number[]): Record<number, number> =>
    statuses.reduce<Record<number, number>>((t, s) => ({ ...t, [s]: (t[s] ?? 0) + 1 }), {});

  it('60 wrong passwords for one name sent together: 5 are checked by argon2, the other 55 refused unchecked', async () => {
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => attempt('203.0.113.10', 'it', `guess-${i}`)));
    expect(tally(answers.map((a) => a.status))).toEqual({ 401: 5, 429: 55 });
    expect(checks).toBe(5);
    const refused = answers.find((a) => a.status === 429)!;
    expect(refused.json).toEqual({ error: '登录尝试过多，请 15 分钟后再试' });
    expect(Number(refused.headers.get('retry-after'))).toBe(15 * 60);
  });

  it('400 attempts from one address released together: each answered 401 or 429, and only the 20 the address allows get 401', async () => {
    const answers = await Promise.all(Array.from({ length: 400 }, (_, i) => attempt('203.0.113.20', `name${i % 40}`, 'wrong-password')));
    expect(tally(answers.map((a) => a.status))).toEqual({ 401: 20, 429: 380 });
    expect(checks).toBe(20);
  });

  it('is counted in PostgreSQL, not in the process: a second limiter over the same table sees the attempts', async () => {
    for (let i = 0; i < 5; i++) expect((await attempt('203.0.113.30', 'it', `guess-${i}`)).status).toBe(401);
    const other = new LoginLimiter(fx.db.ds);
    expect(await other.reserve({ scope: 'password', address: '203.0.113.30', name: 'it' }, fx.clock.now())).toEqual({
      ok: false,
      retryAfterSeconds: 15 * 60,
    });
    const rows: Array<{ key_sha256: string }> = await fx.db.ds.query('SELECT key_sha256 FROM login_attempt');
    // Only hashes: neither the name nor the address is stored.
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.key_sha256))).toBe(true);
  });

  it('a stranger cannot lock the operator out: the name slows down to one attempt a minute from a clean address', async () => {
    for (let i = 0; i < 5; i++) expect((await attempt('203.0.113.40', 'it', `guess-${i}`)).status).toBe(401);
    // The stranger's own address has failed: it gets nothing more at this name for the whole window.
    expect((await attempt('203.0.113.40', 'it', 'guess-5')).status).toBe(429);
    // The operator, from an address with a clean record, waits for the name's next slot (a minute at most)…
    const early = await attempt('198.51.100.7', 'it', PASSWORD);
    expect(early.status).toBe(429);
    expect(Number(early.headers.get('retry-after'))).toBe(60);
    expect(early.json).toEqual({ error: '登录尝试过多，请 1 分钟后再试' });
    fx.clock.advance(MINUTE);
    // …while the stranger still waits for the window's end…
    expect((await attempt('203.0.113.40', 'it', PASSWORD)).status).toBe(429);
    // …and then the operator is in.
    expect((await attempt('198.51.100.7', 'it', PASSWORD)).status).toBe(201);
    // A botnet gets one guess per slot (the operator's sign-in took this one): at the next, one clean
    // address is checked and a second right after it is refused unchecked.
    expect((await attempt('198.51.100.8', 'it', 'guess-x')).status).toBe(429);
    fx.clock.advance(MINUTE);
    const before = checks;
    expect((await attempt('198.51.100.8', 'it', 'guess-x')).status).toBe(401);
    expect((await attempt('198.51.100.9', 'it', 'guess-y')).status).toBe(429);
    expect(checks - before).toBe(1);
  });

  it('a success gives its attempt back: signing in 30 times from one address is never limited', async () => {
    for (let i = 0; i < 30; i++) expect((await attempt('198.51.100.50', 'it', PASSWORD)).status).toBe(201);
    expect(checks).toBe(30);
  });

  it('one-time links: 30 redemptions of unknown tickets sent together get 20 checks (401) and 10 refusals (429)', async () => {
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        fx
          .browser()
          .call('POST', '/api/v1/auth/ticket', { body: { ticket: `guess-${i}` }, headers: { 'x-forwarded-for': '203.0.113.60' } }),
      ),
    );
    expect(tally(answers.map((a) => a.status))).toEqual({ 401: 20, 429: 10 });
  });
});
