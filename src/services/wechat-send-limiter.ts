import { DateTime } from 'luxon';
import type { EntityManager } from 'typeorm';

/** The WeChat account's sending rules (anti-ban). */
export interface ThrottleOptions {
  /** Minimum spacing between two messages of the bot's WeChat account. */
  intervalMs: number;
  jitterMs: number;
  /** At most this many WeChat messages a day. */
  dailyCap: number;
  /** Minutes after midnight: no unsolicited WeChat messages from start until end. */
  quiet: { start: number; end: number };
  zone: string;
  maxAttempts?: number;
}

/** Serialises each WeChat account's sends across kepubot instances (with the account's key: spacing is per account). */
export const WECHAT_SEND_LOCK = 0x6b657076;

/**
 * The one limiter every WeChat message of an account passes: immediate replies and the send
 * queue alike. The budget lives in PostgreSQL (wechat_send_slot, under an advisory lock per
 * account), so it holds across restarts and instances. With a `fence`, every booking first
 * checks in the same transaction that this process still holds the account's lease (it throws
 * otherwise), so two processes never drive one account.
 */
export class WechatSendLimiter {
  constructor(
    private readonly options: ThrottleOptions,
    private readonly random: () => number = Math.random,
    readonly account = 'default',
    private readonly fence?: (m: EntityManager) => Promise<void>,
  ) {}

  /**
   * Inside a transaction: null when the account may send now (the send is booked), otherwise
   * the earliest instant it may. Quiet hours hold back unsolicited messages only: a reply to
   * someone who just asked is not held.
   */
  async take(m: EntityManager, now: Date, kind: 'reply' | 'queued'): Promise<Date | null> {
    if (this.fence) await this.fence(m);
    await m.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [WECHAT_SEND_LOCK, this.account]);
    const { quiet, zone, intervalMs, jitterMs, dailyCap } = this.options;
    const t = DateTime.fromJSDate(now, { zone });
    if (kind === 'queued') {
      const minute = t.hour * 60 + t.minute;
      const inQuiet = quiet.start <= quiet.end ? minute >= quiet.start && minute < quiet.end : minute >= quiet.start || minute < quiet.end;
      if (inQuiet) {
        let end = t.startOf('day').plus({ minutes: quiet.end });
        if (end <= t) end = end.plus({ days: 1 });
        return end.toJSDate();
      }
    }
    const today = t.toISODate()!;
    const rows: Array<{ last_sent_at: Date | null; day: string | null; sent_today: number }> = await m.query(
      `SELECT last_sent_at, to_char(day, 'YYYY-MM-DD') AS day, sent_today FROM wechat_send_slot WHERE account = $1`,
      [this.account],
    );
    const slot = rows[0];
    const sentToday = slot && slot.day === today ? slot.sent_today : 0;
    if (sentToday >= dailyCap) return t.startOf('day').plus({ days: 1, minutes: quiet.end }).toJSDate();
    if (slot?.last_sent_at) {
      const next = new Date(new Date(slot.last_sent_at).getTime() + intervalMs + Math.floor(this.random() * jitterMs));
      if (next.getTime() > now.getTime()) return next;
    }
    await m.query(
      `INSERT INTO wechat_send_slot (account, last_sent_at, day, sent_today) VALUES ($1, $2, $3, 1)
       ON CONFLICT (account) DO UPDATE SET last_sent_at = $2, day = $3, sent_today = $4`,
      [this.account, now, today, sentToday + 1],
    );
    return null;
  }
}
