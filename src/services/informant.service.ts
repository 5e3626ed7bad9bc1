import { createHash } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { Informant, Station, WechatGroup, type InformantStatus } from '../db/entities';
import { dayOf } from '../domain/calendar';
import { maskPhone } from '../domain/privacy';
import { INFORMANT_STATUS_LABEL } from '../domain/roster';
import { UserError } from '../errors';
import { joinRoster, leaveRoster } from './roster-history';
import { rollupUpsert } from './daily-rollup';
import { SHARE_LOCK_KEY } from './share-counter.service';

export interface BindResult {
  informant: Informant;
  /** Earlier shares of this member that were unconfirmed and now count. */
  adoptedShares: number;
  adoptedEffective: number;
  alreadyBound: boolean;
}

/** The roster side of informants: binding WeChat members to roster entries. */
export class InformantService {
  constructor(private readonly ds: DataSource) {}

  async findByContact(contactId: string): Promise<Informant | null> {
    return this.ds.getRepository(Informant).findOneBy({ wechatContactId: contactId });
  }

  /**
   * Binds a group member to the roster entry of that name in the group's station. The member's
   * unconfirmed shares are adopted and counted. `phoneTail` (last 4 digits) tells same-named
   * informants apart.
   */
  async bindMember(roomId: string, contactId: string, name: string, now: Date, phoneTail?: string): Promise<BindResult> {
    return this.bind(roomId, contactId, now, { name, phoneTail });
  }

  /** Binds a group member to one roster entry of the group's station, by the entry's id; their unconfirmed shares are adopted. */
  private async bind(
    roomId: string,
    contactId: string,
    now: Date,
    target: { name: string; phoneTail?: string; createFrom?: string | null } | { informantId: number },
    /** A manager or the console confirming for this station: the group must (still) be bound to it. */
    stationId?: number,
  ): Promise<BindResult> {
    return this.ds.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock($1)', [SHARE_LOCK_KEY]);
      const group = await m.getRepository(WechatGroup).findOne({ where: { roomId }, relations: { station: true } });
      if (!group?.station) throw new UserError('本群还没有绑定e站，请联系e站管理员先绑定本群');
      if (stationId !== undefined && group.station.id !== stationId) {
        throw new UserError('这位成员转发所在的群已不属于本站，请刷新未确认名单后重试');
      }
      const repo = m.getRepository(Informant);

      const current = await repo.findOneBy({ wechatContactId: contactId });
      if (current) {
        const same =
          'informantId' in target
            ? current.id === target.informantId
            : current.name === target.name && current.stationId === group.station.id;
        if (same) return { informant: current, adoptedShares: 0, adoptedEffective: 0, alreadyBound: true };
        throw new UserError(`您的微信已绑定为“${current.name}”。如需更改，请联系e站管理员`);
      }

      let informant: Informant;
      if ('informantId' in target) {
        const entry = await repo.findOneBy({ id: target.informantId, stationId: group.station.id });
        if (!entry) throw new UserError(`“${group.station.name}”的名册中没有这位信息员`);
        if (entry.status !== 'active') throw new UserError(`名册中的“${entry.name}”已停用，请先启用`);
        if (entry.wechatContactId) throw new UserError(`名册中的“${entry.name}”已被其他微信绑定`);
        informant = entry;
      } else {
        const { name, phoneTail, createFrom } = target;
        let candidates = await repo.findBy({ stationId: group.station.id, name, status: 'active' });
        if (phoneTail) candidates = candidates.filter((c) => c.phone?.endsWith(phoneTail));
        if (candidates.length === 0 && createFrom !== undefined) {
          // Confirmed by a manager: added to the roster in this same transaction, so a bind that
          // fails leaves no entry behind. On the roster from their first unconfirmed share here.
          const created = await repo.save(
            repo.create({ countyId: group.station.countyId, stationId: group.station.id, name, status: 'active' }),
          );
          const today = dayOf(now);
          await joinRoster(m, [created.id], createFrom && createFrom < today ? createFrom : today);
          candidates = [created];
        }
        if (candidates.length === 0) {
          throw new UserError(
            phoneTail
              ? `“${group.station.name}”名册中没有手机尾号为 ${phoneTail} 的“${name}”，请核对或联系e站管理员`
              : `“${group.station.name}”的信息员名册中没有“${name}”。请核对姓名，或联系e站管理员把您加入名册`,
          );
        }
        const free = candidates.filter((c) => !c.wechatContactId);
        if (free.length === 0) {
          throw new UserError(`名册中的“${name}”已被其他微信绑定。如有误，请联系e站管理员`);
        }
        if (free.length > 1) {
          throw new UserError(`名册中有 ${free.length} 位“${name}”，请加上手机尾号4位，例如：#绑定 ${name} 1234`);
        }
        informant = free[0];
      }
      informant.wechatContactId = contactId;
      informant.boundAt = now;
      await repo.save(informant);

      await m.query(`UPDATE effective_share SET informant_id = $1 WHERE talker_id = $2 AND informant_id IS NULL`, [
        informant.id,
        contactId,
      ]);
      const adopted: Array<{ raw: string; eff: string }> = await m.query(
        `WITH adopted AS (
           UPDATE share_event SET informant_id = $1
           WHERE talker_id = $2 AND informant_id IS NULL
           RETURNING day, effective
         ),
         roll AS (
           ${rollupUpsert(`SELECT $4, $1, day, $3, count(*), count(*) FILTER (WHERE effective) FROM adopted GROUP BY day`)}
         )
         SELECT count(*) AS raw, count(*) FILTER (WHERE effective) AS eff FROM adopted`,
        [informant.id, contactId, informant.stationId, informant.countyId],
      );
      return {
        informant,
        adoptedShares: Number(adopted[0].raw),
        adoptedEffective: Number(adopted[0].eff),
        alreadyBound: false,
      };
    });
  }

  /**
   * Adds one informant to a station's roster (a manager's command), on the roster from today.
   * A disabled entry of the same name and phone is enabled again (a new roster interval; its
   * past stays in the periods it was on the roster).
   */
  async addToRoster(stationId: number, name: string, phone: string | null, now: Date): Promise<Informant> {
    return this.ds.transaction(async (m) => {
      const repo = m.getRepository(Informant);
      const same = await repo.findBy({ stationId, name, status: 'active' });
      if (same.some((x) => (x.phone ?? null) === phone || (!phone && !x.phone))) {
        throw new UserError(`名册中已有“${name}”${phone ? `（${maskPhone(phone)}）` : ''}，没有重复添加`);
      }
      if (same.length > 0 && !phone) {
        throw new UserError(`名册中已有同名的“${name}”，请加上手机号区分，例如：添加信息员 ${name} 13812345678`);
      }
      const disabled = (await repo.findBy({ stationId, name, status: 'disabled' })).find((x) => (x.phone ?? null) === phone);
      let informant: Informant;
      if (disabled) {
        disabled.status = 'active';
        informant = await repo.save(disabled);
      } else {
        const station = await m.getRepository(Station).findOneByOrFail({ id: stationId });
        informant = await repo.save(repo.create({ countyId: station.countyId, stationId, name, phone, status: 'active' }));
      }
      await joinRoster(m, [informant.id], dayOf(now));
      return informant;
    });
  }

  /** Disables an informant: off the roster after today, later shares no longer count; past periods keep them. */
  async disable(stationId: number, name: string, phoneTail: string | null, now: Date): Promise<Informant> {
    return this.ds.transaction(async (m) => {
      const repo = m.getRepository(Informant);
      let found = await repo.findBy({ stationId, name, status: 'active' });
      if (phoneTail) found = found.filter((x) => x.phone?.endsWith(phoneTail));
      if (found.length === 0) throw new UserError(`本站名册中没有在用的“${name}”${phoneTail ? `（尾号 ${phoneTail}）` : ''}`);
      if (found.length > 1) throw new UserError(`本站有 ${found.length} 位“${name}”，请加上手机尾号，例如：停用信息员 ${name} 1234`);
      return this.takeOff(m, found[0], now);
    });
  }

  /** Disables the informant with this id (the console): like disable(). */
  async disableById(id: number, now: Date): Promise<Informant> {
    return this.ds.transaction(async (m) => {
      const informant = await m.getRepository(Informant).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!informant) throw new UserError('没有这位信息员');
      if (informant.status !== 'active') throw new UserError(`“${informant.name}”已停用`);
      return this.takeOff(m, informant, now);
    });
  }

  /**
   * Enables a disabled informant again: on the roster from today (a new roster interval; the
   * past stays in the periods it was on the roster). Refused when an active entry of the same
   * name and phone is on the roster.
   */
  async enableById(id: number, now: Date): Promise<Informant> {
    return this.ds.transaction(async (m) => {
      const repo = m.getRepository(Informant);
      const informant = await repo.findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!informant) throw new UserError('没有这位信息员');
      if (informant.status === 'active') throw new UserError(`“${informant.name}”已在名册中`);
      await this.refuseDuplicate(m, informant.stationId, informant.name, informant.phone, id);
      informant.status = 'active';
      const saved = await repo.save(informant);
      await joinRoster(m, [saved.id], dayOf(now));
      return saved;
    });
  }

  /**
   * Corrects an informant's name or phone (null removes the phone). Two active entries of a
   * station may not have the same name and phone.
   */
  async edit(id: number, change: { name?: string; phone?: string | null }): Promise<Informant> {
    return this.ds.transaction(async (m) => {
      const repo = m.getRepository(Informant);
      const informant = await repo.findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!informant) throw new UserError('没有这位信息员');
      const name = change.name ?? informant.name;
      const phone = change.phone === undefined ? informant.phone : change.phone;
      if (informant.status === 'active') await this.refuseDuplicate(m, informant.stationId, name, phone, id);
      informant.name = name;
      informant.phone = phone;
      return repo.save(informant);
    });
  }

  /** Refuses an active entry of the station with the same name and phone (both without a phone counts as the same). */
  private async refuseDuplicate(m: EntityManager, stationId: number, name: string, phone: string | null, exceptId: number): Promise<void> {
    const same = (await m.getRepository(Informant).findBy({ stationId, name, status: 'active' })).filter((x) => x.id !== exceptId);
    if (same.some((x) => (x.phone ?? null) === (phone ?? null))) {
      throw new UserError(`名册中已有“${name}”${phone ? `（${maskPhone(phone)}）` : ''}，不能重复`);
    }
  }

  private async takeOff(m: EntityManager, informant: Informant, now: Date): Promise<Informant> {
    informant.status = 'disabled';
    const saved = await m.getRepository(Informant).save(informant);
    await leaveRoster(m, [saved.id], dayOf(now));
    return saved;
  }

  /** The station whose roster has the informant `id`, or null when there is no such informant. */
  async stationOf(id: number): Promise<number | null> {
    const found = await this.ds.getRepository(Informant).findOne({ where: { id }, select: { id: true, stationId: true } });
    return found?.stationId ?? null;
  }

  /** How many entries a station's roster has (all, active) and how many members shared without being on it. */
  async counts(stationId: number): Promise<{ total: number; active: number; unconfirmed: number }> {
    const [r]: Array<{ total: string; active: string; unconfirmed: string }> = await this.ds.query(
      `SELECT (SELECT count(*) FROM informant WHERE station_id = $1) AS total,
              (SELECT count(*) FROM informant WHERE station_id = $1 AND status = 'active') AS active,
              (SELECT count(DISTINCT talker_id) FROM share_event WHERE station_id = $1 AND informant_id IS NULL) AS unconfirmed`,
      [stationId],
    );
    return { total: Number(r.total), active: Number(r.active), unconfirmed: Number(r.unconfirmed) };
  }

  /**
   * A station's roster as the console lists it: each entry with its current (or last) roster
   * interval, whether a WeChat member is bound to it, and its effective shares this month.
   * `q` matches a part of the name, the phone's last 4 digits or the whole (11-digit) phone: never
   * a longer tail, which would let anyone who sees the last 4 digits find the rest one digit at a time.
   */
  async roster(
    stationId: number,
    filter: { status: 'active' | 'disabled' | 'all'; q?: string; id?: number },
    today: string,
  ): Promise<RosterListEntry[]> {
    const q = filter.q?.trim() || null;
    const rows: Array<{
      id: number;
      name: string;
      phone: string | null;
      status: InformantStatus;
      bound: boolean;
      joined_on: string;
      left_on: string | null;
      shares: string;
    }> = await this.ds.query(
      `SELECT i.id, i.name, i.phone, i.status, i.wechat_contact_id IS NOT NULL AS bound,
              to_char(coalesce(r.from_day, (i.created_at AT TIME ZONE 'Asia/Shanghai')::date), 'YYYY-MM-DD') AS joined_on,
              to_char(r.to_day, 'YYYY-MM-DD') AS left_on,
              coalesce((SELECT sum(d.effective_shares) FROM daily_rollup d
                         WHERE d.informant_id = i.id AND d.day BETWEEN date_trunc('month', $4::date)::date AND $4::date), 0) AS shares
         FROM informant i
         LEFT JOIN LATERAL (SELECT from_day, to_day FROM informant_roster x WHERE x.informant_id = i.id
                             ORDER BY x.from_day DESC LIMIT 1) r ON true
        WHERE i.station_id = $1 AND ($2::text = 'all' OR i.status = $2) AND ($5::int IS NULL OR i.id = $5)
          AND ($3::text IS NULL OR strpos(i.name, $3) > 0
               OR ($3 ~ '^[0-9]{4}$' AND right(i.phone, 4) = $3) OR ($3 ~ '^[0-9]{11}$' AND i.phone = $3))
        ORDER BY i.status, i.name, i.id`,
      [stationId, filter.status, q, today, filter.id ?? null],
    );
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      phoneTail: r.phone ? r.phone.slice(-4) : null,
      status: r.status,
      statusLabel: INFORMANT_STATUS_LABEL[r.status],
      joinedOn: r.joined_on,
      leftOn: r.left_on,
      boundWechat: r.bound,
      sharesThisMonth: Number(r.shares),
    }));
  }

  /** Members of the station's groups who shared but are not bound to the roster, most active first. */
  async unconfirmed(stationId: number, limit = 30): Promise<UnconfirmedSharer[]> {
    const rows: Array<{ talker_id: string; talker_name: string; shares: string; last_at: Date; room_id: string; topic: string | null }> =
      await this.ds.query(
        `WITH u AS (
           SELECT talker_id, max(talker_name) AS talker_name, count(*) AS shares, max(sent_at) AS last_at, max(id) AS last_id
           FROM share_event WHERE station_id = $1 AND informant_id IS NULL
           GROUP BY talker_id ORDER BY count(*) DESC, talker_id LIMIT $2
         )
         SELECT u.talker_id, u.talker_name, u.shares, u.last_at, e.room_id, g.topic
         FROM u JOIN share_event e ON e.id = u.last_id LEFT JOIN wechat_group g ON g.room_id = e.room_id
         ORDER BY u.shares DESC, u.talker_id`,
        [stationId, limit],
      );
    return rows.map((r, i) => ({
      index: i + 1,
      key: sharerKey(r.talker_id),
      talkerId: r.talker_id,
      talkerName: r.talker_name,
      shares: Number(r.shares),
      lastAt: r.last_at,
      roomId: r.room_id,
      groupTopic: r.topic,
    }));
  }

  /**
   * Confirms an unconfirmed sharer as one roster entry of the station (the console picks it by
   * id): binds them to it and adopts their shares.
   */
  async confirmAs(stationId: number, who: SharerRef, informantId: number, now: Date): Promise<BindResult> {
    const sharer = await this.sharer(stationId, who);
    return this.bind(sharer.roomId, sharer.talkerId, now, { informantId }, stationId);
  }

  /** A sharer of the unconfirmed list, by its stable key (the console) or its position (the 确认 command). */
  private async sharer(stationId: number, who: SharerRef): Promise<UnconfirmedSharer> {
    const list = await this.unconfirmed(stationId, typeof who === 'number' ? 30 : 1000);
    const sharer = typeof who === 'number' ? list.find((x) => x.index === who) : list.find((x) => x.key === who.key);
    if (!sharer) {
      throw new UserError(
        typeof who === 'number'
          ? `未确认名单中没有序号 ${who}，请先发“未确认”查看最新名单`
          : '未确认名单中已没有这位成员（可能已被确认），请刷新名单',
      );
    }
    return sharer;
  }

  /**
   * A manager confirms an unconfirmed sharer: binds them to the roster entry of `name` (their
   * WeChat name when omitted), adding the entry when the roster has none, and adopts their shares;
   * all in one transaction.
   */
  async confirm(stationId: number, who: SharerRef, name: string | null, now: Date): Promise<BindResult> {
    const sharer = await this.sharer(stationId, who);
    const rosterName = name ?? sharer.talkerName;
    const existing = await this.ds.getRepository(Informant).countBy({ stationId, name: rosterName, status: 'active' });
    if (existing === 0 && !/^[\p{Script=Han}A-Za-z·•．.]{1,64}$/u.test(rosterName)) {
      const example = typeof who === 'number' ? `确认 ${who} 张三` : '张三';
      throw new UserError(`微信名“${rosterName}”不像真实姓名，请写明名册中的姓名，例如：${example}`);
    }
    const [{ first }]: Array<{ first: string | null }> = await this.ds.query(
      `SELECT to_char(min(day), 'YYYY-MM-DD') AS first FROM share_event WHERE station_id = $1 AND talker_id = $2 AND informant_id IS NULL`,
      [stationId, sharer.talkerId],
    );
    return this.bind(sharer.roomId, sharer.talkerId, now, { name: rosterName, createFrom: first }, stationId);
  }
}

/** Which unconfirmed sharer: a position in the list (commands) or the list entry's key (the console). */
export type SharerRef = number | { key: string };

/** A stable key of a sharer that does not show their WeChat id. */
export const sharerKey = (talkerId: string): string => createHash('sha256').update(talkerId, 'utf8').digest('hex').slice(0, 16);

export interface UnconfirmedSharer {
  index: number;
  /** Stable across list changes (unlike `index`), without showing the WeChat id. */
  key: string;
  talkerId: string;
  talkerName: string;
  shares: number;
  lastAt: Date;
  /** The group of their latest share here. */
  roomId: string;
  groupTopic: string | null;
}

/** A roster entry as the console lists it. */
export interface RosterListEntry {
  id: number;
  name: string;
  phoneTail: string | null;
  status: InformantStatus;
  /** The status in Chinese (domain/roster.ts INFORMANT_STATUS_LABEL). */
  statusLabel: string;
  /** The first day of its current (or last) roster interval. */
  joinedOn: string;
  /** The last day of its last roster interval when it is off the roster. */
  leftOn: string | null;
  boundWechat: boolean;
  sharesThisMonth: number;
}
