import Router from '@koa/router';
import type { Context } from 'koa';
import getRawBody from 'raw-body';
import type { ChannelName, IdentityKind, IncomingMessage } from '../../bot/context';
import { sleep } from '../../clock';
import { logRef } from '../../logger';
import type { AuditEntry } from '../../services/audit.service';
import type { ChannelDeps, ChannelPlugin } from '../channel';
import { answerWithin } from '../deadline';

/** The dependencies of a callback channel's route (the plug-ins' deps without channel-specific clients). */
export type CallbackDeps = Omit<ChannelDeps, 'wecomApi'>;

/** A query string as the route hands it to a channel: single values only. */
export type CallbackQuery = Record<string, string | undefined>;

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
  /** The passive reply carrying `text`. */
  reply(text: string): CallbackAnswer;
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
  verifyUrl(query: CallbackQuery, now: Date): string;
  /** POST: checks and opens one delivery. Refusals are thrown as HTTP errors (http-errors). */
  open(query: CallbackQuery, body: string, now: Date): Delivery;
  /** Sends an answer that missed the passive-reply deadline. */
  send?(recipient: string, text: string): Promise<void>;
  /** The answer to an event (subscribe, enter_agent), or null for none. */
  onEvent?(event: string, from: string): string | null;
}

const NOT_TEXT = '目前只支持文字命令。发“帮助”查看您可以使用的命令。';

function queryOf(ctx: Context): CallbackQuery {
  const out: CallbackQuery = {};
  for (const [k, v] of Object.entries(ctx.query)) if (typeof v === 'string') out[k] = v;
  return out;
}

/**
 * The routes of a callback channel: GET (URL verification) and POST (messages and events) with a
 * body size limit, dedupe of retried deliveries, the robot, and a passive reply within the
 * deadline (otherwise an acknowledgement now and the answer sent later through `spec.send`).
 */
export function callbackRouter(spec: CallbackChannelSpec, deps: CallbackDeps): Router {
  const router = new Router();
  const { log, clock, receipts, robot } = deps;
  /** Deliveries being answered by this process, so a retry waits for the first one's answer. */
  const inFlight = new Map<string, Promise<string>>();

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
    ctx.body = spec.verifyUrl(queryOf(ctx), clock.now());
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
    const delivery = spec.open(queryOf(ctx), body, clock.now());
    const { from, type } = delivery;
    if (!from || !type) return ctx.throw(400, 'FromUserName or MsgType missing');
    const text = await answer(delivery, from, type);
    const out = text ? delivery.reply(text) : delivery.empty;
    ctx.type = out.type;
    ctx.body = out.body;
  });

  /** Runs the delivery through the robot once per dedupe key; '' means "acknowledge, nothing to say now". */
  async function answer(d: Delivery, from: string, type: string): Promise<string> {
    const key =
      type === 'event' ? `event:${from}:${d.createTime ?? ''}:${d.event ?? ''}` : `msg:${d.messageId ?? `${from}:${d.createTime ?? ''}`}`;
    const claim = await receipts.claim(spec.name, key);
    if (claim.state === 'answered') return claim.reply;
    if (claim.state === 'pending') return waitForEarlier(key);

    const work = run(d, from, type, key).then(
      async ({ text, audit }) => {
        await receipts.answer(spec.name, key, text, audit);
        return text;
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
    const within = await answerWithin(clock, spec.replyDeadlineMs, work, {
      send: async (text) => {
        if (!text) return;
        if (spec.send) await spec.send(from, text);
        else log.error({ channel: spec.name, ref: logRef(key) }, 'late answer could not be sent: no send API for this channel');
      },
      failed: (err) => log.error({ err, channel: spec.name, ref: logRef(key) }, 'late answer failed'),
    });
    if (within.inTime) return within.value;
    log.warn({ channel: spec.name, ref: logRef(key) }, 'answer missed the passive-reply deadline; sending it later');
    return '';
  }

  /** The answer to one delivery, and the audit entries of the commands it ran. */
  async function run(d: Delivery, from: string, type: string, key: string): Promise<{ text: string; audit: AuditEntry[] }> {
    if (type === 'event') return { text: spec.onEvent?.(d.event ?? '', from) ?? '', audit: [] };
    if (type !== 'text') return { text: NOT_TEXT, audit: [] };
    const incoming: IncomingMessage = {
      id: `${spec.name}:${d.messageId ?? key}`,
      channel: spec.name,
      identityKind: spec.identityKind,
      kind: 'text',
      text: (d.text ?? '').trim(),
      sentAt: new Date(Number(d.createTime ?? 0) * 1000 || clock.now().getTime()),
      sender: { id: from, name: from },
      links: [],
    };
    const parts: string[] = [];
    const audit: AuditEntry[] = [];
    await robot.receive(
      incoming,
      async (t) => {
        parts.push(t);
      },
      { audit: (entry) => audit.push(entry) },
    );
    return { text: parts.join('\n\n'), audit };
  }

  /**
   * A retry while the first delivery is still running: its answer if it comes within the
   * deadline, else nothing (the first delivery sends it late). A first delivery in another
   * process is watched through its receipt.
   */
  async function waitForEarlier(key: string): Promise<string> {
    const stop = new AbortController();
    const earlier =
      inFlight.get(key) ??
      (async () => {
        while (!stop.signal.aborted) {
          await sleep(clock, 50, stop.signal);
          const s = await receipts.state(spec.name, key);
          if (s.state === 'answered') return s.reply;
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
    send: spec.send ? (recipient, text) => spec.send!(recipient, text) : undefined,
  };
}
