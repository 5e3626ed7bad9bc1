import { runCli } from '../../src/cli';
import { KepuPuppetMock } from '../../src/channels/wechat/kepu-puppet-mock';
import { ManualClock } from '../../src/clock';
import { compose, type Kepubot } from '../../src/compose';
import { loadConfig } from '../../src/config';
import { Informant, WechatGroup } from '../../src/db/entities';
import { dayOf } from '../../src/domain/calendar';
import { parsePeriod, periodContaining } from '../../src/domain/periods';
import { figures } from '../../src/http/api/schemas';
import { meBody } from '../../src/http/api/areas/session';
import { stationsBody } from '../../src/http/api/areas/stations';
import { jobsBody, robotBody } from '../../src/http/api/areas/system';
import { createLogger } from '../../src/logger';
import { joinRoster } from '../../src/services/roster-history';
import { createTestDatabase, type TestDatabase } from '../support/db';

/**
 * The console API's endpoints, written out by hand (not read from API_ROUTES, which the OpenAPI
 * document is generated from): adding, dropping or renaming a route means changing this list.
 */
const API: readonly string[] = [
  'DELETE /api/v1/activities/{id}',
  'PUT /api/v1/activities/{id}',
  'GET /api/v1/activity-types',
  'GET /api/v1/auth/options',
  'POST /api/v1/auth/ticket',
  'GET /api/v1/auth/wecom/callback',
  'GET /api/v1/auth/wecom/start',
  'GET /api/v1/counties',
  'GET /api/v1/groups',
  'POST /api/v1/groups/{id}/bind',
  'POST /api/v1/groups/{id}/speaker',
  'POST /api/v1/groups/{id}/unbind',
  'PUT /api/v1/informants/{id}',
  'POST /api/v1/informants/{id}/disable',
  'POST /api/v1/informants/{id}/enable',
  'POST /api/v1/informants/{id}/forget',
  'GET /api/v1/informants/{id}/personal-data',
  'GET /api/v1/job-names',
  'GET /api/v1/jobs',
  'GET /api/v1/jobs/messages/{id}/file',
  'GET /api/v1/jobs/preview',
  'GET /api/v1/jobs/preview/file',
  'POST /api/v1/jobs/run',
  'GET /api/v1/jobs/runs/{id}/messages',
  'POST /api/v1/jobs/runs/{id}/resend',
  'GET /api/v1/me',
  'GET /api/v1/openapi.json',
  'GET /api/v1/overview',
  'GET /api/v1/people',
  'GET /api/v1/periods',
  'POST /api/v1/people/managers',
  'DELETE /api/v1/people/managers/{id}',
  'POST /api/v1/people/staff',
  'DELETE /api/v1/people/staff/{id}',
  'GET /api/v1/reports/{kind}',
  'GET /api/v1/robot',
  'GET /api/v1/robot/accounts/{id}/qrcode.png',
  'GET /api/v1/robot/qrcode.png',
  'GET /api/v1/roster/template',
  'DELETE /api/v1/session',
  'POST /api/v1/session',
  'GET /api/v1/station-types',
  'GET /api/v1/stations',
  'POST /api/v1/stations',
  'GET /api/v1/stations/{id}',
  'PUT /api/v1/stations/{id}',
  'GET /api/v1/stations/{id}/activities',
  'POST /api/v1/stations/{id}/activities',
  'GET /api/v1/stations/{id}/informants',
  'POST /api/v1/stations/{id}/informants',
  'POST /api/v1/stations/{id}/roster/import',
  'POST /api/v1/stations/{id}/roster/preview',
  'GET /api/v1/stations/{id}/unconfirmed',
  'POST /api/v1/stations/{id}/unconfirmed/bind',
];

/**
 * The console API on kepubot's own Koa server (port 0), wired by compose(), on a real PostgreSQL
 * and the mock puppet: operator sign-in, sessions, CSRF, rate limits, audit, and the first reads.
 */
describe('console API /api/v1 (real Koa, real PostgreSQL)', () => {
  const PASSWORD = 'correct-horse-battery';
  const now = new Date('2026-11-25T04:00:00Z'); // 12:00 in Asia/Shanghai
  let db: TestDatabase;
  let app: Kepubot;
  let base: string;
  let clock: ManualClock;

  const cli = async (argv: string[], stdin: string) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(
      argv,
      { DATABASE_URL: db.url, LOG_LEVEL: 'silent' },
      { out: (l) => out.push(l), err: (l) => err.push(l), stdin: async () => stdin },
    );
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  /** A browser of one: keeps the cookie it was given. */
  class Browser {
    cookie = '';
    async call(method: string, path: string, opts: { body?: unknown; csrf?: string; contentType?: string } = {}) {
      const headers: Record<string, string> = {};
      if (this.cookie) headers.cookie = this.cookie;
      if (opts.csrf) headers['x-csrf-token'] = opts.csrf;
      if (opts.body !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
      const res = await fetch(`${base}${path}`, {
        method,
        headers,
        body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
      });
      const set = res.headers.get('set-cookie');
      if (set) this.cookie = set.split(';')[0];
      const text = await res.text();
      return {
        status: res.status,
        setCookie: set,
        headers: res.headers,
        json: text ? (JSON.parse(text) as Record<string, unknown>) : null,
      };
    }
    signIn(name: string, password: string) {
      return this.call('POST', '/api/v1/session', { body: { name, password } });
    }
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    clock = new ManualClock(now);
    const config = loadConfig({
      LOG_LEVEL: 'silent',
      PORT: '0',
      HOST: '127.0.0.1',
      WECHATY_NAME: `api-${Math.random().toString(36).slice(2)}`,
    });
    app = await compose(config, {
      dataSource: db.ds,
      puppet: new KepuPuppetMock(),
      clock,
      log: createLogger('silent'),
      scheduler: false,
      resilience: false,
    });
    await app.accounts.list()[0].runtime.started;
    base = `http://127.0.0.1:${app.port}`;

    // A county with two stations, a bound group, informants on the roster and shares today.
    const station = await app.services.stations.add({ name: '城关e站', county: '接口旗' });
    await app.services.stations.add({ name: '河西e站', county: '接口旗' });
    await db.ds.getRepository(WechatGroup).save({ roomId: 'api-room@chatroom', topic: '城关科普群', stationId: station.id, boundAt: now });
    const informants = await db.ds
      .getRepository(Informant)
      .save([1, 2, 3].map((i) => ({ stationId: station.id, name: `信息员${i}`, wechatContactId: `api-c${i}`, boundAt: now })));
    await joinRoster(
      db.ds,
      informants.map((i) => i.id),
      dayOf(now),
    );
    for (let i = 0; i < 6; i++) {
      await app.services.shares.record({
        messageId: `api-m${i}`,
        roomId: 'api-room@chatroom',
        talkerId: `api-c${(i % 3) + 1}`,
        talkerName: `信息员${(i % 3) + 1}`,
        link: { contentKey: `kepu:item:${i}`, url: `https://m.kepuchina.cn/tuwendetail?id=${i}`, kind: 'text' },
        sentAt: now,
      });
    }
    await app.services.shares.flush();
  });

  afterAll(async () => {
    await app?.stop();
    await db?.close();
  });

  it('kepubot admin add: reads the password from stdin, stores only an argon2id hash, refuses a second account of the same name', async () => {
    expect(await cli(['admin', 'add', 'it'], PASSWORD)).toMatchObject({ code: 1, err: expect.stringContaining('--password-stdin') });
    const added = await cli(['admin', 'add', 'it', '--password-stdin'], `${PASSWORD}\n`);
    expect(added).toMatchObject({ code: 0, out: '已添加操作员“it”，可在管理后台登录' });
    const [row] = await db.ds.query(`SELECT password_hash FROM operator_account WHERE name = 'it'`);
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
    expect(row.password_hash).not.toContain(PASSWORD);
    expect(await cli(['admin', 'add', 'it', '--password-stdin'], PASSWORD)).toMatchObject({ code: 1, err: '已有名为“it”的操作员' });
    expect(await cli(['admin', 'add', 'short', '--password-stdin'], 'abc')).toMatchObject({ code: 1, err: '密码至少 10 个字符' });
  });

  it('answers 401 with a Chinese message before sign-in', async () => {
    const b = new Browser();
    for (const path of ['/api/v1/me', '/api/v1/stations', '/api/v1/robot', '/api/v1/jobs']) {
      const r = await b.call('GET', path);
      expect(r.status).toBe(401);
      expect(r.json).toEqual({ error: '请先登录' });
    }
  });

  it('signs in: an HttpOnly, SameSite=Strict session cookie, stored hashed; /me gives the CSRF token', async () => {
    const b = new Browser();
    const r = await b.signIn('it', PASSWORD);
    expect(r.status).toBe(201);
    expect(r.setCookie).toMatch(/^kepubot_session=[\w-]{43};/);
    expect(r.setCookie).toMatch(/httponly/i);
    expect(r.setCookie).toMatch(/samesite=strict/i);
    const token = b.cookie.split('=')[1];
    const [stored] = await db.ds.query(`SELECT token_sha256, principal_kind, expires_at FROM console_session`);
    expect(stored.token_sha256).not.toBe(token);
    expect(stored.principal_kind).toBe('operator');
    expect(stored.expires_at).toEqual(new Date(now.getTime() + 12 * 3600 * 1000));
    const me = await b.call('GET', '/api/v1/me');
    expect(me.status).toBe(200);
    const body = meBody.parse(me.json);
    expect(body).toMatchObject({ kind: 'operator', name: 'it' });
    expect(body.csrfToken).toMatch(/^[0-9a-f]{64}$/);
    expect(body.csrfToken).toBe((r.json as { csrfToken: string }).csrfToken);
    const [audit] = await db.ds.query(
      `SELECT channel, sender_id, sender_name, listener_id, command, outcome FROM audit_log WHERE channel = 'console' ORDER BY id DESC LIMIT 1`,
    );
    expect(audit).toEqual({
      channel: 'console',
      sender_id: expect.stringMatching(/^operator:\d+$/),
      sender_name: 'it',
      listener_id: 'console.post.session',
      command: 'POST /api/v1/session',
      outcome: 'ok',
    });
  });

  it('refuses a wrong password or an unknown name with the same 401; anonymous requests write no audit rows', async () => {
    const auditCount = async () => (await db.ds.query(`SELECT count(*)::int AS n FROM audit_log`))[0].n as number;
    const before = await auditCount();
    const b = new Browser();
    const wrong = await b.signIn('it', 'not-the-password');
    const unknown = await b.signIn('nobody', 'not-the-password');
    expect(wrong).toMatchObject({ status: 401, json: { error: '用户名或密码不对' }, setCookie: null });
    expect(unknown).toMatchObject({ status: 401, json: { error: '用户名或密码不对' } });
    // Other anonymous writes (no session, a bad ticket, signing out without a session) add nothing either.
    expect((await b.call('POST', '/api/v1/stations', { body: { name: 'x' } })).status).toBe(401);
    expect((await b.call('POST', '/api/v1/auth/ticket', { body: { ticket: 'guess' } })).status).toBe(401);
    expect((await b.call('DELETE', '/api/v1/session')).status).toBe(401);
    expect(await auditCount()).toBe(before);
    expect((await b.call('POST', '/api/v1/session', { body: { name: 'it' } })).json).toEqual({ error: 'password：缺少这一项' });
    expect((await b.call('POST', '/api/v1/session', { body: '{oops' })).json).toEqual({ error: '请求体不是有效的 JSON' });
    expect((await b.call('POST', '/api/v1/session')).json).toEqual({ error: '缺少请求体（JSON）' });
    const form = await b.call('POST', '/api/v1/session', {
      body: `name=it&password=${PASSWORD}`,
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(415);
  });

  it('refuses a write without the CSRF token (403, audited) and signs out with it', async () => {
    const b = new Browser();
    await b.signIn('it', PASSWORD);
    const csrf = meBody.parse((await b.call('GET', '/api/v1/me')).json).csrfToken;
    const missing = await b.call('DELETE', '/api/v1/session');
    expect(missing).toMatchObject({ status: 403, json: { error: 'CSRF 校验失败，请刷新页面后重试' } });
    const forged = await b.call('DELETE', '/api/v1/session', { csrf: 'f'.repeat(64) });
    expect(forged.status).toBe(403);
    expect((await b.call('GET', '/api/v1/me')).status).toBe(200);
    const [refused] = await db.ds.query(`SELECT listener_id, outcome FROM audit_log WHERE channel = 'console' ORDER BY id DESC LIMIT 1`);
    expect(refused).toEqual({ listener_id: 'console.delete.session', outcome: 'refused' });

    const out = await b.call('DELETE', '/api/v1/session', { csrf });
    expect(out.status).toBe(204);
    expect(out.setCookie).toMatch(/^kepubot_session=;/);
    expect((await b.call('GET', '/api/v1/me')).status).toBe(401);
  });

  it('ends a session when it expires', async () => {
    const b = new Browser();
    await b.signIn('it', PASSWORD);
    clock.advance(12 * 3600 * 1000);
    expect((await b.call('GET', '/api/v1/me')).status).toBe(401);
    clock.set(now);
  });

  it('lists the stations with the figures the statistics service computes for the period', async () => {
    const b = new Browser();
    await b.signIn('it', PASSWORD);
    const r = await b.call('GET', '/api/v1/stations');
    expect(r.status).toBe(200);
    const body = stationsBody.parse(r.json);
    const month = periodContaining('month', dayOf(now));
    expect(body.period).toEqual({ key: '2026-11', label: expect.any(String), from: month.from, to: month.to });
    const county = body.counties.find((c) => c.name === '接口旗')!;
    const table = await app.services.statistics.stationTable(county.id, month, dayOf(now));
    const raw = (
      r.json as { counties: Array<{ id: number; total: unknown; stations: Array<{ name: string; figures: unknown }> }> }
    ).counties.find((c) => c.id === county.id)!;
    expect(raw.total).toEqual(figures.parse(table.total));
    expect(raw.stations.map((s) => [s.name, s.figures])).toEqual(table.rows.map((row) => [row.name, figures.parse(row.figures)]));
    expect(county.stations.map((s) => s.name)).toEqual(expect.arrayContaining(['城关e站', '河西e站']));
    expect(county.total.effectiveShares).toBe(6);

    const week = await b.call('GET', `/api/v1/stations?period=2026-W48&county=${county.id}`);
    const weekBody = stationsBody.parse(week.json);
    expect(weekBody.counties.map((c) => c.id)).toEqual([county.id]);
    expect(weekBody.counties[0].total).toEqual(
      (await app.services.statistics.stationTable(county.id, parsePeriod('2026-W48')!, dayOf(now))).total,
    );

    // Malformed, impossible, or a year PostgreSQL has no date for (0000 answered 500): 400 in Chinese.
    for (const period of ['2026-13', '0000', '0001-W01', '0000-01-01', '1999Q4', '2100', '9999-12', 'x'.repeat(5000)]) {
      const bad = await b.call('GET', `/api/v1/stations?period=${period}`);
      expect({ period: period.slice(0, 12), status: bad.status, json: bad.json }).toEqual({
        period: period.slice(0, 12),
        status: 400,
        json: {
          error:
            period.length > 16
              ? 'period：统计期太长'
              : 'period：统计期格式不对（年份在 2000–2099 之间），例如 2026-11-25、2026-W48、2026-11、2026Q3、2026',
        },
      });
    }
    expect(await b.call('GET', '/api/v1/stations?county=999999')).toMatchObject({
      status: 404,
      json: { error: '没有这个旗县区，或无权查看' },
    });
  });

  it('shows the robot: WeChat state from the runtime, queue depth and the database as /readyz sees them', async () => {
    const b = new Browser();
    await b.signIn('it', PASSWORD);
    const r = await b.call('GET', '/api/v1/robot');
    expect(r.status).toBe(200);
    const body = robotBody.parse(r.json);
    const ready = await app.readiness();
    const status = app.accounts.summary();
    expect(body).toMatchObject({
      ready: ready.ready,
      reasons: ready.reasons,
      wechat: { state: status.state, loggedIn: status.loggedIn, connected: status.connected },
      database: { up: true },
      queue: { outbox: 0, failed: 0, replies: 0, spool: 0 },
    });
    expect(JSON.stringify(r.json)).not.toContain('qrcode');
  });

  it('lists the job runs and the send queue, with why a run is pending', async () => {
    const b = new Browser();
    await b.signIn('it', PASSWORD);
    // Nobody to send the digest to: pending with its reason. The group ranking goes to the bound group: queued.
    await app.jobs.run('weekly-digest', parsePeriod('2026-W47')!, now);
    await app.jobs.run('group-ranking', parsePeriod('2026-11-25')!, now);
    const r = await b.call('GET', '/api/v1/jobs?limit=10');
    expect(r.status).toBe(200);
    const body = jobsBody.parse(r.json);
    const digest = body.runs.find((run) => run.job === 'weekly-digest')!;
    expect(digest).toMatchObject({ state: 'pending', pendingReason: expect.stringMatching(/^没有接收人/) });
    // Scopes by name: the county for the digest, the group's topic for the ranking.
    expect(digest.scopeLabel).toBe('接口旗');
    const ranking = body.runs.find((run) => run.job === 'group-ranking')!;
    expect(ranking.scopeLabel).toBe('城关科普群');
    expect(body.queue.find((q) => q.runId === ranking.id)?.scopeLabel).toBe('城关科普群');
    expect(ranking.queued).toBeGreaterThan(0);
    expect(body.queue.filter((q) => q.runId === ranking.id)).toHaveLength(ranking.queued);
    expect(body.queue[0]).toMatchObject({ job: 'group-ranking', channel: 'wechat-room', state: 'queued' });
    const robot = robotBody.parse((await b.call('GET', '/api/v1/robot')).json);
    expect(robot.queue.outbox).toBe(ranking.queued);
    expect(await b.call('GET', '/api/v1/jobs?limit=0')).toMatchObject({ status: 400, json: { error: 'limit：limit 至少为 1' } });
  });

  it('serves an OpenAPI 3.1 document naming every route of the API, and serves every route it names', async () => {
    const r = await new Browser().call('GET', '/api/v1/openapi.json');
    expect(r.status).toBe(200);
    const doc = r.json as {
      openapi: string;
      paths: Record<string, Record<string, { operationId: string; parameters?: Array<{ name: string }> }>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    const described = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(described.sort()).toEqual([...API].sort());
    expect(doc.paths['/api/v1/stations'].get.parameters!.map((p) => p.name)).toEqual(['period', 'county']);
    // Every route of the API is served: a route the router lost would answer 404 (as an unknown one does).
    expect((await fetch(`${base}/api/v1/no-such-route`)).status).toBe(404);
    for (const route of API) {
      const [method, path] = route.split(' ');
      const res = await fetch(`${base}${path.replace(/\{\w+\}/g, '1')}`, { method, redirect: 'manual' });
      expect(`${route} ${res.status}`).not.toBe(`${route} 404`);
    }
  });

  it('limits sign-in attempts per name and per address, and lets them in again after the window', async () => {
    const b = new Browser();
    for (let i = 0; i < 5; i++) expect((await b.signIn('victim', 'guess-' + i)).status).toBe(401);
    const limited = await b.signIn('victim', 'guess-5');
    expect(limited.status).toBe(429);
    expect(limited.json).toEqual({ error: '登录尝试过多，请 15 分钟后再试' });
    expect(Number(limited.headers.get('retry-after'))).toBe(15 * 60);
    // The operator's own name is not locked by someone guessing another name…
    expect((await b.signIn('it', PASSWORD)).status).toBe(201);
    // …until the address has failed too often (20 failures from it within the window, the earlier tests' included).
    let failures = 0;
    for (let i = 0; i < 25 && (await b.signIn(`guess${i}`, 'x')).status === 401; i++) failures++;
    expect(failures).toBeLessThan(20);
    expect((await b.signIn('it', PASSWORD)).status).toBe(429);
    clock.advance(15 * 60 * 1000);
    expect((await b.signIn('it', PASSWORD)).status).toBe(201);
    expect((await b.signIn('victim', 'guess-6')).status).toBe(401);
  });
});
