import { decrypt } from '@wecom/crypto';
import { XMLParser } from 'fast-xml-parser';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { KepuPuppetMock } from '../../src/channels/wechat/kepu-puppet-mock';
import { ConfigError, loadConfig } from '../../src/config';
import { CountyStaff } from '../../src/db/entities';
import { createLogger } from '../../src/logger';
import { ApiBrowser, botChat, startConsole, type ConsoleFixture } from '../support/console';
import { sealed, textXml, VECTOR } from '../support/callback-harness';
import { startFakeWecom, type FakeWecom } from '../support/fake-wecom';

const CORP = VECTOR.corpId;
const SECRET = 'secret-secret';
const PUBLIC_URL = 'https://kepu.example.cn';
const MINUTE = 60 * 1000;

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

/** The ticket of a one-time link in a reply, or null when the reply has none. */
const ticketIn = (reply: string): string | null => {
  const m = reply.match(/#\/login\?ticket=([^\s]+)/);
  return m ? decodeURIComponent(m[1]) : null;
};

/** A browser that keeps every cookie (the WeCom sign-in sets and clears a state cookie besides the session). */
class CookieJar {
  readonly cookies = new Map<string, string>();
  constructor(private readonly base: string) {}

  async get(path: string) {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(`${this.base}${path}`, { redirect: 'manual', headers: cookie ? { cookie } : {} });
    const setCookies = res.headers.getSetCookie();
    for (const line of setCookies) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const [k, v] = [pair.slice(0, eq), pair.slice(eq + 1)];
      if (v === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.cookies.delete(k);
      else this.cookies.set(k, v);
    }
    const text = await res.text();
    return {
      status: res.status,
      location: res.headers.get('location') ?? '',
      setCookies,
      json: (res.headers.get('content-type') ?? '').includes('json') ? (JSON.parse(text) as Record<string, unknown>) : null,
    };
  }

  /** An API browser carrying this jar's session cookie. */
  api(): ApiBrowser {
    const b = new ApiBrowser(() => this.base);
    const session = this.cookies.get('kepubot_session');
    if (session) b.cookie = `kepubot_session=${session}`;
    return b;
  }
}

describe('console sign-in: one-time links from the bot, WeCom sign-in, staff and manager access (real Koa, PostgreSQL, Wechaty)', () => {
  const now = new Date('2026-11-25T04:00:00Z'); // 12:00 in Asia/Shanghai
  let fx: ConsoleFixture;
  let fake: FakeWecom;
  let puppet: KepuPuppetMock;
  let chat: ReturnType<typeof botChat>;
  const logged: string[] = [];
  const ids = { countyA: 0, countyB: 0, a1: 0, a2: 0, b1: 0, staff: 0, manager: 0, nameless: 0, both: 0, bothStaff: 0 };

  const STAFF = { id: 'wx-staff-wang', name: '王五' };
  const MANAGER = { id: 'wx-manager-zhao', name: '赵站长' };
  const STRANGER = { id: 'wx-stranger', name: '路人' };
  const BOTH = { id: 'wx-both', name: '两边都登记' };
  const ROOM = 'room-signin@chatroom';

  beforeAll(async () => {
    fake = await startFakeWecom({ corpId: CORP, secret: SECRET });
    puppet = new KepuPuppetMock();
    const logStream = new Writable({
      write(chunk: Buffer, _enc, done) {
        logged.push(chunk.toString('utf8'));
        done();
      },
    });
    fx = await startConsole(
      now,
      {
        SEND_INTERVAL_MS: '0',
        SEND_JITTER_MS: '0',
        SEND_GROUP_SWITCH_MS: '0',
        SEND_BATCH_WINDOW_MS: '0',
        SEND_PER_MINUTE: '600',
        SHARE_BATCH_WAIT_MS: '0',
        CONSOLE_PUBLIC_URL: `${PUBLIC_URL}/`,
        WECOM_CORP_ID: CORP,
        WECOM_AGENT_ID: '1000002',
        WECOM_SECRET: SECRET,
        WECOM_TOKEN: VECTOR.token,
        WECOM_ENCODING_AES_KEY: VECTOR.aesKey,
        WECOM_API_BASE: fake.url,
      },
      { puppet, log: createLogger('trace', 'kepubot', logStream) },
    );
    chat = botChat(fx, puppet);
    const self = puppet.mocker.createContact({ id: 'kepubot-self', name: '科普e站助手' });
    puppet.mocker.login(self);
    for (const c of [STAFF, MANAGER, STRANGER, BOTH]) puppet.mocker.createContact(c);
    puppet.mocker.createRoom({ id: ROOM, topic: '甲旗科普群', memberIdList: [self.id, STAFF.id, STRANGER.id] });

    const { services } = fx.app;
    const a1 = await services.stations.add({ name: '城关e站', county: '甲旗' });
    const a2 = await services.stations.add({ name: '河西e站', county: '甲旗' });
    const b1 = await services.stations.add({ name: '乙旗一站', county: '乙旗' });
    Object.assign(ids, { countyA: a1.countyId, countyB: b1.countyId, a1: a1.id, a2: a2.id, b1: b1.id });
    ids.staff = (
      await services.people.addStaff('甲旗', { name: STAFF.name, ids: { 'wechat-contact': STAFF.id, 'wecom-user': 'wecom-wang' } })
    ).id;
    ids.manager = (
      await services.people.addManager('城关e站', { name: MANAGER.name, ids: { 'wechat-contact': MANAGER.id, 'wecom-user': 'wecom-zhao' } })
    ).id;
    ids.nameless = (await services.people.addStaff('乙旗', { ids: { 'wecom-user': 'wecom-nameless' } })).id;
    // One id names one person: BOTH is the 河西 manager's; the county staff member 乙旗干事 has no id of that kind.
    ids.both = (await services.people.addManagerTo(a2.id, { name: '河西站长', ids: { 'wechat-contact': BOTH.id } })).id;
    ids.bothStaff = (await fx.db.ds.getRepository(CountyStaff).save({ countyId: b1.countyId, name: '乙旗干事' })).id;
  });

  afterAll(async () => {
    await fx?.stop();
    await fake?.close();
  });

  /** Sends a message to the bot (privately, or in the room) and returns what it answered there. */
  const say = (from: { id: string }, text: string, roomId?: string): Promise<string> => chat.say(from, text, roomId);

  /** Sends 登录 privately and signs in with the link's ticket. */
  const signInByBot = async (who: { id: string }) => {
    const ticket = ticketIn(await say(who, '登录'));
    if (!ticket) throw new Error('no link in the reply');
    const b = fx.browser();
    const r = await b.call('POST', '/api/v1/auth/ticket', { body: { ticket } });
    if (r.json && typeof r.json.csrfToken === 'string') b.csrf = r.json.csrfToken;
    return { b, r, ticket };
  };

  const auditRows = async (listener: string): Promise<Array<{ sender_id: string; outcome: string; detail: string }>> =>
    fx.db.ds.query(`SELECT sender_id, outcome, detail FROM audit_log WHERE listener_id = $1 ORDER BY id`, [listener]);

  describe('the 登录 command and one-time links', () => {
    it('a private chat gets a link under CONSOLE_PUBLIC_URL; it signs in once, as county staff; the table keeps only its hash', async () => {
      const reply = await say(STAFF, '登录');
      expect(reply).toContain('10 分钟内有效，只能使用一次');
      expect(reply).toContain(`${PUBLIC_URL}/#/login?ticket=`);
      const ticket = ticketIn(reply)!;
      expect(ticket).toMatch(/^[\w-]{43}$/);
      const rows: Array<{ ticket_sha256: string; principal_kind: string; principal_id: number; used_at: Date | null; ttl: number }> =
        await fx.db.ds.query(
          `SELECT ticket_sha256, principal_kind, principal_id, used_at,
                  extract(epoch FROM expires_at - created_at)::int AS ttl FROM console_login_ticket`,
        );
      expect(rows).toEqual([{ ticket_sha256: sha256(ticket), principal_kind: 'staff', principal_id: ids.staff, used_at: null, ttl: 600 }]);

      const b = fx.browser();
      const r = await b.call('POST', '/api/v1/auth/ticket', { body: { ticket } });
      expect(r.status).toBe(201);
      expect(r.json).toMatchObject({ kind: 'staff', name: STAFF.name, countyId: ids.countyA, stationId: null });
      expect(r.setCookie).toMatch(/^kepubot_session=[\w-]+; path=\/; .*httponly/i);
      expect(r.setCookie).toMatch(/samesite=strict/i);
      expect((await b.call('GET', '/api/v1/me')).json).toMatchObject({ kind: 'staff', countyId: ids.countyA });

      const again = await fx.browser().call('POST', '/api/v1/auth/ticket', { body: { ticket } });
      expect(again.status).toBe(401);
      expect(again.json).toEqual({ error: '登录链接无效或已过期，请重新发送“登录”获取' });
      expect(again.setCookie).toBeNull();

      expect((await auditRows('console.login')).at(-1)).toMatchObject({ outcome: 'ok' });
      // The sign-in is audited; the refused, anonymous redemption writes nothing.
      expect((await auditRows('console.post.auth.ticket')).slice(-1)).toEqual([
        expect.objectContaining({ sender_id: `staff:${ids.staff}`, outcome: 'ok' }),
      ]);
      expect(await fx.db.ds.query(`SELECT count(*)::int AS n FROM audit_log WHERE sender_id = 'anonymous'`)).toEqual([{ n: 0 }]);
    });

    it('a link redeemed by several requests at once signs in exactly one of them', async () => {
      const ticket = ticketIn(await say(MANAGER, '登录'))!;
      const answers = await Promise.all(
        Array.from({ length: 6 }, () => fx.browser().call('POST', '/api/v1/auth/ticket', { body: { ticket } })),
      );
      expect(answers.map((a) => a.status).sort()).toEqual([201, 401, 401, 401, 401, 401]);
    });

    it('county staff see their county only: its stations listed, another county 404', async () => {
      const { b } = await signInByBot(STAFF);
      const list = await b.call('GET', '/api/v1/stations');
      expect(list.status).toBe(200);
      const counties = list.json!.counties as Array<{ id: number; stations: Array<{ id: number }> }>;
      expect(counties.map((c) => c.id)).toEqual([ids.countyA]);
      expect(counties[0].stations.map((s) => s.id).sort()).toEqual([ids.a1, ids.a2].sort());
      expect((await b.call('GET', `/api/v1/stations?county=${ids.countyA}`)).status).toBe(200);
      const other = await b.call('GET', `/api/v1/stations?county=${ids.countyB}`);
      expect(other.status).toBe(404);
      expect(other.json).toEqual({ error: expect.stringMatching(/无权查看/) });
    });

    it('a station manager signs in to their station only: the county list shows that station alone, another county 404', async () => {
      const { b, r } = await signInByBot(MANAGER);
      expect(r.status).toBe(201);
      expect(r.json).toMatchObject({ kind: 'manager', name: MANAGER.name, stationId: ids.a1, countyId: ids.countyA });
      const counties = (await b.call('GET', '/api/v1/stations')).json!.counties as Array<{ id: number; stations: Array<{ id: number }> }>;
      expect(counties.map((c) => c.id)).toEqual([ids.countyA]);
      expect(counties[0].stations.map((s) => s.id)).toEqual([ids.a1]);
      expect((await b.call('GET', `/api/v1/stations?county=${ids.countyB}`)).status).toBe(404);
      expect((await auditRows('console.login')).at(-1)).toMatchObject({ detail: `ticket issued for manager:${ids.manager}` });
    });

    it('a link is valid for 10 minutes: used at 9:59 it signs in, at 10:00 it is refused', async () => {
      const early = ticketIn(await say(MANAGER, '登录'))!;
      const late = ticketIn(await say(MANAGER, '登录'))!;
      fx.clock.advance(10 * MINUTE - 1000);
      expect((await fx.browser().call('POST', '/api/v1/auth/ticket', { body: { ticket: early } })).status).toBe(201);
      fx.clock.advance(1000);
      const r = await fx.browser().call('POST', '/api/v1/auth/ticket', { body: { ticket: late } });
      expect(r.status).toBe(401);
      expect(r.json).toEqual({ error: '登录链接无效或已过期，请重新发送“登录”获取' });
    });

    it('in a group the bot answers without a link, asking for a private chat', async () => {
      const [{ n: before }] = await fx.db.ds.query(`SELECT count(*)::int AS n FROM console_login_ticket`);
      const reply = await say(STAFF, '#登录', ROOM);
      expect(reply).toContain('私聊');
      expect(reply).not.toContain('ticket');
      expect(reply).not.toContain(PUBLIC_URL);
      const [{ n: after }] = await fx.db.ds.query(`SELECT count(*)::int AS n FROM console_login_ticket`);
      expect(after).toBe(before);
    });

    it('someone not registered is told who may sign in, and gets no link', async () => {
      const reply = await say(STRANGER, '登录');
      expect(reply).toContain('只有登记过的旗县区科协工作人员和e站管理员可以登录管理后台');
      expect(ticketIn(reply)).toBeNull();
      expect((await auditRows('console.login')).at(-1)).toMatchObject({ outcome: 'refused', detail: 'not registered' });
    });

    it('one id names one person: a contact cannot also be registered as county staff, and signs in as the manager it names', async () => {
      // Before person_identity an id could sit on a manager and a staff member (sign-in chose staff, the bot the
      // manager); the migration keeps it with the manager, and the table refuses a second owner whoever writes it.
      await expect(
        fx.app.services.people.addStaffTo(ids.countyB, { name: '乙旗干事', ids: { 'wechat-contact': BOTH.id } }),
      ).rejects.toThrow('“wx-both”已登记为e站管理员或旗县区工作人员');
      await expect(
        fx.db.ds.query(`INSERT INTO person_identity (staff_id, kind, external_id) VALUES ($1, 'wechat-contact', $2)`, [
          ids.bothStaff,
          BOTH.id,
        ]),
      ).rejects.toThrow(/UQ_person_identity_kind_external_id/);
      const { r } = await signInByBot(BOTH);
      expect(r.json).toMatchObject({ kind: 'manager', name: '河西站长', countyId: ids.countyA, stationId: ids.a2 });
    });

    it('in the WeCom app: the passive reply carries the link, which signs the manager in', async () => {
      const ts = Math.floor(fx.clock.now().getTime() / 1000);
      const { query, body } = sealed(textXml('wecom-zhao', '登录', 'login-1', ts), {
        token: VECTOR.token,
        aesKey: VECTOR.aesKey,
        receiveId: CORP,
        timestamp: ts,
      });
      const res = await fetch(`${fx.base}/wecom/callback?${query}`, { method: 'POST', body, headers: { 'content-type': 'text/xml' } });
      expect(res.status).toBe(200);
      const xml = new XMLParser({ processEntities: false, parseTagValue: false });
      const outer = xml.parse(await res.text()).xml as Record<string, string>;
      const reply = (xml.parse(decrypt(VECTOR.aesKey, outer.Encrypt).message).xml as Record<string, string>).Content;
      expect(reply).toContain('以e站管理员身份登录，10 分钟内有效，只能使用一次');
      const r = await fx.browser().call('POST', '/api/v1/auth/ticket', { body: { ticket: ticketIn(reply)! } });
      expect(r.status).toBe(201);
      expect(r.json).toMatchObject({ kind: 'manager', stationId: ids.a1 });
    });

    it('a malformed request is a 400, not a failed attempt', async () => {
      const r = await fx.browser().call('POST', '/api/v1/auth/ticket', { body: {} });
      expect(r.status).toBe(400);
      expect(r.json).toEqual({ error: 'ticket：缺少这一项' });
    });
  });

  describe('WeCom sign-in (QR login on a PC, web authorization in the WeCom app) against the fake WeCom server', () => {
    it('GET /auth/options says which ways are open', async () => {
      const r = await fx.browser().call('GET', '/api/v1/auth/options');
      expect(r.status).toBe(200);
      expect(r.json).toEqual({ wecom: true, password: true, demo: true, error: null });
    });

    it('the login page’s message for `?error=<code>`: a known code’s text, a generic one for anything else, never the address’s own words', async () => {
      const shown = async (query: string) => (await fx.browser().call('GET', `/api/v1/auth/options?${query}`)).json!.error;
      expect(await shown('error=badState')).toBe('登录已过期或不是从本系统发起的，请重新点击“企业微信登录”');
      expect(await shown('error=unknownUser')).toBe(
        '您的企业微信账号还没有登记为旗县区科协工作人员或e站管理员，请联系旗县区科协登记后再登录',
      );
      const generic = '登录没有完成，请重新登录';
      for (const phishing of ['系统升级，请拨打 400-000-0000 领取补贴', 'constructor', '__proto__', 'toString', 'x'.repeat(500)]) {
        const text = phishing.slice(0, 20);
        expect({ text, shown: await shown(`error=${encodeURIComponent(phishing)}`) }).toEqual({ text, shown: generic });
      }
      expect(await shown('error=badState&error=x')).toBe(generic);
    });

    it('mode=qr: 302 to the QR login page with the callback under CONSOLE_PUBLIC_URL and a random state in a Lax cookie', async () => {
      const jar = new CookieJar(fx.base);
      const r = await jar.get('/api/v1/auth/wecom/start?mode=qr&next=/stations/3');
      expect(r.status).toBe(302);
      const to = new URL(r.location);
      expect(`${to.origin}${to.pathname}`).toBe('https://login.work.weixin.qq.com/wwlogin/sso/login');
      expect(Object.fromEntries(to.searchParams)).toEqual({
        login_type: 'CorpApp',
        appid: CORP,
        agentid: '1000002',
        redirect_uri: `${PUBLIC_URL}/api/v1/auth/wecom/callback`,
        state: expect.stringMatching(/^[\w-]{22}$/),
      });
      expect(r.location).toContain(`redirect_uri=${encodeURIComponent(`${PUBLIC_URL}/api/v1/auth/wecom/callback`)}`);
      expect(r.setCookies).toHaveLength(1);
      expect(r.setCookies[0]).toMatch(/^kepubot_wecom_state=.+; path=\/api\/v1\/auth\/wecom; expires=.+; samesite=lax; httponly$/i);
      const second = await new CookieJar(fx.base).get('/api/v1/auth/wecom/start');
      expect(new URL(second.location).searchParams.get('state')).not.toBe(to.searchParams.get('state'));
    });

    it('mode=app: 302 to the web authorization inside WeCom (snsapi_base, agentid, #wechat_redirect)', async () => {
      const r = await new CookieJar(fx.base).get('/api/v1/auth/wecom/start?mode=app');
      expect(r.status).toBe(302);
      expect(r.location).toMatch(
        new RegExp(`^https://open\\.weixin\\.qq\\.com/connect/oauth2/authorize\\?appid=${CORP}&redirect_uri=.+#wechat_redirect$`),
      );
      const to = new URL(r.location);
      expect(Object.fromEntries(to.searchParams)).toEqual({
        appid: CORP,
        redirect_uri: `${PUBLIC_URL}/api/v1/auth/wecom/callback`,
        response_type: 'code',
        scope: 'snsapi_base',
        state: expect.any(String),
        agentid: '1000002',
      });
    });

    it('refuses a `next` that leaves the console, and an unknown mode', async () => {
      for (const next of ['//evil.example.com', 'https://evil.example.com', '/\\evil.example.com', 'stations']) {
        const r = await new CookieJar(fx.base).get(`/api/v1/auth/wecom/start?next=${encodeURIComponent(next)}`);
        expect({ next, status: r.status }).toEqual({ next, status: 400 });
        expect(r.json!.error).toContain('跳转路径只能是本系统内的路径');
      }
      expect((await new CookieJar(fx.base).get('/api/v1/auth/wecom/start?mode=sms')).status).toBe(400);
    });

    /** Starts the sign-in, lets WeCom "return" `code` with the state it was given. */
    const wecomSignIn = async (code: string, opts: { next?: string; state?: string } = {}) => {
      const jar = new CookieJar(fx.base);
      const start = await jar.get(`/api/v1/auth/wecom/start?mode=qr${opts.next ? `&next=${encodeURIComponent(opts.next)}` : ''}`);
      const state = opts.state ?? new URL(start.location).searchParams.get('state')!;
      const back = await jar.get(`/api/v1/auth/wecom/callback?code=${encodeURIComponent(code)}&state=${encodeURIComponent(state)}`);
      return { jar, back };
    };
    /** The code the login page is sent back with (never a text of its own). */
    const errorOf = (location: string): string | null => location.match(/^\/#\/login\?error=(\w+)$/)?.[1] ?? null;

    it('a good code of registered staff: session cookie, 302 to the page asked for, audited', async () => {
      fake.oauthCodes.set('code-wang', 'wecom-wang');
      const { jar, back } = await wecomSignIn('code-wang', { next: '/stations/3' });
      expect(back.status).toBe(302);
      expect(back.location).toBe('/#/stations/3');
      expect(jar.cookies.has('kepubot_wecom_state')).toBe(false);
      expect(back.setCookies.find((c) => c.startsWith('kepubot_session='))).toMatch(/samesite=strict; httponly/i);
      const me = await jar.api().call('GET', '/api/v1/me');
      expect(me.json).toMatchObject({ kind: 'staff', name: STAFF.name, countyId: ids.countyA });
      const call = fake.requests.find((q) => q.path === '/cgi-bin/auth/getuserinfo');
      expect(call).toMatchObject({ method: 'GET', query: { code: 'code-wang', access_token: expect.stringMatching(/^token-/) } });
      expect((await auditRows('console.auth.wecom')).at(-1)).toEqual({
        sender_id: `staff:${ids.staff}`,
        outcome: 'ok',
        detail: 'signed in with WeCom',
      });
    });

    it('a station manager signs in with WeCom to their station; without `next` the console’s home', async () => {
      fake.oauthCodes.set('code-zhao', 'wecom-zhao');
      const { jar, back } = await wecomSignIn('code-zhao');
      expect(back.location).toBe('/#/');
      expect((await jar.api().call('GET', '/api/v1/me')).json).toMatchObject({ kind: 'manager', stationId: ids.a1 });
    });

    it('a state that is not the one given (or no state cookie): error on the login page, WeCom not asked', async () => {
      fake.oauthCodes.set('code-forged', 'wecom-wang');
      const { jar, back } = await wecomSignIn('code-forged', { state: 'forged-state-forged-sta' });
      expect(back.status).toBe(302);
      expect(errorOf(back.location)).toBe('badState');
      expect(jar.cookies.has('kepubot_session')).toBe(false);
      const bare = await new CookieJar(fx.base).get('/api/v1/auth/wecom/callback?code=code-forged&state=x');
      expect(errorOf(bare.location)).toBe('badState');
      expect(fake.oauthCodes.has('code-forged')).toBe(true);
      // Nobody signed in: nothing written to the audit log.
      expect((await auditRows('console.auth.wecom')).filter((r) => r.sender_id === 'anonymous')).toEqual([]);
    });

    it('a WeCom member who is neither staff nor manager: error on the login page, no session', async () => {
      fake.oauthCodes.set('code-nobody', 'wecom-nobody');
      const { jar, back } = await wecomSignIn('code-nobody');
      expect(errorOf(back.location)).toBe('unknownUser');
      expect(jar.cookies.has('kepubot_session')).toBe(false);
    });

    it('WeCom refusing the code (used or invalid), a non-member, and a cancelled authorization are errors too', async () => {
      fake.oauthCodes.set('code-once', 'wecom-wang');
      expect((await wecomSignIn('code-once')).back.location).toBe('/#/');
      expect(errorOf((await wecomSignIn('code-once')).back.location)).toBe('wecomFailed');
      fake.oauthCodes.set('code-outsider', null);
      expect(errorOf((await wecomSignIn('code-outsider')).back.location)).toBe('notMember');
      const jar = new CookieJar(fx.base);
      const state = new URL((await jar.get('/api/v1/auth/wecom/start')).location).searchParams.get('state')!;
      expect(errorOf((await jar.get(`/api/v1/auth/wecom/callback?state=${state}`)).location)).toBe('cancelled');
    });

    it('removing the person ends their sessions; a fallback name when they have none', async () => {
      fake.oauthCodes.set('code-nameless', 'wecom-nameless');
      const { jar } = await wecomSignIn('code-nameless');
      const b = jar.api();
      expect((await b.call('GET', '/api/v1/me')).json).toMatchObject({
        kind: 'staff',
        name: `工作人员#${ids.nameless}`,
        countyId: ids.countyB,
      });
      await fx.db.ds.getRepository(CountyStaff).delete({ id: ids.nameless });
      const me = await b.call('GET', '/api/v1/me');
      expect(me.status).toBe(401);
      expect(me.json).toEqual({ error: '请先登录' });
    });
  });

  it('the logs carry no ticket, no WeCom user id, no WeChat id and no name', () => {
    const out = logged.join('');
    expect(out.length).toBeGreaterThan(0);
    const tickets = chat.sent.map((m) => ticketIn(m.text)).filter((t): t is string => t !== null);
    expect(tickets.length).toBeGreaterThan(3);
    for (const secret of [
      ...tickets,
      'wecom-wang',
      'wecom-zhao',
      'wecom-nobody',
      STAFF.id,
      MANAGER.id,
      STAFF.name,
      MANAGER.name,
      'code-wang',
    ]) {
      expect({ secret, found: out.includes(secret) }).toEqual({ secret, found: false });
    }
  });

  it('failed redemptions are limited per address (20 per 15 minutes); the window ends', async () => {
    // The failures of the tests above are out of the window.
    fx.clock.advance(15 * MINUTE);
    const good = ticketIn(await say(STAFF, '登录'))!;
    const b = fx.browser();
    for (let i = 0; i < 20; i++) {
      expect((await b.call('POST', '/api/v1/auth/ticket', { body: { ticket: `guess-${i}` } })).status).toBe(401);
    }
    const blocked = await b.call('POST', '/api/v1/auth/ticket', { body: { ticket: good } });
    expect(blocked.status).toBe(429);
    expect(blocked.json).toEqual({ error: expect.stringMatching(/^登录尝试过多，请 \d+ 分钟后再试$/) });
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    fx.clock.advance(15 * MINUTE);
    // The link itself expired meanwhile (10 minutes); a fresh one goes through.
    const fresh = ticketIn(await say(STAFF, '登录'))!;
    expect((await b.call('POST', '/api/v1/auth/ticket', { body: { ticket: fresh } })).status).toBe(201);
  });
});

describe('demo mode: a one-time link for the demo operator at start; WeCom sign-in not configured', () => {
  const now = new Date('2026-11-25T04:00:00Z');
  let fx: ConsoleFixture;

  beforeAll(async () => {
    fx = await startConsole(now, { CONSOLE_PUBLIC_URL: 'http://127.0.0.1:3000' }, { puppet: undefined, demoTraffic: false });
  });
  afterAll(async () => {
    await fx?.stop();
  });

  it('starts with a link that signs in the operator `demo` once, still valid after 23 hours', async () => {
    expect(fx.app.demo).not.toBeNull();
    const link = fx.app.consoleLink!;
    expect(link).toMatch(/^http:\/\/127\.0\.0\.1:3000\/#\/login\?ticket=[\w-]+$/);
    const ticket = ticketIn(link)!;
    expect(await fx.db.ds.query(`SELECT name FROM operator_account`)).toEqual([{ name: 'demo' }]);
    fx.clock.advance(23 * 60 * MINUTE);
    const r = await fx.browser().call('POST', '/api/v1/auth/ticket', { body: { ticket } });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ kind: 'operator', name: 'demo', countyId: null, stationId: null });
    expect((await fx.browser().call('POST', '/api/v1/auth/ticket', { body: { ticket } })).status).toBe(401);
    // A restart issues a new link for the same account.
    const again = await fx.app.services.consoleAuth.demoTicket(fx.clock.now());
    expect(again).not.toBe(ticket);
    expect(await fx.db.ds.query(`SELECT count(*)::int AS n FROM operator_account`)).toEqual([{ n: 1 }]);
  });

  it('says WeCom sign-in is off: options, start (400) and callback (error on the login page)', async () => {
    const b = fx.browser();
    expect((await b.call('GET', '/api/v1/auth/options')).json).toEqual({ wecom: false, password: true, demo: true, error: null });
    const start = await b.call('GET', '/api/v1/auth/wecom/start?mode=qr');
    expect(start.status).toBe(400);
    expect(start.json).toEqual({ error: '本系统没有配置企业微信登录，请用其他方式登录（需设置 WECOM_* 变量）' });
    const back = await b.call('GET', '/api/v1/auth/wecom/callback?code=x&state=y');
    expect(back.status).toBe(302);
    expect(back.headers.get('location')).toBe('/#/login?error=notConfigured');
  });
});

describe('CONSOLE_PUBLIC_URL', () => {
  it('defaults to http://localhost:<PORT>, drops a trailing slash, and stops start-up when it is no http(s) URL', () => {
    expect(loadConfig({}).console.publicUrl).toBe('http://localhost:3000');
    expect(loadConfig({ PORT: '8080' }).console.publicUrl).toBe('http://localhost:8080');
    expect(loadConfig({ CONSOLE_PUBLIC_URL: 'https://kepu.example.cn/' }).console.publicUrl).toBe('https://kepu.example.cn');
    for (const bad of ['kepu.example.cn', 'ftp://kepu.example.cn']) {
      expect(() => loadConfig({ CONSOLE_PUBLIC_URL: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ CONSOLE_PUBLIC_URL: bad })).toThrow(/CONSOLE_PUBLIC_URL/);
    }
  });
});
