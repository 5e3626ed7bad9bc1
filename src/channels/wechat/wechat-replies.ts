import type { DataSource } from 'typeorm';
import type { Contact, Room } from 'wechaty';
import type { Clock } from '../../clock';
import type { Logger } from '../../logger';
import type { Metrics } from '../../metrics';
import { LeaseLostError } from '../../services/account-lease.service';
import type { WechatSendLimiter } from '../../services/wechat-send-limiter';

interface QueuedReply {
  room?: Room;
  contact: Contact;
  text: string;
  queuedAt: number;
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
}

/**
 * The bot's immediate replies in WeChat (group answers @-mentioning the sender, private chat
 * answers). Each waits its turn in the account's one limiter (WechatSendLimiter, shared with
 * the send queue and with other instances); while PostgreSQL is unreachable the same spacing
 * is kept in this process.
 */
export class WechatReplies {
  private readonly queue: QueuedReply[] = [];
  private pumping: Promise<void> | null = null;
  private lastLocalSend = 0;
  private stopped = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly ds: DataSource,
    private readonly limiter: WechatSendLimiter,
    private readonly clock: Clock,
    private readonly options: WechatRepliesOptions,
    private readonly log: Logger,
    private readonly metrics?: Metrics,
  ) {}

  /** Queues a reply; resolves once it was said (or dropped). Never throws. */
  say(target: { room?: Room; contact: Contact }, text: string): Promise<void> {
    if (this.stopped || this.queue.length >= (this.options.maxQueue ?? 200)) {
      this.metrics?.repliesDropped.inc({ reason: this.stopped ? 'stopping' : 'queue_full' });
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      this.queue.push({ ...target, text, queuedAt: this.clock.now().getTime(), done: resolve });
      if (!this.pumping) this.pumping = this.pump().finally(() => (this.pumping = null));
    });
  }

  /** Replies waiting. */
  get depth(): number {
    return this.queue.length;
  }

  /** Lets the reply being sent finish; drops the rest. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
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
      const wait = await this.slot(now);
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
      this.queue.shift();
      // The spacing counts from the moment the message really goes out (the booking may have taken a while).
      this.lastLocalSend = this.clock.now().getTime();
      try {
        if (next.room) await next.room.say(next.text, next.contact);
        else await next.contact.say(next.text);
      } catch (err) {
        this.log.warn({ err }, 'a reply could not be sent');
      } finally {
        next.done();
      }
    }
  }

  /** Null when the account may speak now (booked); otherwise when it may; 'refused' when this process lost the account. */
  private async slot(now: Date): Promise<Date | null | 'refused'> {
    const localNext = this.lastLocalSend + this.options.intervalMs;
    if (localNext > now.getTime()) return new Date(localNext);
    const { lease } = this.options;
    try {
      return await this.ds.transaction((m) => this.limiter.take(m, now, 'reply'));
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

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(
        () => {
          this.wake = null;
          resolve();
        },
        Math.min(ms, 60_000),
      );
      this.wake = () => {
        clearTimeout(t);
        this.wake = null;
        resolve();
      };
    });
  }
}
