import type { DataSource } from 'typeorm';
import type { Contact, Room } from 'wechaty';
import { sleep, type Clock } from '../../clock';
import { batchedLines, isRestrictionError, PRIORITY_ORDER, type SendPriority } from '../../domain/send-pacing';
import type { Logger } from '../../logger';
import type { Metrics } from '../../metrics';
import { LeaseLostError } from '../../services/account-lease.service';
import type { WechatSendLimiter } from '../../services/wechat-send-limiter';

/** A reply waiting to be said: where, to whom, what, and why (its priority). */
export interface PendingReply {
  room?: Room;
  contact: Contact;
  text: string;
  priority: SendPriority;
}

interface QueuedReply extends PendingReply {
  queuedAt: number;
  seq: number;
  done: () => void;
}

export interface WechatRepliesOptions {
  /** Spacing kept in this process when PostgreSQL (the shared budget) cannot be reached. */
  intervalMs: number;
  /** Replies that waited longer than this are dropped: the moment has passed. */
  maxAgeMs?: number;
  /** Replies waiting at most; more are dropped (a flood of commands must not become a flood of replies). */
  maxQueue?: number;
  /**
   * The account's lease (AccountPool): `lost()` is called when the fencing check refuses a send;
   * `freshLocally()` says whether the lease may still be ours while PostgreSQL cannot be asked.
   */
  lease?: { lost(): void; freshLocally(): boolean };
  /** Answers and prompts for one group queued within this window go out as one message (0: no waiting). */
  batchWindowMs?: number;
  /** At most this many people in one batched message (default 20). */
  batchMax?: number;
  /**
   * WeChat answered a send with "too frequent" or "restricted": the account stops sending (the
   * replies still waiting for its groups are handed over with the failed ones) until the handler's
   * pause ends. The handler moves the account's groups to another speaker and alerts once.
   */
  restricted?: (pending: PendingReply[]) => Promise<void>;
  /** A send went through (after a restriction: the incident is over). */
  sent?: () => void;
}

/**
 * The bot's immediate replies in WeChat (group answers @-mentioning the sender, private chat
 * answers). Each waits its turn in the account's one limiter (WechatSendLimiter, shared with
 * the send queue and with other instances); while PostgreSQL is unreachable the same spacing
 * is kept in this process. Answers to a person's question go before binding prompts (and both
 * before the send queue's unsolicited messages: the limiter holds those while replies wait);
 * answers and prompts for one group that wait together go out as one message, each person
 * @-mentioned on a line of their own.
 */
export class WechatReplies {
  private readonly queue: QueuedReply[] = [];
  private pumping: Promise<void> | null = null;
  private lastLocalSend = 0;
  private stopped = false;
  private waking: AbortController | null = null;
  private seq = 0;

  constructor(
    private readonly ds: DataSource,
    private readonly limiter: WechatSendLimiter,
    private readonly clock: Clock,
    private readonly options: WechatRepliesOptions,
    private readonly log: Logger,
    private readonly metrics?: Metrics,
  ) {
    // The send queue's unsolicited messages wait while replies do.
    limiter.higherPriorityWaiting = () => this.queue.length;
  }

  /** Queues a reply; resolves once it was said (or dropped, or handed to another account). Never throws. */
  say(target: { room?: Room; contact: Contact }, text: string, priority: SendPriority = 'answer'): Promise<void> {
    if (this.stopped || this.queue.length >= (this.options.maxQueue ?? 200)) {
      this.metrics?.repliesDropped.inc({ reason: this.stopped ? 'stopping' : 'queue_full' });
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      this.queue.push({ ...target, text, priority, queuedAt: this.clock.now().getTime(), seq: this.seq++, done: resolve });
      // Highest priority first, then in order of arrival.
      this.queue.sort((a, b) => PRIORITY_ORDER[a.priority] - PRIORITY_ORDER[b.priority] || a.seq - b.seq);
      if (this.pumping) this.waking?.abort();
      else this.kick();
    });
  }

  /** Starts the pump; a reply queued while the last one was ending starts it again. */
  private kick(): void {
    this.pumping = this.pump().finally(() => {
      this.pumping = null;
      if (this.queue.length > 0 && !this.stopped) this.kick();
    });
  }

  /** Replies waiting. */
  get depth(): number {
    return this.queue.length;
  }

  /** Lets the reply being sent finish; drops the rest. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.waking?.abort();
    await this.pumping;
    for (const r of this.queue.splice(0)) {
      this.metrics?.repliesDropped.inc({ reason: 'stopping' });
      r.done();
    }
  }

  private async pump(): Promise<void> {
    while (this.queue.length > 0 && !this.stopped) {
      const next = this.queue[0];
      const now = this.clock.now();
      if (now.getTime() - next.queuedAt > (this.options.maxAgeMs ?? 120_000)) {
        this.queue.shift();
        this.metrics?.repliesDropped.inc({ reason: 'too_old' });
        next.done();
        continue;
      }
      // A group's reply waits out the batch window: the others asking meanwhile get the same message.
      const window = next.room ? (this.options.batchWindowMs ?? 0) : 0;
      const ripe = next.queuedAt + window;
      if (ripe > now.getTime()) {
        await this.sleep(ripe - now.getTime());
        continue;
      }
      const wait = await this.slot(now, next.room?.id ?? next.contact.id);
      if (wait === 'refused') {
        // Another process drives this account now (or may): never say it from here.
        this.queue.shift();
        this.metrics?.repliesDropped.inc({ reason: 'lease_lost' });
        next.done();
        continue;
      }
      if (wait) {
        await this.sleep(Math.max(1, wait.getTime() - now.getTime()));
        continue;
      }
      const batch = this.takeBatch(next);
      // The spacing counts from the moment the message really goes out (the booking may have taken a while).
      this.lastLocalSend = this.clock.now().getTime();
      try {
        await this.send(batch);
        this.options.sent?.();
        for (const r of batch) r.done();
      } catch (err) {
        if (this.options.restricted && isRestrictionError(err)) {
          // Everything still waiting for this account's groups goes to their next speaker.
          const rest = this.queue.filter((r) => r.room);
          for (const r of rest) this.queue.splice(this.queue.indexOf(r), 1);
          const handed = [...batch, ...rest];
          this.log.warn({ replies: handed.length }, 'WeChat refused a send as too frequent or restricted: this account pauses');
          this.metrics?.repliesDropped.inc({ reason: 'restricted' }, handed.length);
          await this.options
            .restricted(handed.map(({ room, contact, text, priority }) => ({ room, contact, text, priority })))
            .catch((e: unknown) => this.log.error({ err: e }, 'could not hand over the replies of a restricted account'));
          for (const r of handed) r.done();
        } else {
          this.log.warn({ err }, 'a reply could not be sent');
          for (const r of batch) r.done();
        }
      }
    }
  }

  /** The head reply, and in a group every other waiting one for the same room (up to batchMax people). */
  private takeBatch(head: QueuedReply): QueuedReply[] {
    const max = this.options.batchMax ?? 20;
    const batch = head.room ? this.queue.filter((r) => r.room?.id === head.room!.id).slice(0, max) : [head];
    for (const r of batch) this.queue.splice(this.queue.indexOf(r), 1);
    return batch;
  }

  private async send(batch: QueuedReply[]): Promise<void> {
    const [first] = batch;
    if (!first.room) {
      await first.contact.say(first.text);
      return;
    }
    if (batch.length === 1) {
      await first.room.say(first.text, first.contact);
      return;
    }
    const { strings, people } = batchedLines(batch.map((r) => ({ person: r.contact, text: r.text })));
    const template = Object.assign([...strings], { raw: [...strings] }) as unknown as TemplateStringsArray;
    await first.room.say(template, ...people);
  }

  /** Null when the account may speak now (booked); otherwise when it may; 'refused' when this process lost the account. */
  private async slot(now: Date, conversation: string): Promise<Date | null | 'refused'> {
    const localNext = this.lastLocalSend + this.options.intervalMs;
    if (localNext > now.getTime()) return new Date(localNext);
    const { lease } = this.options;
    try {
      return await this.ds.transaction((m) => this.limiter.take(m, now, 'reply', conversation));
    } catch (err) {
      if (err instanceof LeaseLostError) {
        this.log.warn({ account: err.accountId }, 'a reply was refused: this process no longer holds the account');
        lease?.lost();
        return 'refused';
      }
      // PostgreSQL is unreachable: keep the spacing in this process, while the lease may still be ours.
      if (lease && !lease.freshLocally()) return 'refused';
      return null;
    }
  }

  /** Waits on the clock, at most a minute; a new reply (maybe of higher priority) or stop() wakes it. */
  private async sleep(ms: number): Promise<void> {
    const waking = new AbortController();
    this.waking = waking;
    await sleep(this.clock, Math.min(ms, 60_000), waking.signal);
    if (this.waking === waking) this.waking = null;
  }
}
