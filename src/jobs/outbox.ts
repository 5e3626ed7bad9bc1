import type { DataSource, EntityManager } from 'typeorm';
import { OutboxMessage, type Deliver, type OutboxChannel } from '../db/entities';
import type { Logger } from '../logger';
import { WechatSendLimiter, type ThrottleOptions } from '../services/wechat-send-limiter';

export { outboxParts, type Deliver } from '../db/entities/outbox-message.entity';

export type { ThrottleOptions } from '../services/wechat-send-limiter';

export type TickResult = 'sent' | 'failed' | 'retry' | 'expired' | 'throttled' | 'idle';

const WECHAT: OutboxChannel[] = ['wechat-room', 'wechat-contact'];

/** A WeChat account a WeChat entry can go out through: its limiter (with the fencing check) and its deliver. */
export interface WechatSender {
  limiter: WechatSendLimiter;
  deliver: Deliver;
}

/** Chooses the account for a WeChat entry (one in the room, or one that knows the contact); null when this process has none. */
export type WechatSenders = (message: OutboxMessage) => Promise<WechatSender | null>;

type Claimed = { msg: OutboxMessage; deliver: Deliver };

/**
 * The send queue worker. Each tick sends at most one due outbox entry (a text or a file): claimed with
 * FOR UPDATE SKIP LOCKED (so instances share the work), marked 'sending' with its slot time in
 * the same transaction (so the spacing holds across instances and restarts), then delivered.
 * With `senders`, a WeChat entry goes out through an account this process holds, booked in that
 * account's limiter (whose fencing check runs in the same transaction); without, through `deliver`
 * and one limiter (key 'default').
 */
export class OutboxWorker {
  constructor(
    private readonly ds: DataSource,
    private readonly deliver: Deliver,
    private readonly options: ThrottleOptions,
    private readonly log: Logger,
    random: () => number = Math.random,
    private readonly senders?: WechatSenders,
    /**
     * The accounts this process drives: an entry for a WeChat group is claimed only where its
     * speaker is one of them (so only the speaker's process sends it). Without it, any process may.
     */
    private readonly speakingAccounts?: () => number[],
  ) {
    this.limiter = new WechatSendLimiter(options, random);
  }

  private readonly limiter: WechatSendLimiter;

  /**
   * After a crash, a message left 'sending' may or may not have gone out. kepubot never sends
   * it again (a repeat in a group is worse than a miss): it becomes 'uncertain' and is logged.
   */
  async recover(): Promise<number> {
    const rows: Array<{ id: string }> = await this.ds.query(
      `WITH u AS (
         UPDATE outbox_message SET state = 'uncertain', last_error = 'kepubot stopped while sending'
         WHERE state = 'sending' RETURNING id
       ) SELECT id FROM u`,
    );
    if (rows.length > 0) this.log.warn({ ids: rows.map((r) => r.id) }, 'messages interrupted while sending are not resent');
    return rows.length;
  }

  async tick(now: Date): Promise<TickResult> {
    const claimed = await this.ds.transaction(async (m) => this.claim(m, now));
    if (typeof claimed === 'string') return claimed;
    const claim = claimed.msg;
    try {
      await claimed.deliver(claim);
      await this.ds.query(`UPDATE outbox_message SET state = 'sent' WHERE id = $1`, [claim.id]);
      return 'sent';
    } catch (err) {
      const attempts = claim.attempts;
      const max = this.options.maxAttempts ?? 5;
      const give = attempts >= max;
      const retryAt = new Date(now.getTime() + 30_000 * 2 ** (attempts - 1));
      await this.ds.query(`UPDATE outbox_message SET state = $2, due_at = $3, last_error = $4 WHERE id = $1`, [
        claim.id,
        give ? 'failed' : 'queued',
        retryAt,
        String(err instanceof Error ? err.message : err).slice(0, 2000),
      ]);
      this.log.warn({ err, id: claim.id, attempts, final: give }, 'sending a message failed');
      return give ? 'failed' : 'retry';
    }
  }

  private async claim(m: EntityManager, now: Date): Promise<Claimed | TickResult> {
    const rows: OutboxMessage[] = await m
      .getRepository(OutboxMessage)
      .createQueryBuilder('o')
      .where(`o.state = 'queued' AND o.due_at <= :now`, { now })
      // A part (the file) waits while an earlier part of the same message (its text) may still go.
      .andWhere(
        `NOT EXISTS (SELECT 1 FROM outbox_message p WHERE p.run_id = o.run_id AND p.round = o.round AND p.recipient = o.recipient
           AND p.part < o.part AND p.state IN ('queued', 'sending'))`,
      )
      .andWhere(
        this.speakingAccounts
          ? `(o.channel <> 'wechat-room' OR EXISTS (SELECT 1 FROM wechat_group g WHERE g.room_id = o.recipient AND g.speaker_account_id = ANY(:held::int[])))`
          : 'TRUE',
        { held: this.speakingAccounts?.() ?? [] },
      )
      .orderBy('o.due_at', 'ASC')
      .addOrderBy('o.id', 'ASC')
      .limit(1)
      .setLock('pessimistic_write')
      .setOnLocked('skip_locked')
      .getMany();
    const msg = rows[0];
    if (!msg) return 'idle';
    if (msg.validUntil && msg.validUntil.getTime() < now.getTime()) {
      await m.query(`UPDATE outbox_message SET state = 'expired' WHERE id = $1`, [msg.id]);
      return 'expired';
    }
    let deliver = this.deliver;
    if (WECHAT.includes(msg.channel)) {
      let limiter = this.limiter;
      if (this.senders) {
        const sender = await this.senders(msg);
        if (!sender) {
          // Counted as a failed attempt (retried later, perhaps by a process holding an account in the room).
          await m.query(`UPDATE outbox_message SET state = 'sending', attempts = attempts + 1, sent_at = $2 WHERE id = $1`, [msg.id, now]);
          msg.attempts += 1;
          return { msg, deliver: () => Promise.reject(new Error('no WeChat account of this process can reach the recipient')) };
        }
        limiter = sender.limiter;
        deliver = sender.deliver;
      }
      // A reply relayed from another process (no job run) is an answer, not an unsolicited message.
      const wait = await limiter.take(m, now, msg.runId === null ? 'reply' : 'queued', msg.recipient);
      if (wait) {
        if (msg.validUntil && wait.getTime() > msg.validUntil.getTime()) {
          await m.query(`UPDATE outbox_message SET state = 'expired', last_error = 'quiet hours or daily cap' WHERE id = $1`, [msg.id]);
          return 'expired';
        }
        await m.query(`UPDATE outbox_message SET due_at = $2 WHERE id = $1`, [msg.id, wait]);
        return 'throttled';
      }
    }
    await m.query(`UPDATE outbox_message SET state = 'sending', attempts = attempts + 1, sent_at = $2 WHERE id = $1`, [msg.id, now]);
    msg.attempts += 1;
    return { msg, deliver };
  }
}
