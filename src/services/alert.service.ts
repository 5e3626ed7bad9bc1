import { DateTime } from 'luxon';
import QRCode from 'qrcode';
import type { DataSource, EntityManager } from 'typeorm';
import { systemClock, type Clock } from '../clock';
import type { AppConfig } from '../config';
import { TIME_ZONE } from '../domain/calendar';
import type { OutboxChannel, OutboxMessage, OutboxPayload } from '../db/entities';
import type { Logger } from '../logger';
import type { Deliver } from '../db/entities';
import { enqueueMessage } from './outbox-queue';
import { WECOM_USER } from '../domain/identity-kinds';

/** What an alert says: Chinese text and, optionally, a PNG (the login QR code). */
export interface AlertContent {
  text: string;
  png?: Buffer;
}

/**
 * queued: the alert went into the outbox; sent: sent directly (database down); already: this
 * incident was alerted before; no-recipient: nobody to tell (logged); failed: every direct send failed.
 */
export type AlertOutcome = 'queued' | 'sent' | 'already' | 'no-recipient' | 'failed';

/** The people and group robots an alert goes to. */
export interface AlertRecipients {
  /** WeCom user ids (sent through the WeCom app). */
  wecomUsers: string[];
  /** Group robot webhook URLs. */
  webhooks: string[];
  /** The county of each WeCom user id and webhook URL (a person registered in two counties: both). */
  counties?: Record<string, number[]>;
}

/** Who may receive the login QR code of an alert: the operator, and the staff and webhooks of these counties only. */
export interface AlertOptions {
  direct?: boolean;
  /** Set for an account's logout: the counties it serves ([] = the operator alone gets the QR code; others the text). */
  qrCounties?: number[];
}

interface PlannedAlert {
  channel: OutboxChannel;
  recipient: string;
  payload: OutboxPayload;
}

export interface AlertServiceDeps {
  ds: DataSource;
  config: Pick<AppConfig, 'alerts' | 'wecom'>;
  /** Sends one message now (createDeliver from channels/outbound): used while the database is down. */
  deliver: Deliver;
  log: Logger;
  clock?: Clock;
}

/** WeCom's message/send takes up to 1000 users; the outbox recipient column holds 600 characters. */
const MAX_USERS_PER_MESSAGE = 1000;
const MAX_RECIPIENT_CHARS = 600;
const QR_FILE_NAME = '微信登录二维码.png';

/** A short, non-personal account of an error (driver errors may quote query parameters in other fields). */
/** User ids joined as `a|b|c`, split so each part fits WeCom's and the outbox's limits. */
export function userBatches(users: string[]): string[] {
  const out: string[] = [];
  let current: string[] = [];
  let length = 0;
  for (const u of users) {
    const add = (current.length > 0 ? 1 : 0) + u.length;
    if (current.length > 0 && (length + add > MAX_RECIPIENT_CHARS || current.length >= MAX_USERS_PER_MESSAGE)) {
      out.push(current.join('|'));
      current = [];
      length = 0;
    }
    length += (current.length > 0 ? 1 : 0) + u.length;
    current.push(u);
  }
  if (current.length > 0) out.push(current.join('|'));
  return out;
}

/**
 * Alerts to people, at most one per incident. An incident (e.g. `wechat-logout`,
 * `database-down`) opens with raise() and ends with resolve(); raising it again meanwhile does
 * nothing. Recipients: every county's staff with a WeCom user id (WeCom app), every county's
 * group robot webhook, and the operator from config (ALERT_WECOM_USER, ALERT_WEBHOOK_URL).
 *
 * While the database is up, the incident is kept in `alert_incident` (one open row per key,
 * enforced by a partial unique index) and the alert is queued in the outbox, so a restart or a
 * second instance during the same incident does not alert again and the send is retried like
 * any other message. While it is down (or on `{ direct: true }`), the alert is sent at once
 * through the WeCom API / webhook to the operator and the recipients last read from the
 * database, and the incident is remembered in memory only (a restart during a database outage
 * may alert once more: better than never).
 */
export class AlertService {
  private readonly clock: Clock;
  private readonly open = new Set<string>();
  /** Resolved while the database was unreachable: written when it answers again. */
  private readonly pendingResolves = new Set<string>();
  private recipients: AlertRecipients = { wecomUsers: [], webhooks: [] };
  private chain: Promise<unknown> = Promise.resolve();
  private warnedNoWecom = false;

  constructor(private readonly deps: AlertServiceDeps) {
    this.clock = deps.clock ?? systemClock;
  }

  /** Whether the incident is open as far as this process knows. */
  isOpen(incidentKey: string): boolean {
    return this.open.has(incidentKey);
  }

  /** Opens the incident and alerts, unless it is open already. `direct` skips the database. */
  raise(incidentKey: string, content: AlertContent, opts: AlertOptions = {}): Promise<AlertOutcome> {
    return this.serial(() => this.doRaise(incidentKey, content, opts.direct ?? false, opts.qrCounties));
  }

  /** Ends the incident: the next raise() of the same key is a new incident. Unsent alerts of it expire. */
  resolve(incidentKey: string): Promise<void> {
    return this.serial(() => this.doResolve(incidentKey));
  }

  /** Reads the counties' recipients (kept for sending while the database is down). */
  refreshRecipients(): Promise<AlertRecipients> {
    return this.serial(async () => this.readRecipients(this.deps.ds.manager));
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(task, task);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async doRaise(key: string, content: AlertContent, direct: boolean, qrCounties?: number[]): Promise<AlertOutcome> {
    if (this.open.has(key)) return 'already';
    if (!direct) {
      try {
        const outcome = await this.raiseThroughOutbox(key, content, qrCounties);
        this.open.add(key);
        return outcome;
      } catch (err) {
        this.deps.log.warn({ incident: key, err }, 'could not queue the alert through the database; sending it directly');
      }
    }
    return this.raiseDirectly(key, content, qrCounties);
  }

  private async raiseThroughOutbox(key: string, content: AlertContent, qrCounties?: number[]): Promise<AlertOutcome> {
    await this.flushPendingResolves();
    const now = this.clock.now();
    return this.deps.ds.transaction(async (m) => {
      const inserted: Array<{ id: number }> = await m.query(
        `INSERT INTO alert_incident (incident_key, opened_at) VALUES ($1, $2)
         ON CONFLICT (incident_key) WHERE resolved_at IS NULL DO NOTHING RETURNING id`,
        [key, now],
      );
      if (inserted.length === 0) {
        this.deps.log.info({ incident: key }, 'alert incident already open (alerted before)');
        return 'already' as const;
      }
      const incidentId = inserted[0].id;
      const planned = this.plan(await this.readRecipients(m), content, qrCounties);
      if (planned.length === 0) {
        this.deps.log.warn(
          { incident: key },
          'alert has no recipient: register county staff with a WeCom user id, a county webhook, or set ALERT_WEBHOOK_URL',
        );
        return 'no-recipient' as const;
      }
      const [run]: Array<{ id: number }> = await m.query(
        `INSERT INTO job_run (job, scope, period, state, messages, finished_at) VALUES ('alert', $1, $2, 'planned', $3, $4) RETURNING id`,
        [`alert:${key}`.slice(0, 160), `#${incidentId}`, planned.length, now],
      );
      // Text and QR code as separate parts, like every queued message: a failed image never repeats the text.
      for (const msg of planned) await enqueueMessage(m, run.id, 0, msg, now);
      await m.query(`UPDATE alert_incident SET run_id = $2, recipients = $3 WHERE id = $1`, [incidentId, run.id, planned.length]);
      this.deps.log.warn({ incident: key, messages: planned.length, png: Boolean(content.png) }, 'alert queued');
      return 'queued' as const;
    });
  }

  private async raiseDirectly(key: string, content: AlertContent, qrCounties?: number[]): Promise<AlertOutcome> {
    const planned = this.plan(this.recipients, content, qrCounties);
    if (planned.length === 0) {
      this.deps.log.warn(
        { incident: key },
        'alert has no recipient (none known while the database is down); set ALERT_WEBHOOK_URL or ALERT_WECOM_USER',
      );
      this.open.add(key);
      return 'no-recipient';
    }
    let sent = 0;
    for (const msg of planned) {
      try {
        await this.deps.deliver({
          id: '0',
          runId: 0,
          channel: msg.channel,
          recipient: msg.recipient,
          payload: msg.payload,
        } as OutboxMessage);
        sent++;
      } catch (err) {
        this.deps.log.warn({ incident: key, channel: msg.channel, err }, 'sending an alert directly failed');
      }
    }
    this.deps.log.warn({ incident: key, sent, of: planned.length }, 'alert sent directly');
    if (sent === 0) return 'failed';
    this.open.add(key);
    return 'sent';
  }

  private async doResolve(key: string): Promise<void> {
    const wasOpen = this.open.delete(key);
    try {
      await this.flushPendingResolves();
      await this.resolveInDatabase(key);
    } catch (err) {
      this.pendingResolves.add(key);
      this.deps.log.warn({ incident: key, err }, 'could not record the end of the incident yet; will retry');
    }
    if (wasOpen) this.deps.log.info({ incident: key }, 'alert incident resolved');
  }

  private async resolveInDatabase(key: string): Promise<void> {
    const now = this.clock.now();
    await this.deps.ds.query(
      `WITH r AS (
         UPDATE alert_incident SET resolved_at = $2 WHERE incident_key = $1 AND resolved_at IS NULL RETURNING run_id
       )
       UPDATE outbox_message SET state = 'expired', last_error = 'incident resolved before sending'
       WHERE run_id IN (SELECT run_id FROM r WHERE run_id IS NOT NULL) AND state = 'queued'`,
      [key, now],
    );
  }

  private async flushPendingResolves(): Promise<void> {
    for (const key of [...this.pendingResolves]) {
      await this.resolveInDatabase(key);
      this.pendingResolves.delete(key);
    }
  }

  private async readRecipients(m: EntityManager): Promise<AlertRecipients> {
    const staff: Array<{ wecom_user_id: string; counties: number[] }> = await m.query(
      `SELECT i.external_id AS wecom_user_id, array_agg(DISTINCT s.county_id) AS counties
       FROM county_staff s JOIN region r ON r.id = s.county_id JOIN person_identity i ON i.staff_id = s.id AND i.kind = $1
       WHERE r.level = 'county' GROUP BY 1 ORDER BY 1`,
      [WECOM_USER.kind],
    );
    const hooks: Array<{ url: string; counties: number[] }> = await m.query(
      `SELECT digest_webhook_url AS url, array_agg(id) AS counties FROM region
       WHERE level = 'county' AND digest_webhook_url IS NOT NULL GROUP BY 1 ORDER BY 1`,
    );
    const counties: Record<string, number[]> = {};
    for (const r of [
      ...staff.map((s) => ({ key: s.wecom_user_id, counties: s.counties })),
      ...hooks.map((h) => ({ key: h.url, counties: h.counties })),
    ]) {
      counties[r.key] = [...(counties[r.key] ?? []), ...r.counties];
    }
    this.recipients = { wecomUsers: staff.map((s) => s.wecom_user_id), webhooks: hooks.map((h) => h.url), counties };
    return this.recipients;
  }

  /**
   * The messages for the counties' recipients plus the operator. With `qrCounties`, the QR code
   * goes to the operator and to the recipients of those counties only; the others get the text
   * and a line saying who has the code (whoever scans it takes the account over).
   */
  private plan(county: AlertRecipients, content: AlertContent, qrCounties?: number[]): PlannedAlert[] {
    const { alerts, wecom } = this.deps.config;
    const withQr: OutboxPayload = {
      text: content.text,
      ...(content.png ? { file: { name: QR_FILE_NAME, base64: content.png.toString('base64') } } : {}),
    };
    const textOnly: OutboxPayload = { text: `${content.text}\n（登录二维码只发给运维人员和这个微信号所服务旗县区的工作人员。）` };
    const operators = new Set([...alerts.operatorWecomUsers, ...(alerts.operatorWebhookUrl ? [alerts.operatorWebhookUrl] : [])]);
    const mayScan = (key: string): boolean =>
      !content.png || qrCounties === undefined || operators.has(key) || (county.counties?.[key] ?? []).some((c) => qrCounties.includes(c));
    const users = [...new Set([...alerts.operatorWecomUsers, ...county.wecomUsers])];
    const hooks = [...new Set([...(alerts.operatorWebhookUrl ? [alerts.operatorWebhookUrl] : []), ...county.webhooks])];
    const out: PlannedAlert[] = [];
    if (users.length > 0 && !wecom) {
      if (!this.warnedNoWecom) this.deps.log.warn({ users: users.length }, 'the WeCom app is not configured: alerts go to webhooks only');
      this.warnedNoWecom = true;
    } else {
      for (const [payload, group] of [
        [withQr, users.filter(mayScan)],
        [textOnly, users.filter((u) => !mayScan(u))],
      ] as const) {
        for (const batch of userBatches(group)) out.push({ channel: 'wecom-app', recipient: batch, payload });
      }
    }
    for (const url of hooks) out.push({ channel: 'wecom-webhook', recipient: url, payload: mayScan(url) ? withQr : textOnly });
    return out;
  }
}

function shanghaiTime(at: Date, zone = TIME_ZONE): string {
  return DateTime.fromJSDate(at, { zone }).toFormat('M月d日 HH:mm');
}

/** The login QR code as a PNG, for phones to scan. */
export function qrPng(payload: string): Promise<Buffer> {
  return QRCode.toBuffer(payload, { type: 'png', errorCorrectionLevel: 'M', margin: 4, width: 480 });
}

/** The alert for a logged-out WeChat account, with the login QR code when there is one. */
export async function wechatLogoutAlert(at: Date, qrcode: string | null, zone = TIME_ZONE, account?: string): Promise<AlertContent> {
  const who = account ? `机器人微信号“${account}”` : '机器人微信号';
  const head = `【科普e站助手】${who}已于 ${shanghaiTime(at, zone)} 退出登录，${account ? '只有它在的群' : '群里'}的转发暂时无法统计。`;
  if (!qrcode) return { text: `${head}\n请查看服务器日志中的登录二维码，用机器人使用的微信扫码重新登录。` };
  return {
    text: `${head}\n请用机器人使用的微信扫描随后发送的二维码图片（${QR_FILE_NAME}）重新登录；二维码几分钟后失效，失效后以日志中的新二维码为准。`,
    png: await qrPng(qrcode),
  };
}

/** The alert for a database that has been unreachable since `since`. */
export function databaseDownAlert(since: Date, zone = TIME_ZONE): AlertContent {
  return {
    text: `【科普e站助手】数据库自 ${shanghaiTime(since, zone)} 起无法连接，统计查询和定时消息暂停。请尽快检查服务器上的 PostgreSQL。`,
  };
}

/** The alert incident of an unreachable database. */
export const DATABASE_DOWN = 'database-down';

/**
 * Turns database health observations into the `database-down` incident: raised (directly, not
 * through the outbox) once the database has been unreachable for `afterSeconds`, resolved when
 * it answers again. Call observe() from whatever checks the database (e.g. every few seconds).
 */
export class DatabaseDownAlarm {
  private downSince: Date | null = null;

  constructor(
    private readonly alerts: AlertService,
    private readonly afterSeconds: number,
    private readonly clock: Clock = systemClock,
    private readonly zone = TIME_ZONE,
  ) {}

  /** Since when the database has been unreachable (null while it answers). */
  get since(): Date | null {
    return this.downSince;
  }

  async observe(up: boolean): Promise<AlertOutcome | 'resolved' | null> {
    if (up) {
      if (!this.downSince) return null;
      this.downSince = null;
      await this.alerts.resolve(DATABASE_DOWN);
      return 'resolved';
    }
    const now = this.clock.now();
    this.downSince ??= now;
    if (now.getTime() - this.downSince.getTime() < this.afterSeconds * 1000) return null;
    return this.alerts.raise(DATABASE_DOWN, databaseDownAlert(this.downSince, this.zone), { direct: true });
  }
}

/** The incident of a bound group unheard for too long on one day (one alert per group per day). */
export function groupUnheardIncident(groupId: number, day: string): string {
  return `group-unheard:${groupId}:${day}`;
}

/** The alert for a bound group no account listened in for more than `thresholdMinutes` of a day. */
export function groupUnheardAlert(
  g: { topic: string; stationName: string | null; day: string; unheardMinutes: number },
  thresholdMinutes: number,
): AlertContent {
  const name = g.topic || '（无群名）';
  const station = g.stationName ? `（e站“${g.stationName}”）` : '';
  return {
    text: `【科普e站助手】群“${name}”${station}在 ${g.day} 已有 ${g.unheardMinutes} 分钟没有任何机器人微信号在听（超过 ${thresholdMinutes} 分钟），这段时间群里的转发没有统计。请检查机器人微信号是否在线，并把第二个微信号拉进这个群。`,
  };
}

/** The incident of a suspect account (logged in, hearing nothing while others in its groups do). */
export function accountSuspectIncident(accountId: number): string {
  return `account-suspect:${accountId}`;
}

/** The alert for a suspect account. */
export function accountSuspectAlert(name: string, minutes: number): AlertContent {
  return {
    text: `【科普e站助手】机器人微信号“${name}”显示已登录，但已有 ${minutes} 分钟在所有群里都没有收到消息，而同群的其他微信号收到了。它可能已在手机上被退出（登录状态未更新）。请在手机上确认，必要时用 kepubot account pause/resume ${name} 重新登录。`,
  };
}
