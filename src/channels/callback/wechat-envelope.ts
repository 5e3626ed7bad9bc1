/**
 * The WeChat-style callback envelope (WeCom apps, Official Accounts): signature check, AES
 * decryption with @wecom/crypto and a receiveid check, a timestamp window, XML without entity
 * expansion, and the passive reply (plain or encrypted and signed). Pure: no Koa, no I/O; a
 * refusal is thrown as an http-errors error (400 malformed, 403 forged or stale) that Koa answers.
 */
import { decrypt, encrypt, getSignature } from '@wecom/crypto';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import createError from 'http-errors';
import { timingSafeEqual } from 'node:crypto';
import type { SignedTriple } from '../../services/callback-receipt.service';
import type { Delivery } from './callback-route';

/** What a channel configures for its envelope. */
export interface EnvelopeKeys {
  token: string;
  /** EncodingAESKey; absent = plain mode only. */
  aesKey?: string;
  /** CorpID (WeCom) or AppID (Official Account): must equal the receiveid inside every ciphertext. */
  receiveId: string;
  /** How far the callback's timestamp may be from now, in seconds. */
  maxAgeSeconds: number;
}

/** The query parameters a WeChat-style callback carries. */
export interface EnvelopeQuery {
  timestamp?: string;
  nonce?: string;
  signature?: string;
  msg_signature?: string;
  echostr?: string;
}

/** The top-level fields of an `<xml>` document, as strings. */
export type Fields = Record<string, string | undefined>;

// Entities are never expanded (no XXE, no billion laughs); values stay strings.
const parser = new XMLParser({ processEntities: false, parseTagValue: false, ignoreDeclaration: true, ignoreAttributes: true });
const builder = new XMLBuilder({ cdataPropName: '__cdata' });

/** Parses a callback's `<xml>` document; DOCTYPE and ENTITY declarations are refused. */
export function parseXml(text: string): Fields {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw createError(400, 'XML with DOCTYPE or ENTITY is not accepted');
  let doc: { xml?: Record<string, unknown> };
  try {
    doc = parser.parse(text, true) as { xml?: Record<string, unknown> };
  } catch {
    throw createError(400, 'malformed XML');
  }
  if (!doc.xml || typeof doc.xml !== 'object') throw createError(400, 'malformed XML: no <xml> root');
  const out: Fields = {};
  for (const [k, v] of Object.entries(doc.xml)) out[k] = v === undefined || v === null ? undefined : String(v);
  return out;
}

function sameSignature(expected: string, given: string | undefined): boolean {
  if (!given) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given.toLowerCase());
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The timestamp is present and within `maxAgeSeconds` of `now`. */
export function checkTimestamp(timestamp: string | undefined, now: Date, maxAgeSeconds: number): void {
  const ts = Number(timestamp);
  if (!timestamp || !Number.isFinite(ts)) throw createError(400, 'timestamp missing');
  if (Math.abs(now.getTime() / 1000 - ts) > maxAgeSeconds) throw createError(403, `timestamp outside the ${maxAgeSeconds}s window`);
}

/** Checks `signature` (plain mode, over token/timestamp/nonce) or `msg_signature` (over the ciphertext too). */
function checkSignature(keys: EnvelopeKeys, q: EnvelopeQuery, ciphertext: string | null): void {
  const expected = getSignature(keys.token, q.timestamp ?? '', q.nonce ?? '', ciphertext ?? '');
  if (ciphertext === null) {
    if (!sameSignature(expected, q.signature)) throw createError(403, 'signature mismatch');
  } else if (!sameSignature(expected, q.msg_signature)) {
    throw createError(403, 'msg_signature mismatch');
  }
}

/** Decrypts a ciphertext and checks that it was sealed for this receiveid. */
function unseal(keys: EnvelopeKeys, ciphertext: string): string {
  if (!keys.aesKey) throw createError(400, 'encrypted callback but no EncodingAESKey is configured');
  let plain: { message: string; id: string };
  try {
    plain = decrypt(keys.aesKey, ciphertext);
  } catch {
    throw createError(400, 'cannot decrypt');
  }
  if (plain.id !== keys.receiveId) throw createError(403, 'receiveid does not match the configured id');
  return plain.message;
}

/**
 * Answers a URL verification (GET): `encrypted` = WeCom (msg_signature over an encrypted echostr,
 * answered decrypted), otherwise the Official Account (plain signature, echostr echoed as is).
 */
export function verifyUrl(keys: EnvelopeKeys, q: EnvelopeQuery, now: Date, encrypted: boolean): string {
  if (!q.echostr) throw createError(400, 'echostr missing');
  checkTimestamp(q.timestamp, now, keys.maxAgeSeconds);
  if (!encrypted) {
    checkSignature(keys, q, null);
    return q.echostr;
  }
  checkSignature(keys, q, q.echostr);
  return unseal(keys, q.echostr);
}

/** Checks and opens a delivery (POST): the message's fields, decrypted when `encrypted`. */
export function openMessage(keys: EnvelopeKeys, q: EnvelopeQuery, body: string, now: Date, encrypted: boolean): Fields {
  checkTimestamp(q.timestamp, now, keys.maxAgeSeconds);
  const outer = parseXml(body);
  if (!encrypted) {
    checkSignature(keys, q, null);
    return outer;
  }
  if (!keys.aesKey) throw createError(400, 'encrypted callback but no EncodingAESKey is configured');
  const ciphertext = outer.Encrypt;
  if (!ciphertext) throw createError(400, 'Encrypt missing');
  checkSignature(keys, q, ciphertext);
  return parseXml(unseal(keys, ciphertext));
}

/**
 * The passive text reply to `to` (the opened message): plain XML, or encrypted and signed with
 * `nonce` when `encrypted`.
 */
export function sealReply(keys: EnvelopeKeys, to: Fields, text: string, now: Date, encrypted: boolean, nonce: string): string {
  const ts = Math.floor(now.getTime() / 1000);
  const inner = builder.build({
    xml: {
      ToUserName: { __cdata: to.FromUserName },
      FromUserName: { __cdata: to.ToUserName ?? keys.receiveId },
      CreateTime: ts,
      MsgType: { __cdata: 'text' },
      Content: { __cdata: text },
    },
  }) as string;
  if (!encrypted) return inner;
  const ciphertext = encrypt(keys.aesKey!, inner, keys.receiveId);
  return builder.build({
    xml: {
      Encrypt: { __cdata: ciphertext },
      MsgSignature: { __cdata: getSignature(keys.token, ts, nonce, ciphertext) },
      TimeStamp: ts,
      Nonce: { __cdata: nonce },
    },
  }) as string;
}

/**
 * The triple a delivery was signed with (msg_signature when encrypted, else signature, in lower
 * case as it is compared), usable while its timestamp is within the window.
 */
export function signedTriple(keys: EnvelopeKeys, q: EnvelopeQuery, encrypted: boolean): SignedTriple {
  return {
    signature: ((encrypted ? q.msg_signature : q.signature) ?? '').toLowerCase(),
    timestamp: q.timestamp ?? '',
    nonce: q.nonce ?? '',
    validUntil: new Date((Number(q.timestamp) + keys.maxAgeSeconds) * 1000),
  };
}

/** What the shared callback route needs from an opened WeChat-style message. */
export type WechatDelivery = Delivery;

/**
 * A WeChat-style message as a delivery: its fields, the triple it was signed with, and a reply
 * sealed the way the message came (plain, or encrypted with the callback's nonce or a random one).
 * `emptyBody` is the channel's "nothing to say" answer ('' for WeCom, 'success' for the Official
 * Account).
 */
export function wechatDelivery(
  keys: EnvelopeKeys,
  fields: Fields,
  opts: { encrypted: boolean; nonce: string; signed: SignedTriple; emptyBody: string; now: () => Date },
): WechatDelivery {
  return {
    confidential: opts.encrypted,
    signed: opts.signed,
    from: fields.FromUserName,
    type: fields.MsgType,
    text: fields.Content,
    event: fields.Event,
    messageId: fields.MsgId,
    createTime: fields.CreateTime,
    reply: (text) => ({ type: 'application/xml', body: sealReply(keys, fields, text, opts.now(), opts.encrypted, opts.nonce) }),
    empty: { type: 'text/plain', body: opts.emptyBody },
  };
}
