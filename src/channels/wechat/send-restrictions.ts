import { DateTime } from 'luxon';
import type { Clock } from '../../clock';
import { restrictionBackoffMs } from '../../domain/send-pacing';
import type { Logger } from '../../logger';
import type { AlertService } from '../../services/alert.service';
import type { GroupSpeakers } from '../../services/group-speakers.service';
import type { GroupSpeech } from './group-speech';
import type { PendingReply } from './wechat-replies';

export interface SendRestrictionsOptions {
  speakers: GroupSpeakers;
  speech: GroupSpeech;
  alerts: AlertService;
  clock: Clock;
  log: Logger;
  zone: string;
  /** SEND_RESTRICTED_BACKOFF_MS / SEND_RESTRICTED_BACKOFF_MAX_MS. */
  backoffMs: number;
  backoffMaxMs: number;
}

/** The alert incident of an account's restriction. */
export const restrictionIncident = (accountId: number): string => `wechat-restricted:${accountId}`;

/**
 * What happens when WeChat answers an account's send with "too frequent" or "restricted": the
 * account sends nothing (bot_account.restricted_until, which every process's limiter and the
 * speaker election read) for a pause that doubles on each repeat, its groups move to another
 * speaker, the replies it could not say go through them, and one alert is raised per incident
 * (over when the account sends again).
 */
export class SendRestrictions {
  /** Restrictions in a row per account (reset by a send that goes through). */
  private readonly strikes = new Map<number, number>();

  constructor(private readonly options: SendRestrictionsOptions) {}

  async restricted(account: { id: number; name: string }, pending: PendingReply[]): Promise<Date> {
    const o = this.options;
    const strike = (this.strikes.get(account.id) ?? 0) + 1;
    this.strikes.set(account.id, strike);
    const until = new Date(o.clock.now().getTime() + restrictionBackoffMs(strike, o.backoffMs, o.backoffMaxMs));
    const moved = await o.speakers.restrict(account.id, until);
    o.log.warn(
      { account: account.name, strike, until, groupsMoved: moved.length },
      'an account was restricted by WeChat: it pauses its sends',
    );
    await o.speech.resend(account.id, pending);
    const at = DateTime.fromJSDate(until, { zone: o.zone }).toFormat('M月d日 HH:mm');
    await o.alerts
      .raise(restrictionIncident(account.id), {
        text: `微信号“${account.name}”发消息时被微信提示操作过于频繁或功能受限。该号暂停发送到 ${at}，它负责发言的群已改由同群的其他微信号发言。请检查该号的发送量，必要时在手机上处理限制提示。`,
      })
      .catch((err: unknown) => o.log.warn({ err }, 'could not raise the restriction alert'));
    return until;
  }

  /** A send of the account went through: a restriction incident is over. */
  sent(accountId: number): void {
    if (!this.strikes.has(accountId)) return;
    this.strikes.delete(accountId);
    void this.options.alerts.resolve(restrictionIncident(accountId)).catch(() => undefined);
  }
}
