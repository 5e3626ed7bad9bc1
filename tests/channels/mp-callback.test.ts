import { decrypt, getSignature } from '@wecom/crypto';
import { XMLParser } from 'fast-xml-parser';
import { MP, sealed, startCallbackHarness, textXml, type CallbackHarness } from '../support/callback-harness';

const xml = new XMLParser({ processEntities: false, parseTagValue: false });
const NOW = new Date('2026-11-22T02:00:00Z');
const TS = Math.floor(NOW.getTime() / 1000);
const OPENID = 'o6_bmjrPTlm6_2sgVt7hMZOPfL2M';
const OTHER_OPENID = 'o6_bmjrPTlm6_2sgVt7hMZOtherMgr';
const GH = 'gh_1234567890ab';
let nonces = 5000;
const freshNonce = (): string => String(nonces++);

/** The plain-mode query WeChat sends: the signature covers token, timestamp and nonce only. */
const plainQuery = (nonce: string, openid = OPENID): string =>
  `signature=${getSignature(MP.token, TS, nonce, '')}&timestamp=${TS}&nonce=${nonce}&openid=${openid}`;

/** A safe-mode callback as WeChat sends it: both signatures, encrypt_type=aes, the encrypted body. */
function safeMode(inner: string, nonce = freshNonce()): { query: string; body: string } {
  const { query, body } = sealed(inner, { token: MP.token, aesKey: MP.aesKey, receiveId: MP.appId, timestamp: TS, nonce });
  return { query: `${plainQuery(nonce)}&encrypt_type=aes&${query.split('&')[0]}`, body };
}

/** The text of an encrypted passive reply, after checking its signature and AppID. */
function openReply(text: string): string {
  const outer = xml.parse(text).xml as Record<string, string>;
  expect(getSignature(MP.token, outer.TimeStamp, outer.Nonce, outer.Encrypt)).toBe(outer.MsgSignature);
  const plain = decrypt(MP.aesKey, outer.Encrypt);
  expect(plain.id).toBe(MP.appId);
  return (xml.parse(plain.message).xml as Record<string, string>).Content;
}

const ticketIn = (reply: string): string | null => {
  const m = reply.match(/#\/login\?ticket=([^\s]+)/);
  return m ? decodeURIComponent(m[1]) : null;
};

async function count(h: CallbackHarness, sql: string, params: unknown[] = []): Promise<number> {
  const [{ n }] = (await h.db.ds.query(`SELECT count(*)::int AS n FROM ${sql}`, params)) as Array<{ n: number }>;
  return n;
}

describe('Official Account callback (/mp/callback) in safe mode (MP_ENCODING_AES_KEY set)', () => {
  let h: CallbackHarness;
  beforeAll(async () => {
    h = await startCallbackHarness(NOW);
    await h.services.stations.add({ name: '第一中学e站', county: '演示旗' });
    await h.services.stations.add({ name: '第二中学e站', county: '演示旗' });
    await h.services.people.addManager('第一中学e站', { ids: { openid: OPENID } });
    await h.services.people.addManager('第二中学e站', { ids: { openid: OTHER_OPENID } });
  });
  afterAll(async () => {
    await h.stop();
  });

  async function post(query: string, body: string): Promise<Response> {
    return fetch(`${h.base}/mp/callback?${query}`, { method: 'POST', body });
  }

  /** Sends `content` from `openid` in safe mode and returns the decrypted answer. */
  async function say(openid: string, content: string, msgId: string): Promise<string> {
    const { query, body } = safeMode(textXml(openid, content, msgId, TS, GH));
    const res = await post(query, body);
    expect(res.status).toBe(200);
    return openReply(await res.text());
  }

  it('verifies the server URL with the plain signature and echoes echostr, as WeChat sends it in every mode', async () => {
    const ok = await fetch(`${h.base}/mp/callback?${plainQuery('42')}&echostr=hello123`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('hello123');
    const bad = await fetch(`${h.base}/mp/callback?signature=deadbeef&timestamp=${TS}&nonce=42&echostr=hello123`);
    expect(bad.status).toBe(403);
  });

  it('decrypts with the AppID as receiveid and answers encrypted; retries do not log twice', async () => {
    const inner = textXml(OPENID, '活动 昨天 展览 航天模型展 90人', 'mp-safe-1', TS, GH);
    const { query, body } = safeMode(inner);
    const texts: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await post(query, body);
      expect(res.status).toBe(200);
      texts.push(openReply(await res.text()));
    }
    expect(new Set(texts).size).toBe(1);
    expect(texts[0]).toContain('航天模型展');
    expect(await count(h, `activity WHERE title = '航天模型展'`)).toBe(1);

    const wrongApp = sealed(inner.replace('mp-safe-1', 'mp-safe-2'), {
      token: MP.token,
      aesKey: MP.aesKey,
      receiveId: 'wxffffffffffffffff',
      timestamp: TS,
    });
    const rejected = await post(`${wrongApp.query}&encrypt_type=aes`, wrongApp.body);
    expect(rejected.status).toBe(403);
  });

  it('refuses a plain-mode request with a valid signature: no answer, no link, nothing run (the request never picks the mode)', async () => {
    const before = {
      tickets: await count(h, 'console_login_ticket'),
      receipts: await count(h, 'callback_receipt'),
      audit: await count(h, 'audit_log'),
    };
    const forged = textXml(OPENID, '登录', 'mp-forged-1', TS, GH);
    // No encrypt_type, encrypt_type=raw, and a plain body under encrypt_type=aes: each signed with the valid plain signature.
    for (const extra of ['', '&encrypt_type=raw', '&encrypt_type=aes', '&encrypt_type=AES']) {
      const res = await post(`${plainQuery(freshNonce())}${extra}`, forged);
      expect(res.status).toBe(400);
      const text = await res.text();
      expect(text).not.toContain('ticket');
      expect(text).not.toContain('登录链接');
      expect(JSON.parse(text)).toHaveProperty('error');
    }
    const plain = await post(plainQuery(freshNonce()), forged);
    expect(((await plain.json()) as { error: string }).error).toContain('只接受安全模式');
    expect(await count(h, 'console_login_ticket')).toBe(before.tickets);
    expect(await count(h, 'callback_receipt')).toBe(before.receipts);
    expect(await count(h, 'audit_log')).toBe(before.audit);
  });

  it('a different sender reusing a MsgId gets an answer of their own, never the first sender’s stored one', async () => {
    expect(await say(OPENID, '本月', 'mp-shared-7')).toContain('第一中学e站 2026年11月');
    const answer = await say(OTHER_OPENID, '本月', 'mp-shared-7');
    expect(answer).toContain('第二中学e站 2026年11月');
    expect(answer).not.toContain('第一中学e站');
    expect(await say('o-stranger', '本月', 'mp-shared-7')).toContain('还没有登记为e站管理员');
  });

  it('登录: the link is answered but never stored; a retry gets a fresh link; no ticket is left in callback_receipt', async () => {
    const { query, body } = safeMode(textXml(OPENID, '登录', 'mp-login-1', TS, GH));
    const first = openReply(await (await post(query, body)).text());
    const ticket1 = ticketIn(first);
    expect(ticket1).not.toBeNull();
    // WeChat's retry of the same delivery (same query, same body): a fresh link, the first one untouched.
    const retry = openReply(await (await post(query, body)).text());
    const ticket2 = ticketIn(retry);
    expect(ticket2).not.toBeNull();
    expect(ticket2).not.toBe(ticket1);
    expect(retry).toContain('以e站管理员身份登录');

    const rows: Array<{ reply: string | null; withheld: boolean }> = await h.db.ds.query(
      `SELECT reply, withheld FROM callback_receipt WHERE channel = 'mp' AND dedupe_key LIKE '%mp-login-1%'`,
    );
    expect(rows).toEqual([{ reply: '', withheld: true }]);
    expect(
      await count(h, `callback_receipt WHERE reply LIKE '%ticket%' OR reply LIKE '%' || $1 || '%' OR reply LIKE '%' || $2 || '%'`, [
        ticket1,
        ticket2,
      ]),
    ).toBe(0);
    expect(await count(h, `audit_log WHERE detail LIKE '%' || $1 || '%' OR detail LIKE '%' || $2 || '%'`, [ticket1, ticket2])).toBe(0);
    // Each link was issued (and audited) once; the fresh one signs in.
    expect(await count(h, `audit_log WHERE listener_id = 'console.login' AND channel = 'mp'`)).toBe(2);
    expect(await h.services.consoleAuth.redeemTicket(ticket2!, NOW)).not.toBeNull();
  });
});

describe('Official Account callback (/mp/callback) in plain mode (no MP_ENCODING_AES_KEY)', () => {
  let h: CallbackHarness;
  beforeAll(async () => {
    h = await startCallbackHarness(NOW, { MP_ENCODING_AES_KEY: '' });
    await h.services.stations.add({ name: '第一中学e站', county: '演示旗' });
    await h.services.people.addManager('第一中学e站', { ids: { openid: OPENID } });
  });
  afterAll(async () => {
    await h.stop();
  });

  async function post(query: string, body: string): Promise<Response> {
    return fetch(`${h.base}/mp/callback?${query}`, { method: 'POST', body });
  }

  it('logs an activity and replies with plain XML', async () => {
    const res = await post(plainQuery(freshNonce()), textXml(OPENID, '活动 今天 竞赛 科普知识竞赛 120人 学校礼堂', 'mp-1', TS, GH));
    expect(res.status).toBe(200);
    const reply = xml.parse(await res.text()).xml as Record<string, string>;
    expect(reply).toMatchObject({ ToUserName: OPENID, FromUserName: GH, MsgType: 'text' });
    expect(reply.Content).toMatch(/^已登记（编号 \d+）：第一中学e站 11月22日 竞赛「科普知识竞赛」120人，地点：学校礼堂/);
  });

  it('refuses an encrypted message: without an EncodingAESKey only plain mode is accepted', async () => {
    const { query, body } = sealed(textXml(OPENID, '本月', 'mp-enc-1', TS, GH), {
      token: MP.token,
      aesKey: MP.aesKey,
      receiveId: MP.appId,
      timestamp: TS,
      nonce: '777',
    });
    const res = await post(`${plainQuery('777')}&encrypt_type=aes&${query.split('&')[0]}`, body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toContain('只接受明文模式');
  });

  it('accepts a (signature, timestamp, nonce) once: another body under it is refused, the same body again is a retry', async () => {
    const nonce = freshNonce();
    const real = textXml(OPENID, '活动 今天 讲座 真实讲座 60人', 'mp-real-1', TS, GH);
    const ok = await post(plainQuery(nonce), real);
    expect(ok.status).toBe(200);
    const answer = await ok.text();
    expect(answer).toContain('真实讲座');

    // Someone who saw the query string posts their own body under it (any sender, any command).
    for (const sig of [
      plainQuery(nonce),
      plainQuery(nonce).replace(/signature=([0-9a-f]+)/, (_, s: string) => `signature=${s.toUpperCase()}`),
    ]) {
      const forged = await post(sig, textXml(OPENID, '活动 今天 讲座 伪造讲座 60人', 'mp-forged-2', TS, GH));
      expect(forged.status).toBe(403);
      expect(((await forged.json()) as { error: string }).error).toContain('已经用过');
    }
    const login = await post(plainQuery(nonce), textXml(OPENID, '登录', 'mp-forged-3', TS, GH));
    expect(login.status).toBe(403);
    expect(await login.text()).not.toContain('ticket');

    // WeChat's retry: the same query and the same body get the stored answer, nothing runs twice.
    const retry = await post(plainQuery(nonce), real);
    expect(retry.status).toBe(200);
    expect(await retry.text()).toBe(answer);
    expect(await count(h, `activity WHERE title = '真实讲座'`)).toBe(1);
    expect(await count(h, `activity WHERE title = '伪造讲座'`)).toBe(0);
    expect(await count(h, `callback_receipt WHERE dedupe_key LIKE '%mp-forged%'`)).toBe(0);
    expect(await count(h, 'console_login_ticket')).toBe(0);
  });

  it('answers a subscribe event once (deduped by FromUserName + CreateTime) and non-text messages with a hint', async () => {
    const event = `<xml><ToUserName><![CDATA[${GH}]]></ToUserName><FromUserName><![CDATA[newfan]]></FromUserName><CreateTime>${TS}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event></xml>`;
    const first = await (await post(plainQuery(freshNonce()), event)).text();
    expect(first).toContain('欢迎关注');
    // A retry that comes with a new nonce is deduped by the event's sender and time.
    const again = await (await post(plainQuery(freshNonce()), event)).text();
    expect(again).toBe(first);
    expect(await count(h, `callback_receipt WHERE channel = 'mp' AND dedupe_key LIKE '["event","newfan",%'`)).toBe(1);

    const image = `<xml><ToUserName><![CDATA[${GH}]]></ToUserName><FromUserName><![CDATA[${OPENID}]]></FromUserName><CreateTime>${TS}</CreateTime><MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://x/y.jpg]]></PicUrl><MsgId>mp-img-1</MsgId></xml>`;
    const hint = await (await post(plainQuery(freshNonce()), image)).text();
    expect(hint).toContain('目前只支持文字命令');
  });

  it('登录 in plain mode: a retry is never given a link (whoever copied the request could read it), only a hint to ask again', async () => {
    const tickets = await count(h, 'console_login_ticket');
    const query = plainQuery(freshNonce());
    const body = textXml(OPENID, '登录', 'mp-plain-login', TS, GH);
    const first = (xml.parse(await (await post(query, body)).text()).xml as Record<string, string>).Content;
    expect(ticketIn(first)).not.toBeNull();
    for (const q of [query, plainQuery(freshNonce())]) {
      const retry = await (await post(q, body)).text();
      expect(retry).not.toContain('ticket');
      expect((xml.parse(retry).xml as Record<string, string>).Content).toContain('请重新发送这条消息');
    }
    expect(await count(h, 'console_login_ticket')).toBe(tickets + 1);
    expect(await count(h, `callback_receipt WHERE reply LIKE '%ticket%'`)).toBe(0);
  });
});
