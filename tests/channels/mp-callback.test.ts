import { decrypt, getSignature } from '@wecom/crypto';
import { XMLParser } from 'fast-xml-parser';
import { MP, sealed, startCallbackHarness, textXml, type CallbackHarness } from '../support/callback-harness';

const xml = new XMLParser({ processEntities: false, parseTagValue: false });
const NOW = new Date('2026-11-22T02:00:00Z');
const TS = Math.floor(NOW.getTime() / 1000);
const OPENID = 'o6_bmjrPTlm6_2sgVt7hMZOPfL2M';

describe('Official Account callback (/mp/callback), plain and safe mode', () => {
  let h: CallbackHarness;
  beforeAll(async () => {
    h = await startCallbackHarness(NOW);
    await h.services.stations.add({ name: '第一中学e站', county: '演示旗' });
    await h.services.people.addManager('第一中学e站', { openid: OPENID });
  });
  afterAll(async () => {
    await h.stop();
  });

  const plainQuery = (nonce = '42') => `signature=${getSignature(MP.token, TS, nonce, '')}&timestamp=${TS}&nonce=${nonce}&openid=${OPENID}`;

  it('verifies the server URL with the plain signature and echoes echostr', async () => {
    const ok = await fetch(`${h.base}/mp/callback?${plainQuery()}&echostr=hello123`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('hello123');
    const bad = await fetch(`${h.base}/mp/callback?signature=deadbeef&timestamp=${TS}&nonce=42&echostr=hello123`);
    expect(bad.status).toBe(403);
  });

  it('plain mode: logs an activity and replies with plain XML', async () => {
    const res = await fetch(`${h.base}/mp/callback?${plainQuery()}`, {
      method: 'POST',
      body: textXml(OPENID, '活动 今天 竞赛 科普知识竞赛 120人 学校礼堂', 'mp-1', TS, 'gh_1234567890ab'),
    });
    expect(res.status).toBe(200);
    const reply = xml.parse(await res.text()).xml as Record<string, string>;
    expect(reply).toMatchObject({ ToUserName: OPENID, FromUserName: 'gh_1234567890ab', MsgType: 'text' });
    expect(reply.Content).toMatch(/^已登记（编号 \d+）：第一中学e站 11月22日 竞赛「科普知识竞赛」120人，地点：学校礼堂/);
  });

  it('safe mode: decrypts with the AppID as receiveid and answers encrypted; retries do not log twice', async () => {
    const inner = textXml(OPENID, '活动 昨天 展览 航天模型展 90人', 'mp-safe-1', TS, 'gh_1234567890ab');
    const { query, body } = sealed(inner, { token: MP.token, aesKey: MP.aesKey, receiveId: MP.appId, timestamp: TS });
    const url = `${h.base}/mp/callback?${query}&encrypt_type=aes&${plainQuery().split('&')[0]}`;
    const texts: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(url, { method: 'POST', body });
      expect(res.status).toBe(200);
      const outer = xml.parse(await res.text()).xml as Record<string, string>;
      expect(getSignature(MP.token, outer.TimeStamp, outer.Nonce, outer.Encrypt)).toBe(outer.MsgSignature);
      const plain = decrypt(MP.aesKey, outer.Encrypt);
      expect(plain.id).toBe(MP.appId);
      texts.push((xml.parse(plain.message).xml as Record<string, string>).Content);
    }
    expect(new Set(texts).size).toBe(1);
    expect(texts[0]).toContain('航天模型展');
    const [{ n }] = await h.db.ds.query(`SELECT count(*)::int AS n FROM activity WHERE title = '航天模型展'`);
    expect(n).toBe(1);

    const wrongApp = sealed(inner.replace('mp-safe-1', 'mp-safe-2'), {
      token: MP.token,
      aesKey: MP.aesKey,
      receiveId: 'wxffffffffffffffff',
      timestamp: TS,
    });
    const rejected = await fetch(`${h.base}/mp/callback?${wrongApp.query}&encrypt_type=aes`, { method: 'POST', body: wrongApp.body });
    expect(rejected.status).toBe(403);
  });

  it('answers a subscribe event once (deduped by FromUserName + CreateTime) and non-text messages with a hint', async () => {
    const event = `<xml><ToUserName><![CDATA[gh_1234567890ab]]></ToUserName><FromUserName><![CDATA[newfan]]></FromUserName><CreateTime>${TS}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event></xml>`;
    const first = await (await fetch(`${h.base}/mp/callback?${plainQuery()}`, { method: 'POST', body: event })).text();
    expect(first).toContain('欢迎关注');
    const again = await (await fetch(`${h.base}/mp/callback?${plainQuery()}`, { method: 'POST', body: event })).text();
    expect(again).toBe(first);
    const [{ n }] = await h.db.ds.query(
      `SELECT count(*)::int AS n FROM callback_receipt WHERE channel = 'mp' AND dedupe_key LIKE 'event:newfan:%'`,
    );
    expect(n).toBe(1);

    const image = `<xml><ToUserName><![CDATA[gh_1234567890ab]]></ToUserName><FromUserName><![CDATA[${OPENID}]]></FromUserName><CreateTime>${TS}</CreateTime><MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://x/y.jpg]]></PicUrl><MsgId>mp-img-1</MsgId></xml>`;
    const hint = await (await fetch(`${h.base}/mp/callback?${plainQuery()}`, { method: 'POST', body: image })).text();
    expect(hint).toContain('目前只支持文字命令');
  });
});
