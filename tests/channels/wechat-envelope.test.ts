import { decrypt, getSignature } from '@wecom/crypto';
import { openMessage, parseXml, sealReply, verifyUrl, type EnvelopeKeys } from '../../src/channels/callback/wechat-envelope';
import { sealed, textXml, VECTOR } from '../support/callback-harness';

const keys: EnvelopeKeys = { token: VECTOR.token, aesKey: VECTOR.aesKey, receiveId: VECTOR.corpId, maxAgeSeconds: 300 };
const NOW = new Date('2026-11-22T02:00:00Z');
const TS = Math.floor(NOW.getTime() / 1000);

/** The HTTP status an envelope refusal carries. */
function statusOf(f: () => unknown): number | undefined {
  try {
    f();
  } catch (err) {
    return (err as { status?: number }).status;
  }
  return undefined;
}

describe('the WeChat-style envelope as a pure module (no Koa, no I/O)', () => {
  it('verifies WeCom’s published test vector and refuses a changed signature', () => {
    const q = { msg_signature: VECTOR.msgSignature, timestamp: String(VECTOR.timestamp), nonce: VECTOR.nonce, echostr: VECTOR.echostr };
    expect(verifyUrl(keys, q, new Date(VECTOR.timestamp * 1000), true)).toBe(VECTOR.echoPlain);
    expect(
      statusOf(() => verifyUrl(keys, { ...q, msg_signature: '6' + q.msg_signature.slice(1) }, new Date(VECTOR.timestamp * 1000), true)),
    ).toBe(403);
    expect(statusOf(() => verifyUrl(keys, { ...q, echostr: undefined }, new Date(VECTOR.timestamp * 1000), true))).toBe(400);
  });

  it('opens a sealed message and seals an encrypted, signed reply to it', () => {
    const { query, body } = sealed(textXml('zhangsan', '本月', 'm-1', TS), {
      token: keys.token,
      aesKey: keys.aesKey!,
      receiveId: keys.receiveId,
      timestamp: TS,
    });
    const q = Object.fromEntries(new URLSearchParams(query));
    const fields = openMessage(keys, q, body, NOW, true);
    expect(fields).toMatchObject({ FromUserName: 'zhangsan', MsgType: 'text', Content: '本月', MsgId: 'm-1' });
    const reply = parseXml(sealReply(keys, fields, '好的 ]]> <b>', NOW, true, 'n-1'));
    expect(getSignature(keys.token, reply.TimeStamp!, reply.Nonce!, reply.Encrypt!)).toBe(reply.MsgSignature);
    const inner = decrypt(keys.aesKey!, reply.Encrypt!);
    expect(inner.id).toBe(keys.receiveId);
    expect(parseXml(inner.message)).toMatchObject({ ToUserName: 'zhangsan', MsgType: 'text', Content: '好的 ]]> <b>' });
  });

  it('refuses a stale timestamp, another receiveid, entities and a plain message with a wrong signature', () => {
    const inner = textXml('zhangsan', '本月', 'm-2', TS);
    const good = sealed(inner, { token: keys.token, aesKey: keys.aesKey!, receiveId: keys.receiveId, timestamp: TS });
    const q = Object.fromEntries(new URLSearchParams(good.query));
    expect(statusOf(() => openMessage(keys, q, good.body, new Date(NOW.getTime() + 3_600_000), true))).toBe(403);
    const other = sealed(inner, { token: keys.token, aesKey: keys.aesKey!, receiveId: 'ww-other', timestamp: TS });
    expect(statusOf(() => openMessage(keys, Object.fromEntries(new URLSearchParams(other.query)), other.body, NOW, true))).toBe(403);
    expect(statusOf(() => parseXml(`<!DOCTYPE xml [<!ENTITY a "b">]><xml><A>&a;</A></xml>`))).toBe(400);
    expect(statusOf(() => parseXml('<xml><A>'))).toBe(400);
    expect(statusOf(() => openMessage(keys, { timestamp: String(TS), nonce: '1', signature: 'x' }, inner, NOW, false))).toBe(403);
    const plainQ = { timestamp: String(TS), nonce: '1', signature: getSignature(keys.token, TS, '1', '') };
    expect(openMessage(keys, plainQ, inner, NOW, false).Content).toBe('本月');
    expect(sealReply(keys, { FromUserName: 'zhangsan', ToUserName: 'gh_1' }, '好', NOW, false, '')).toContain(
      '<ToUserName><![CDATA[zhangsan]]></ToUserName>',
    );
  });
});
