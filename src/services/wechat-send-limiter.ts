import { DateTime } from 'luxon';
import type { EntityManager } from 'typeorm';
import { dailyCapFor } from '../domain/send-pacing';

/** The WeChat account's sending rules (anti-ban). */
export interface ThrottleOptions {
  /** Minimum spacing between two messages of the bot's WeChat account. */
  intervalMs: number;
  jitterMs: number;
  /** At most this many WeChat messages a day (half of it in an account's first `newAccountDays`). */
  dailyCap: number;
  /** At most this many messages in any 60 s (SEND_PER_MINUTE). */
  perMinute?: number;
  /** Minimum spacing when the next message goes to another conversation than the last (SEND_GROUP_SWITCH_MS). */
  switchIntervalMs?: number;
  /** Days after an account's first login with half the daily cap (SEND_NEW_ACCOUNT_DAYS). */
  newAccountDays?: number;
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
  /**
   * Messages of higher priority waiting in this process for this account (WechatReplies): while
   * there are any, unsolicited messages (kind 'queued') wait.
   */
  higherPriorityWaiting: () => number = () => 0;

  constructor(
    private readonly options: ThrottleOptions,
    private readonly random: () => number = Math.random,
    readonly account = 'default',
    private readonly fence?: (m: EntityManager) => Promise<void>,
    /** bot_account.id: its first login (new accounts get half the budget) and restriction are read in the booking. */
    readonly accountId?: number,
  ) {}

  /**
   * Inside a transaction: null when the account may send now (the send is booked), otherwise
   * the earliest instant it may. Quiet hours hold back unsolicited messages only: a reply to
   * someone who just asked is not held, and an unsolicited message waits while replies wait.
   * `conversation` (room or contact id): a switch to another one than the last send's waits
   * `switchIntervalMs`. A restricted account (bot_account.restricted_until) sends nothing until then.
   */
  async take(m: EntityManager, now: Date, kind: 'reply' | 'queued', conversation?: string): Promise<Date | null> {
    if (this.fence) await this.fence(m);
    await m.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [WECHAT_SEND_LOCK, this.account]);
    const { quiet, zone, intervalMs, jitterMs } = this.options;
    const t = DateTime.fromJSDate(now, { zone });
    let dailyCap = this.options.dailyCap;
    if (this.accountId !== undefined) {
      const [acc]: Array<{ first_login_at: Date | null; restricted_until: Date | null }> = await m.query(
        `SELECT first_login_at, restricted_until FROM bot_account WHERE id = $1`,
        [this.accountId],
      );
      if (acc?.restricted_until && new Date(acc.restricted_until).getTime() > now.getTime()) return new Date(acc.restricted_until);
      dailyCap = dailyCapFor(dailyCap, acc?.first_login_at ? new Date(acc.first_login_at) : null, now, this.options.newAccountDays ?? 3);
    }
    if (kind === 'queued') {
      const minute = t.hour * 60 + t.minute;
      const inQuiet = quiet.start <= quiet.end ? minute >= quiet.start && minute < quiet.end : minute >= quiet.start || minute < quiet.end;
      if (inQuiet) {
        let end = t.startOf('day').plus({ minutes: quiet.end });
        if (end <= t) end = end.plus({ days: 1 });
        return end.toJSDate();
      }
      if (this.higherPriorityWaiting() > 0) return new Date(now.getTime() + Math.max(intervalMs, 1000));
    }
    const today = t.toISODate()!;
    const rows: Array<{
      last_sent_at: Date | null;
      day: string | null;
      sent_today: number;
      last_conversation: string | null;
      recent: Date[];
    }> = await m.query(
      `SELECT last_sent_at, to_char(day, 'YYYY-MM-DD') AS day, sent_today, last_conversation, recent_sent_at AS recent
         FROM wechat_send_slot WHERE account = $1`,
      [this.account],
    );
    const slot = rows[0];
    const sentToday = slot && slot.day === today ? slot.sent_today : 0;
    if (sentToday >= dailyCap) return t.startOf('day').plus({ days: 1, minutes: quiet.end }).toJSDate();
    if (slot?.last_sent_at) {
      const switching = conversation !== undefined && slot.last_conversation !== null && slot.last_conversation !== conversation;
      const spacing = switching ? Math.max(intervalMs, this.options.switchIntervalMs ?? 0) : intervalMs;
      const next = new Date(new Date(slot.last_sent_at).getTime() + spacing + Math.floor(this.random() * jitterMs));
      if (next.getTime() > now.getTime()) return next;
    }
    // At most perMinute sends in any 60 s: the oldest of the last perMinute must be a minute old.
    const perMinute = this.options.perMinute ?? Number.MAX_SAFE_INTEGER;
    const recent = (slot?.recent ?? []).map((d) => new Date(d).getTime()).filter((x) => x > now.getTime() - 60_000);
    if (recent.length >= perMinute) {
      const oldest = recent.sort((a, b) => a - b)[recent.length - perMinute];
      return new Date(oldest + 60_000 + Math.floor(this.random() * jitterMs));
    }
    const kept = [...recent, now.getTime()].slice(-Math.min(perMinute, 1000)).map((x) => new Date(x));
    await m.query(
      `INSERT INTO wechat_send_slot (account, last_sent_at, day, sent_today, last_conversation, recent_sent_at) VALUES ($1, $2, $3, 1, $5, $6)
       ON CONFLICT (account) DO UPDATE SET last_sent_at = $2, day = $3, sent_today = $4, last_conversation = $5, recent_sent_at = $6`,
      [this.account, now, today, sentToday + 1, conversation ?? null, kept],
    );
    return null;
  }
}
