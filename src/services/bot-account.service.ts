import type { DataSource, EntityManager } from 'typeorm';
import { BotAccount, BotAccountCounty, type BotAccountSource } from '../db/entities';
import { dayOf } from '../domain/calendar';
import { accountNameProblem, endpointProblem, maskToken, tokenProblem } from '../domain/bot-accounts';
import { UserError } from '../errors';

/** What `kepubot account add` gives. */
export interface NewBotAccount {
  name: string;
  endpoint: string;
  token: string;
  /** `--insecure`: no TLS to the puppet service. */
  insecure?: boolean;
  /** County names; none = the account serves every county. */
  counties?: string[];
}

/** One account as `account list` and the console show it (never the token itself). */
export interface BotAccountView {
  id: number;
  name: string;
  source: BotAccountSource;
  endpoint: string | null;
  /** The token masked (`****abcd`), or null when none is stored. */
  tokenMasked: string | null;
  tls: boolean;
  paused: boolean;
  /** Counties served (empty: every county). */
  counties: Array<{ id: number; name: string }>;
  state: string;
  loggedIn: boolean;
  wechatName: string | null;
  groups: number | null;
  lastEventAt: Date | null;
  firstLoginAt: Date | null;
  statusAt: Date | null;
  /** Waiting for a scan (the QR code itself is fetched separately, with access checked). */
  waitingForScan: boolean;
  /** Messages booked through the account's limiter today (Asia/Shanghai). */
  sentToday: number;
  /** The process holding a fresh lease (hostname:pid:random), or null. */
  holder: string | null;
}

/** The send limiter's key (wechat_send_slot.account) of an account. */
export function sendSlotKey(accountId: number): string {
  return `account:${accountId}`;
}

/** The status the holding process writes for an account. */
export interface BotAccountStatus {
  state: string;
  loggedIn: boolean;
  wechatName?: string | null;
  wechatUserId?: string | null;
  qrcode: string | null;
  lastEventAt: Date | null;
}

/**
 * The bot's WeChat accounts as data: added, paused, resumed and removed by the operator (CLI),
 * listed with their status for `account list` and the console. Removal is soft.
 */
export class BotAccountService {
  constructor(
    private readonly ds: DataSource,
    /** A fresh lease is younger than this (seconds). */
    private readonly leaseTtlSeconds = 20,
  ) {}

  /** Adds an account (validated; nothing stored on a problem). */
  async add(input: NewBotAccount): Promise<BotAccount> {
    const problem = accountNameProblem(input.name) ?? endpointProblem(input.endpoint) ?? tokenProblem(input.token);
    if (problem) throw new UserError(problem);
    return this.ds.transaction(async (m) => {
      const counties = await this.countiesByName(m, input.counties ?? []);
      const existing = await m.getRepository(BotAccount).findOneBy({ name: input.name });
      if (existing) {
        throw new UserError(
          existing.removedAt
            ? `微信号“${input.name}”已移除过，名称不能再用；请换一个名称`
            : `已有名为“${input.name}”的微信号。用 kepubot account list 查看`,
        );
      }
      const account = await m.getRepository(BotAccount).save({
        name: input.name,
        endpoint: input.endpoint,
        token: input.token,
        tls: !input.insecure,
        source: 'db' as const,
      });
      if (counties.length > 0) {
        await m.getRepository(BotAccountCounty).insert(counties.map((c) => ({ accountId: account.id, countyId: c.id })));
      }
      return account;
    });
  }

  /** The account row of a (non-removed) account by name; a UserError when there is none. */
  async byName(name: string): Promise<BotAccount> {
    const account = await this.ds.getRepository(BotAccount).findOneBy({ name });
    if (!account || account.removedAt) throw new UserError(`没有名为“${name.slice(0, 40)}”的微信号。用 kepubot account list 查看`);
    return account;
  }

  /** Pauses (true) or resumes (false): a paused account is disconnected and not taken by any process. */
  async setPaused(name: string, paused: boolean): Promise<BotAccount> {
    const account = await this.byName(name);
    await this.ds.query(`UPDATE bot_account SET paused = $2 WHERE id = $1`, [account.id, paused]);
    return { ...account, paused };
  }

  /** Removes (softly): disconnected by its holder, never taken again; its history keeps the row. */
  async remove(name: string, now: Date): Promise<BotAccount> {
    const account = await this.byName(name);
    if (account.source === 'env') {
      throw new UserError(
        `微信号“${name}”来自环境变量 WECHATY_PUPPET_SERVICE_*：去掉这些变量后重启即可；也可用 kepubot account pause 暂停`,
      );
    }
    await this.ds.query(`UPDATE bot_account SET removed_at = $2, qrcode = NULL WHERE id = $1`, [account.id, now]);
    return { ...account, removedAt: now };
  }

  /**
   * Sets the counties an account serves (by name; none = every county). An unknown name is a
   * UserError, unless `skipUnknown` (the env account at start: counties may be imported later);
   * returns the names skipped.
   */
  async setCounties(name: string, countyNames: string[], opts: { skipUnknown?: boolean } = {}): Promise<string[]> {
    const account = await this.byName(name);
    return this.ds.transaction(async (m) => {
      let names = countyNames;
      const skipped: string[] = [];
      if (opts.skipUnknown) {
        const known: Array<{ name: string }> = await m.query(`SELECT name FROM region WHERE level = 'county' AND name = ANY($1)`, [
          countyNames,
        ]);
        const set = new Set(known.map((k) => k.name));
        names = countyNames.filter((n) => set.has(n));
        skipped.push(...countyNames.filter((n) => !set.has(n)));
      }
      const counties = await this.countiesByName(m, names);
      await m.query(`DELETE FROM bot_account_county WHERE account_id = $1`, [account.id]);
      if (counties.length > 0) {
        await m.getRepository(BotAccountCounty).insert(counties.map((c) => ({ accountId: account.id, countyId: c.id })));
      }
      return skipped;
    });
  }

  /**
   * The row of an account configured outside the table (the env account, the demo, a test's
   * puppet): created when missing, brought back when removed. Its token is never stored.
   */
  async ensure(name: string, source: Exclude<BotAccountSource, 'db'>): Promise<BotAccount> {
    const repo = this.ds.getRepository(BotAccount);
    await this.ds.query(`INSERT INTO bot_account (name, source) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, [name, source]);
    const account = await repo.findOneByOrFail({ name });
    if (account.source !== source) {
      throw new UserError(
        `WECHATY_NAME=${name} 与 kepubot account add 登记的微信号重名：请换一个 WECHATY_NAME，或用 kepubot account list 查看`,
      );
    }
    if (account.removedAt) {
      await this.ds.query(`UPDATE bot_account SET removed_at = NULL WHERE id = $1`, [account.id]);
      account.removedAt = null;
    }
    return account;
  }

  /** Every account not removed, with its status, counties, today's sends and holder; by id. */
  async list(now: Date): Promise<BotAccountView[]> {
    const today = dayOf(now);
    const rows: Array<{
      id: number;
      name: string;
      source: BotAccountSource;
      endpoint: string | null;
      token: string | null;
      tls: boolean;
      paused: boolean;
      state: string;
      logged_in: boolean;
      wechat_name: string | null;
      group_count: number | null;
      last_event_at: Date | null;
      first_login_at: Date | null;
      status_at: Date | null;
      waiting: boolean;
      sent_today: number;
      holder: string | null;
      counties: Array<{ id: number; name: string }> | null;
    }> = await this.ds.query(
      `SELECT a.id, a.name, a.source, a.endpoint, a.token, a.tls, a.paused, a.state, a.logged_in, a.wechat_name,
              a.group_count, a.last_event_at, a.first_login_at, a.status_at, (a.qrcode IS NOT NULL AND NOT a.logged_in) AS waiting,
              coalesce(CASE WHEN to_char(s.day, 'YYYY-MM-DD') = $1 THEN s.sent_today END, 0)::int AS sent_today,
              CASE WHEN l.heartbeat_at > now() - make_interval(secs => $2) THEN l.holder END AS holder,
              (SELECT json_agg(json_build_object('id', r.id, 'name', r.name) ORDER BY r.name, r.id)
                 FROM bot_account_county c JOIN region r ON r.id = c.county_id WHERE c.account_id = a.id) AS counties
       FROM bot_account a
       LEFT JOIN wechat_send_slot s ON s.account = 'account:' || a.id
       LEFT JOIN bot_account_lease l ON l.account_id = a.id
       WHERE a.removed_at IS NULL
       ORDER BY a.id`,
      [today, this.leaseTtlSeconds],
    );
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      source: r.source,
      endpoint: r.endpoint,
      tokenMasked: maskToken(r.token),
      tls: r.tls,
      paused: r.paused,
      counties: r.counties ?? [],
      // Only a holder keeps the state fresh: without one the account is not driven.
      state: r.holder ? r.state : r.paused ? 'paused' : 'stopped',
      loggedIn: r.holder ? r.logged_in : false,
      wechatName: r.wechat_name,
      groups: r.group_count,
      lastEventAt: r.last_event_at,
      firstLoginAt: r.first_login_at,
      statusAt: r.status_at,
      waitingForScan: Boolean(r.holder) && r.waiting,
      sentToday: r.sent_today,
      holder: r.holder,
    }));
  }

  /** The login QR code of an account waiting for a scan (held by a live process), with the counties it serves. */
  async qrcodeOf(id: number): Promise<{ qrcode: string | null; loggedIn: boolean; counties: number[] } | null> {
    const rows: Array<{ qrcode: string | null; logged_in: boolean; fresh: boolean; counties: number[] }> = await this.ds.query(
      `SELECT a.qrcode, a.logged_in, coalesce(l.heartbeat_at > now() - make_interval(secs => $2), false) AS fresh,
              coalesce(array(SELECT county_id FROM bot_account_county WHERE account_id = a.id), '{}') AS counties
       FROM bot_account a LEFT JOIN bot_account_lease l ON l.account_id = a.id
       WHERE a.id = $1 AND a.removed_at IS NULL`,
      [id, this.leaseTtlSeconds],
    );
    const r = rows[0];
    if (!r) return null;
    return { qrcode: r.fresh && !r.logged_in ? r.qrcode : null, loggedIn: r.fresh && r.logged_in, counties: r.counties };
  }

  /** The county ids an account serves (none: every county). */
  async countiesOf(id: number): Promise<number[]> {
    const rows: Array<{ county_id: number }> = await this.ds.query(
      `SELECT county_id FROM bot_account_county WHERE account_id = $1 ORDER BY county_id`,
      [id],
    );
    return rows.map((r) => r.county_id);
  }

  /**
   * Written by the holding process: nothing is written unless `holder` still holds the lease
   * (a process that lost it must not overwrite its successor's status).
   */
  async writeStatus(id: number, holder: string, status: BotAccountStatus, groups?: number): Promise<void> {
    await this.ds.query(
      `UPDATE bot_account a SET state = $3, logged_in = $4,
              wechat_name = CASE WHEN $5::boolean THEN $6 ELSE a.wechat_name END,
              wechat_user_id = CASE WHEN $5::boolean THEN $7 ELSE a.wechat_user_id END,
              qrcode = $8, last_event_at = coalesce($9, a.last_event_at),
              first_login_at = CASE WHEN $4 THEN coalesce(a.first_login_at, now()) ELSE a.first_login_at END,
              group_count = coalesce($10, a.group_count), status_at = now()
       WHERE a.id = $1 AND EXISTS (SELECT 1 FROM bot_account_lease l WHERE l.account_id = $1 AND l.holder = $2)`,
      [
        id,
        holder,
        status.state,
        status.loggedIn,
        status.wechatName !== undefined,
        status.wechatName ?? null,
        status.wechatUserId ?? null,
        status.qrcode,
        status.lastEventAt,
        groups ?? null,
      ],
    );
  }

  private async countiesByName(m: EntityManager, names: string[]): Promise<Array<{ id: number; name: string }>> {
    const out: Array<{ id: number; name: string }> = [];
    for (const name of [...new Set(names.map((n) => n.trim()).filter(Boolean))]) {
      const rows: Array<{ id: number; name: string }> = await m.query(`SELECT id, name FROM region WHERE name = $1 AND level = 'county'`, [
        name,
      ]);
      if (!rows[0]) throw new UserError(`找不到旗县区“${name.slice(0, 40)}”。用 kepubot station list 查看已有的旗县区`);
      out.push(rows[0]);
    }
    return out;
  }
}
