import Router from '@koa/router';
import type { Context } from 'koa';
import getRawBody from 'raw-body';
import type { ChannelName, IdentityKind, IncomingMessage } from '../../bot/context';
import { sleep } from '../../clock';
import { logRef } from '../../logger';
import type { AuditEntry } from '../../services/audit.service';
import type { KeptAnswer, SignedTriple } from '../../services/callback-receipt.service';
import type { ChannelDeps, ChannelPlugin, ChannelRequest, ReplyTo } from '../channel';
import { answerWithin } from '../deadline';

/** The dependencies of a callback channel's route. */
export type CallbackDeps = ChannelDeps;

/** A query string as the route hands it to a channel: single values only. */
export type CallbackQuery = ChannelRequest['query'];

/** An HTTP answer: content type and body. */
export interface CallbackAnswer {
  type: string;
  body: string;
}

/** One delivery, opened and checked by its channel. */
export interface Delivery {
  /** The sender's id on the channel. */
  from?: string;
  /** 'text', 'event', or any other message type (answered with a hint). */
  type?: string;
  text?: string;
  /** The event's name, for type 'event'. */
  event?: string;
  /** The channel's message id (dedupes retries). */
  messageId?: string;
  /** The channel's send time, in seconds since the epoch (as the channel wrote it). */
  createTime?: string;
  /**
   * The reply is sealed for the channel's account (encrypted: WeCom, the Official Account in safe
   * mode), so a retried delivery whose secret answer was withheld may get a fresh secret. Otherwise
   * such a retry gets a hint instead: whoever holds a copy of the request could read the answer.
   */
  confidential?: boolean;
  /**
   * The signature that authenticated the delivery, with its timestamp and nonce: accepted once
   * (the same body again is a retry). Absent for a channel without such a triple.
   */
  signed?: SignedTriple;
  /**
   * Where answers not given in the HTTP response go (`spec.send`): what the message gave, such as
   * a per-message response URL; default the sender's id.
   */
  replyTo?: ReplyTo;
  /** The passive reply carrying `text`; absent when the channel answers only through `replyTo` (then the request gets `empty` at once). */
  reply?(text: string): CallbackAnswer;
  /** The acknowledgement when there is nothing to say now. */
  empty: CallbackAnswer;
}

/**
 * A channel whose messages arrive as HTTP callbacks. The shared route does the HTTP part, the
 * dedupe of retries, the robot, and the reply deadline; the channel opens and seals its envelope.
 */
export interface CallbackChannelSpec {
  name: ChannelName;
  identityKind: IdentityKind;
  path: string;
  bodyLimitBytes: number;
  replyDeadlineMs: number;
  /** GET: checks a URL verification and returns the text to answer. Refusals are thrown as HTTP errors (http-errors). */
  verifyUrl(request: ChannelRequest): string;
  /** POST: checks (signature, age) and opens one delivery. Refusals are thrown as HTTP errors (http-errors) with a Chinese message. */
  open(request: ChannelRequest): Delivery;
  /** Sends an answer not given in the HTTP response to the delivery's reply address. */
  send?(replyTo: ReplyTo, text: string): Promise<void>;
  /** The answer to an event (subscribe, enter_agent), or null for none. */
  onEvent?(event: string, from: string): string | null;
}

const NOT_TEXT = '目前只支持文字命令。发“帮助”查看您可以使用的命令。';
const SECRET_NOT_REPEATED = '这条消息的回复含有一次性链接，为安全起见重试时不再发送。如果没有收到，请重新发送这条消息。';

/** The request as a channel sees it; the body is read by the caller within its limit. */
function requestOf(ctx: Context, body: string, receivedAt: Date): ChannelRequest {
  const query: Record<string, string> = {};
  for (const [k, v] of Object.entries(ctx.query)) if (typeof v === 'string') query[k] = v;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(ctx.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  return { method: ctx.method === 'GET' ? 'GET' : 'POST', path: ctx.path, query, headers, body, receivedAt };
}

/**
 * The dedupe key of a delivery: the sender and the message id (events: the sender, CreateTime and
 * the event; a message without an id: the sender and CreateTime), so a sender reusing someone
 * else's message id gets an answer of their own.
 */
export function dedupeKey(d: Pick<Delivery, 'messageId' | 'createTime' | 'event'>, from: string, type: string): string {
  if (type === 'event') return JSON.stringify(['event', from, d.createTime ?? '', d.event ?? '']);
  return JSON.stringify(d.messageId ? ['msg', from, d.messageId] : ['msg-at', from, d.createTime ?? '']);
}

/**
 * The routes of a callback channel: GET (URL verification) and POST (messages and events) with a
 * body size limit, each signed triple accepted once, dedupe of retried deliveries, the robot, and
 * a passive reply within the deadline (otherwise an acknowledgement now and the answer sent later
 * through `spec.send`). An answer carrying a secret is never stored: a retry gets a fresh one.
 */
export function callbackRouter(spec: CallbackChannelSpec, deps: CallbackDeps): Router {
  const router = new Router();
  const { log, clock, receipts, robot } = deps;
  /** Deliveries being answered by this process, so a retry waits for the first one's answer. */
  const inFlight = new Map<string, Promise<KeptAnswer>>();

  router.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (status && status < 500) log.warn({ channel: spec.name, status, reason: (err as Error).message }, 'callback rejected');
      throw err;
    }
  });

  router.get(spec.path, (ctx) => {
    ctx.type = 'text/plain';
    ctx.body = spec.verifyUrl(requestOf(ctx, '', clock.now()));
  });

  router.post(spec.path, async (ctx) => {
    const body = await getRawBody(ctx.req, {
      limit: spec.bodyLimitBytes,
      encoding: 'utf8',
      length: ctx.get('content-length') || undefined,
    }).catch((err: { status?: number; type?: string }) =>
      err.type === 'entity.too.large'
        ? ctx.throw(413, `body larger than ${spec.bodyLimitBytes} bytes`)
        : ctx.throw(err.status ?? 400, 'cannot read body'),
    );
    const now = clock.now();
    const delivery = spec.open(requestOf(ctx, body, now));
    if (delivery.signed && (await receipts.useSignature(spec.name, delivery.signed, body)) === 'other-body') {
      return ctx.throw(403, '这个签名（signature、timestamp、nonce）已经用过 (signature already used with another body)');
    }
    const { from, type } = delivery;
    if (!from || !type) return ctx.throw(400, 'FromUserName or MsgType missing');
    const text = await answer(delivery, from, type, now);
    const out = text && delivery.reply ? delivery.reply(text) : delivery.empty;
    ctx.type = out.type;
    ctx.body = out.body;
  });

  /**
   * Runs the delivery through the robot once per dedupe key; '' means "acknowledge, nothing to say
   * now". A secret answer is kept as a marker only: a retry runs the command again for a fresh
   * secret when the reply is sealed for the account, and gets a hint otherwise.
   */
  async function answer(d: Delivery, from: string, type: string, now: Date): Promise<string> {
    const key = dedupeKey(d, from, type);
    const claim = await receipts.claim(spec.name, key, now);
    if (claim.state === 'answered') return claim.reply;
    if (claim.state === 'new') return handle(d, from, type, key);
    if (claim.state === 'pending') {
      const earlier = await waitForEarlier(key);
      if (earlier !== null) return earlier;
    }
    return d.confidential ? handle(d, from, type, key) : SECRET_NOT_REPEATED;
  }

  /** Runs a claimed (or withheld) delivery, keeps its answer, and answers within the deadline or later. */
  async function handle(d: Delivery, from: string, type: string, key: string): Promise<string> {
    const work = run(d, from, type, key).then(
      async ({ answer: kept, audit }) => {
        await receipts.answer(spec.name, key, clock.now(), kept, audit);
        return kept;
      },
      async (err: unknown) => {
        await receipts.release(spec.name, key).catch(() => undefined);
        throw err;
      },
    );
    inFlight.set(key, work);
    void work.then(
      () => inFlight.delete(key),
      () => inFlight.delete(key),
    );
    const replyTo = d.replyTo ?? from;
    const later = {
      send: async ({ text }: KeptAnswer) => {
        if (!text) return;
        if (spec.send) await spec.send(replyTo, text);
        else log.error({ channel: spec.name, ref: logRef(key) }, 'late answer could not be sent: no send API for this channel');
      },
      failed: (err: unknown) => log.error({ err, channel: spec.name, ref: logRef(key) }, 'late answer failed'),
    };
    if (!d.reply) {
      // The channel answers only through the reply address: acknowledge now, send when done.
      work.then(later.send).catch(later.failed);
      return '';
    }
    const within = await answerWithin(clock, spec.replyDeadlineMs, work, later);
    if (within.inTime) return within.value.text;
    log.warn({ channel: spec.name, ref: logRef(key) }, 'answer missed the passive-reply deadline; sending it later');
    return '';
  }

  /** The answer to one delivery (text, and whether it carries a secret), and the audit entries of the commands it ran. */
  async function run(d: Delivery, from: string, type: string, key: string): Promise<{ answer: KeptAnswer; audit: AuditEntry[] }> {
    if (type === 'event') return { answer: { text: spec.onEvent?.(d.event ?? '', from) ?? '', secret: false }, audit: [] };
    if (type !== 'text') return { answer: { text: NOT_TEXT, secret: false }, audit: [] };
    const incoming: IncomingMessage = {
      // The key names the sender: only its digest goes into ids that reach the logs.
      id: `${spec.name}:${d.messageId || logRef(key)}`,
      channel: spec.name,
      identityKind: spec.identityKind,
      kind: 'text',
      text: (d.text ?? '').trim(),
      sentAt: new Date(Number(d.createTime ?? 0) * 1000 || clock.now().getTime()),
      sender: { id: from, name: from },
      links: [],
    };
    const parts: string[] = [];
    let secret = false;
    const audit: AuditEntry[] = [];
    await robot.receive(
      incoming,
      async (t, options) => {
        parts.push(t);
        secret ||= options?.secret === true;
      },
      { audit: (entry) => audit.push(entry) },
    );
    return { answer: { text: parts.join('\n\n'), secret }, audit };
  }

  /**
   * A retry while the first delivery is still running: its answer if it comes within the
   * deadline, else nothing (the first delivery sends it late); null when that answer is a secret,
   * which is never repeated. A first delivery in another process is watched through its receipt.
   */
  async function waitForEarlier(key: string): Promise<string | null> {
    const stop = new AbortController();
    const mine = inFlight.get(key);
    const earlier: Promise<string | null> = mine
      ? mine.then((kept) => (kept.secret ? null : kept.text))
      : (async () => {
          while (!stop.signal.aborted) {
            await sleep(clock, 50, stop.signal);
            const s = await receipts.state(spec.name, key);
            if (s.state === 'answered') return s.reply;
            if (s.state === 'withheld') return null;
          }
          return '';
        })();
    try {
      const within = await answerWithin(clock, spec.replyDeadlineMs, earlier, { send: async () => undefined, failed: () => undefined });
      return within.inTime ? within.value : '';
    } finally {
      stop.abort();
    }
  }

  return router;
}

/** A callback channel as a plug-in: its routes are the shared callback route with its envelope. */
export function callbackChannel(spec: CallbackChannelSpec, deps: CallbackDeps): ChannelPlugin {
  return {
    name: spec.name,
    identityKind: spec.identityKind,
    router: () => callbackRouter(spec, deps),
    send: spec.send ? (replyTo, text) => spec.send!(replyTo, text) : undefined,
  };
}
