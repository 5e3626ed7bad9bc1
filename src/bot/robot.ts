import type { Clock } from '../clock';
import type { AppConfig } from '../config';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { isDatabaseUnavailable } from '../db/errors';
import { OUTAGE_NOTICE, type OutageNotices } from './outage-notices';
import type { Services } from '../services';
import type { AuditEntry } from '../services/audit.service';
import type { ClaimPurpose } from '../services/message-claims';
import {
  isPrivate,
  type BotContext,
  type ChannelFilter,
  type Handler,
  type HelpEntry,
  type IncomingMessage,
  type ReplyFn,
} from './context';

type Matcher = RegExp | ((message: IncomingMessage) => boolean);

interface Listener {
  id: string;
  kind: 'hear' | 'respond';
  matcher: Matcher;
  channels?: ChannelFilter[];
  handler: Handler;
}

export interface ListenerOptions {
  /** A dotted id such as `shares.count`; tags the logger, the audit log and the metrics. */
  id: string;
  /** Channels this listener serves ('private': every one-to-one channel); all when omitted. */
  channels?: ChannelFilter[];
}

export interface RobotDeps {
  services: Services;
  config: AppConfig;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  /** Remembers who was told about a database outage (one notice per conversation per outage). */
  outage?: OutageNotices;
}

/** How a caller wants one message handled. */
export interface ReceiveOptions {
  /** Takes the commands' audit entries (the caller writes them); by default the robot writes each. */
  audit?: (entry: AuditEntry) => void;
  /**
   * Claims the message for a purpose (a group message several accounts heard): false when another
   * copy of it got there first. Without it every copy acts (one-to-one channels).
   */
  claim?: (purpose: ClaimPurpose) => Promise<boolean>;
}

/** The apology a user sees when a script fails; the log gets the detail. */
export const APOLOGY = '抱歉，处理您的消息时出了点问题，请稍后再试。';

/** Command prefix in groups: `#` (or the full-width `＃`). */
const COMMAND_PREFIX = /^[#＃]\s*/;

/**
 * The listener registry and dispatcher (after Hubot): scripts register `hear` listeners (every
 * message) and `respond` listeners (commands); each listener runs in its own error boundary.
 */
export class Robot {
  private readonly listeners: Listener[] = [];
  private fallbackListener: Listener | null = null;
  readonly help: HelpEntry[] = [];

  constructor(private readonly deps: RobotDeps) {}

  /** Runs on every message the matcher accepts (matched against the raw text for a RegExp). */
  hear(matcher: Matcher, options: ListenerOptions, handler: Handler): void {
    this.add({ ...options, kind: 'hear', matcher, handler });
  }

  /** Runs on a command: `#命令 ...` in a group; in a private chat the `#` is optional. */
  respond(pattern: RegExp, options: ListenerOptions, handler: Handler): void {
    this.add({ ...options, kind: 'respond', matcher: pattern, handler });
  }

  get listenerIds(): string[] {
    return this.listeners.map((l) => l.id);
  }

  /** Runs on a command in a private channel (WeCom, Official Account, private chat) that no listener matched. */
  fallback(options: ListenerOptions, handler: Handler): void {
    this.fallbackListener = { ...options, kind: 'respond', matcher: /^/, handler };
  }

  private add(listener: Listener): void {
    if (this.listeners.some((l) => l.id === listener.id)) throw new Error(`duplicate listener id ${listener.id}`);
    this.listeners.push(listener);
  }

  /** The command text of a message, or null when it is not addressed to the bot. */
  static commandText(message: IncomingMessage): string | null {
    const text = message.text.trim();
    if (COMMAND_PREFIX.test(text)) return text.replace(COMMAND_PREFIX, '').trim();
    return isPrivate(message) ? text : null;
  }

  private static serves(listener: Listener, message: IncomingMessage): boolean {
    return !listener.channels || listener.channels.some((c) => c === message.channel || (c === 'private' && isPrivate(message)));
  }

  /**
   * Dispatches one message to every matching listener; never throws. With `options.audit`, the
   * commands' audit entries go to the caller (who writes them with its own statement) instead of
   * being written one by one.
   */
  async receive(message: IncomingMessage, reply: ReplyFn, options: ReceiveOptions = {}): Promise<void> {
    this.deps.metrics.messages.inc({ channel: message.channel });
    const command = Robot.commandText(message);
    let responded = false;
    // A command heard by several accounts is answered by the copy that claims it first.
    let commandClaimed: Promise<boolean> | null = null;
    const once = this.onceFor(message, options);
    for (const listener of this.listeners) {
      if (!Robot.serves(listener, message)) continue;
      let match: RegExpMatchArray | null = null;
      if (listener.kind === 'respond') {
        if (command === null || message.kind !== 'text') continue;
        match = command.match(listener.matcher as RegExp);
        if (!match) continue;
        responded = true;
        if (!commandClaimed) {
          commandClaimed = once('command');
          if (!(await commandClaimed)) this.deps.metrics.duplicatesIgnored.inc({ reason: 'command_claimed' });
        }
        if (!(await commandClaimed)) continue;
      } else if (typeof listener.matcher === 'function') {
        if (!listener.matcher(message)) continue;
      } else {
        match = message.text.match(listener.matcher);
        if (!match) continue;
      }
      await this.run(listener, message, match, reply, options, once);
    }
    const fb = this.fallbackListener;
    if (!responded && fb && command !== null && message.kind === 'text' && isPrivate(message)) {
      if (Robot.serves(fb, message)) await this.run(fb, message, [command], reply, options, once);
    }
  }

  /**
   * The message's claim, memoised per purpose. A claim that cannot be made (PostgreSQL down) lets
   * the copy act: the listener then meets the outage itself and says so.
   */
  private onceFor(message: IncomingMessage, options: ReceiveOptions): (purpose: ClaimPurpose) => Promise<boolean> {
    const claim = options.claim;
    if (!claim) return () => Promise.resolve(true);
    const made = new Map<ClaimPurpose, Promise<boolean>>();
    return (purpose) => {
      let p = made.get(purpose);
      if (!p) {
        p = claim(purpose).catch((err: unknown) => {
          this.deps.log.warn({ err, messageId: message.id }, 'could not claim a message: acting on it');
          return true;
        });
        made.set(purpose, p);
      }
      return p;
    };
  }

  private async run(
    listener: Listener,
    message: IncomingMessage,
    match: RegExpMatchArray | null,
    reply: ReplyFn,
    options: ReceiveOptions,
    once: (purpose: ClaimPurpose) => Promise<boolean>,
  ): Promise<void> {
    const log = this.deps.log.child({ listener: listener.id, messageId: message.id });
    const ctx: BotContext = {
      listenerId: listener.id,
      message,
      match,
      // A command's answer goes before what the bot says unasked (a binding prompt after a share).
      reply: (text, opts) => reply(text, { ...opts, priority: opts?.priority ?? (listener.kind === 'respond' ? 'answer' : 'prompt') }),
      once,
      services: this.deps.services,
      config: this.deps.config,
      clock: this.deps.clock,
      log,
      help: this.help,
    };
    let outcome: 'ok' | 'invalid' | 'refused' | 'error' = 'ok';
    let detail = '';
    let stationId: number | null = null;
    try {
      const result = await listener.handler(ctx);
      if (result) {
        outcome = result.outcome ?? 'ok';
        detail = result.detail ?? '';
        stationId = result.stationId ?? null;
      }
    } catch (err) {
      outcome = 'error';
      detail = err instanceof Error ? err.message : String(err);
      this.deps.metrics.scriptErrors.inc({ listener: listener.id });
      log.error({ err }, 'listener failed');
      // A share is silent: no reply at all when counting fails (it is spooled, or the log says why).
      if (listener.kind === 'respond') {
        let text: string | null = APOLOGY;
        if (isDatabaseUnavailable(err)) {
          const conversation = message.room?.id ?? `${message.channel}:${message.sender.id}`;
          text = (this.deps.outage?.first(conversation) ?? true) ? OUTAGE_NOTICE : null;
        }
        if (text) await reply(text).catch((e: unknown) => log.error({ err: e }, 'could not send the apology'));
      }
    }
    if (listener.kind === 'respond') {
      const entry: AuditEntry = {
        channel: message.channel,
        senderId: message.sender.id,
        senderName: message.sender.name,
        listenerId: listener.id,
        stationId,
        command: message.text,
        outcome,
        detail,
      };
      if (options.audit) options.audit(entry);
      else await this.deps.services.audit.record(entry).catch((err: unknown) => log.error({ err }, 'could not write the audit log'));
    }
  }
}
