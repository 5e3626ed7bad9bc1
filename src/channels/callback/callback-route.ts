import Router from '@koa/router';
import { decrypt, encrypt, getSignature } from '@wecom/crypto';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import type { Context } from 'koa';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import getRawBody from 'raw-body';
import type { IncomingMessage } from '../../bot/context';
import type { Robot } from '../../bot/robot';
import type { Clock } from '../../clock';
import { logRef, type Logger } from '../../logger';
import type { Metrics } from '../../metrics';
import type { CallbackReceiptService } from '../../services/callback-receipt.service';

/** How one callback channel (WeCom app or Official Account) differs from the other. */
export interface CallbackSpec {
  channel: 'wecom' | 'mp';
  path: string;
  token: string;
  /** EncodingAESKey; absent = plain mode (Official Account only). */
  aesKey?: string;
  /** CorpID (WeCom) or AppID (Official Account): must equal the receiveid inside every ciphertext. */
  receiveId: string;
  maxAgeSeconds: number;
  bodyLimitBytes: number;
  replyDeadlineMs: number;
  /** Sends an answer that missed the passive-reply deadline (WeCom: message/send). */
  sendLate?: (toUser: string, text: string) => Promise<void>;
  /** Answer to an event (subscribe, enter_agent), or null for none. */
  onEvent?: (event: string, from: string) => string | null;
}

export interface CallbackDeps {
  robot: Robot;
  receipts: CallbackReceiptService;
  clock: Clock;
  log: Logger;
  metrics?: Metrics;
}

/** A 4xx answer with a message for the caller. */
class Reject extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

// Entities are never expanded (no XXE, no billion laughs); values stay strings.
const parser = new XMLParser({ processEntities: false, parseTagValue: false, ignoreDeclaration: true, ignoreAttributes: true });
const builder = new XMLBuilder({ cdataPropName: '__cdata' });

type Fields = Record<string, string | undefined>;

function parseXml(text: string): Fields {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new Reject(400, 'XML with DOCTYPE or ENTITY is not accepted');
  let doc: { xml?: Record<string, unknown> };
  try {
    doc = parser.parse(text, true) as { xml?: Record<string, unknown> };
  } catch (err) {
    throw new Reject(400, 'malformed XML');
  }
  if (!doc.xml || typeof doc.xml !== 'object') throw new Reject(400, 'malformed XML: no <xml> root');
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

function query(ctx: Context, name: string): string | undefined {
  const v = ctx.query[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * Mounts GET (URL verification) and POST (messages and events) for a WeCom app or an Official
 * Account: signature check, decryption with @wecom/crypto and a receiveid check, a timestamp
 * window, a body size limit, XML without entity expansion, dedupe of retried callbacks, and a
 * passive reply within the deadline (otherwise an acknowledgement and a late send).
 */
export function callbackRouter(spec: CallbackSpec, deps: CallbackDeps): Router {
  const router = new Router();
  const { log } = deps;

  const fail = (ctx: Context, err: unknown): void => {
    if (err instanceof Reject) {
      ctx.status = err.status;
      ctx.body = { error: err.message };
      log.warn({ channel: spec.channel, status: err.status, reason: err.message }, 'callback rejected');
      return;
    }
    throw err;
  };

  const checkTimestamp = (timestamp: string | undefined): void => {
    const ts = Number(timestamp);
    if (!timestamp || !Number.isFinite(ts)) throw new Reject(400, 'timestamp missing');
    const age = Math.abs(deps.clock.now().getTime() / 1000 - ts);
    if (age > spec.maxAgeSeconds) throw new Reject(403, `timestamp outside the ${spec.maxAgeSeconds}s window`);
  };

  const open = (ciphertext: string): string => {
    let plain: { message: string; id: string };
    try {
      plain = decrypt(spec.aesKey!, ciphertext);
    } catch {
      throw new Reject(400, 'cannot decrypt');
    }
    if (plain.id !== spec.receiveId) throw new Reject(403, 'receiveid does not match the configured id');
    return plain.message;
  };

  router.get(spec.path, (ctx) => {
    try {
      const timestamp = query(ctx, 'timestamp');
      const nonce = query(ctx, 'nonce') ?? '';
      const echostr = query(ctx, 'echostr');
      if (!echostr) throw new Reject(400, 'echostr missing');
      checkTimestamp(timestamp);
      if (spec.channel === 'wecom') {
        if (!sameSignature(getSignature(spec.token, timestamp!, nonce, echostr), query(ctx, 'msg_signature'))) {
          throw new Reject(403, 'msg_signature mismatch');
        }
        ctx.type = 'text/plain';
        ctx.body = open(echostr);
      } else {
        // The Official Account verifies the URL with the plain signature in both modes.
        if (!sameSignature(getSignature(spec.token, timestamp!, nonce, ''), query(ctx, 'signature'))) {
          throw new Reject(403, 'signature mismatch');
        }
        ctx.type = 'text/plain';
        ctx.body = echostr;
      }
    } catch (err) {
      fail(ctx, err);
    }
  });

  router.post(spec.path, async (ctx) => {
    let body: string;
    try {
      body = await getRawBody(ctx.req, { limit: spec.bodyLimitBytes, encoding: 'utf8', length: ctx.get('content-length') || undefined });
    } catch (err) {
      const e = err as { status?: number; type?: string };
      ctx.status = e.type === 'entity.too.large' ? 413 : (e.status ?? 400);
      ctx.body = { error: e.type === 'entity.too.large' ? `body larger than ${spec.bodyLimitBytes} bytes` : 'cannot read body' };
      return;
    }
    try {
      const timestamp = query(ctx, 'timestamp');
      const nonce = query(ctx, 'nonce') ?? '';
      checkTimestamp(timestamp);
      const outer = parseXml(body);
      const encrypted = spec.channel === 'wecom' || query(ctx, 'encrypt_type') === 'aes';
      let fields: Fields;
      if (encrypted) {
        if (!spec.aesKey) throw new Reject(400, 'encrypted callback but no EncodingAESKey is configured');
        const ciphertext = outer.Encrypt;
        if (!ciphertext) throw new Reject(400, 'Encrypt missing');
        if (!sameSignature(getSignature(spec.token, timestamp!, nonce, ciphertext), query(ctx, 'msg_signature'))) {
          throw new Reject(403, 'msg_signature mismatch');
        }
        fields = parseXml(open(ciphertext));
      } else {
        if (!sameSignature(getSignature(spec.token, timestamp!, nonce, ''), query(ctx, 'signature'))) {
          throw new Reject(403, 'signature mismatch');
        }
        fields = outer;
      }
      const text = await answer(fields);
      if (text === null) {
        ctx.type = 'text/plain';
        ctx.body = spec.channel === 'mp' ? 'success' : '';
        return;
      }
      ctx.type = 'application/xml';
      ctx.body = reply(fields, text, encrypted, nonce);
    } catch (err) {
      fail(ctx, err);
    }
  });

  /** Runs the message through the robot once per MsgId; null means "acknowledge, nothing to say now". */
  async function answer(f: Fields): Promise<string | null> {
    const from = f.FromUserName;
    const msgType = f.MsgType;
    if (!from || !msgType) throw new Reject(400, 'FromUserName or MsgType missing');
    const key = msgType === 'event' ? `event:${from}:${f.CreateTime ?? ''}:${f.Event ?? ''}` : `msg:${f.MsgId ?? `${from}:${f.CreateTime ?? ''}`}`;
    const claim = await deps.receipts.claim(spec.channel, key);
    if (claim.state === 'answered') return claim.reply || null;
    if (claim.state === 'pending') return waitForEarlier(key);

    let run: Promise<string>;
    if (msgType === 'event') {
      run = Promise.resolve(spec.onEvent?.(f.Event ?? '', from) ?? '');
    } else if (msgType !== 'text') {
      run = Promise.resolve('目前只支持文字命令。发“帮助”查看您可以使用的命令。');
    } else {
      const incoming: IncomingMessage = {
        id: `${spec.channel}:${f.MsgId ?? key}`,
        channel: spec.channel,
        kind: 'text',
        text: (f.Content ?? '').trim(),
        sentAt: new Date(Number(f.CreateTime ?? 0) * 1000 || deps.clock.now().getTime()),
        sender: { id: from, name: from },
        links: [],
      };
      run = (async () => {
        const parts: string[] = [];
        await deps.robot.receive(incoming, async (t) => {
          parts.push(t);
        });
        return parts.join('\n\n');
      })();
    }
    const settled = run.then(
      async (text) => {
        await deps.receipts.answer(spec.channel, key, text);
        return text;
      },
      async (err: unknown) => {
        await deps.receipts.release(spec.channel, key).catch(() => undefined);
        throw err;
      },
    );
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), spec.replyDeadlineMs);
    });
    const first = await Promise.race([settled, deadline]).finally(() => clearTimeout(timer));
    if (first !== 'late') return first || null;
    // Too slow for a passive reply: acknowledge now, send the answer when it is ready.
    log.warn({ channel: spec.channel, ref: logRef(key) }, 'answer missed the passive-reply deadline; sending it later');
    settled
      .then(async (text) => {
        if (!text) return;
        if (spec.sendLate) await spec.sendLate(from, text);
        else log.error({ channel: spec.channel, ref: logRef(key) }, 'late answer could not be sent: no send API for this channel');
      })
      .catch((err: unknown) => log.error({ err, channel: spec.channel, ref: logRef(key) }, 'late answer failed'));
    return null;
  }

  /** A retry while the first delivery is still running: wait for its answer until the deadline. */
  async function waitForEarlier(key: string): Promise<string | null> {
    const until = Date.now() + spec.replyDeadlineMs;
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
      const s = await deps.receipts.state(spec.channel, key);
      if (s.state === 'answered') return s.reply || null;
    }
    return null;
  }

  function reply(f: Fields, text: string, encrypted: boolean, nonce: string): string {
    const now = Math.floor(deps.clock.now().getTime() / 1000);
    const inner = builder.build({
      xml: {
        ToUserName: { __cdata: f.FromUserName },
        FromUserName: { __cdata: f.ToUserName ?? spec.receiveId },
        CreateTime: now,
        MsgType: { __cdata: 'text' },
        Content: { __cdata: text },
      },
    }) as string;
    if (!encrypted) return inner;
    const replyNonce = nonce || randomBytes(8).toString('hex');
    const ciphertext = encrypt(spec.aesKey!, inner, spec.receiveId);
    return builder.build({
      xml: {
        Encrypt: { __cdata: ciphertext },
        MsgSignature: { __cdata: getSignature(spec.token, now, replyNonce, ciphertext) },
        TimeStamp: now,
        Nonce: { __cdata: replyNonce },
      },
    }) as string;
  }

  return router;
}
