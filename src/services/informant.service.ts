import type { DataSource } from 'typeorm';
import { Informant, WechatGroup } from '../db/entities';
import { dayOf } from '../domain/calendar';
import { maskPhone } from '../domain/privacy';
import { UserError } from '../errors';
import { joinRoster, leaveRoster } from './roster-history';
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
    return this.ds.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock($1)', [SHARE_LOCK_KEY]);
      const group = await m.getRepository(WechatGroup).findOne({ where: { roomId }, relations: { station: true } });
      if (!group?.station) throw new UserError('本群还没有绑定e站，请联系e站管理员先绑定本群');
      const repo = m.getRepository(Informant);

      const current = await repo.findOneBy({ wechatContactId: contactId });
      if (current) {
        if (current.name === name && current.stationId === group.station.id) {
          return { informant: current, adoptedShares: 0, adoptedEffective: 0, alreadyBound: true };
        }
        throw new UserError(`您的微信已绑定为“${current.name}”。如需更改，请联系e站管理员`);
      }

      let candidates = await repo.findBy({ stationId: group.station.id, name, status: 'active' });
      if (phoneTail) candidates = candidates.filter((c) => c.phone?.endsWith(phoneTail));
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
      const informant = free[0];
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
           INSERT INTO daily_rollup (informant_id, day, station_id, raw_shares, effective_shares)
           SELECT $1, day, $3, count(*), count(*) FILTER (WHERE effective) FROM adopted GROUP BY day
           ON CONFLICT (informant_id, day) DO UPDATE
             SET raw_shares = daily_rollup.raw_shares + excluded.raw_shares,
                 effective_shares = daily_rollup.effective_shares + excluded.effective_shares,
                 updated_at = now()
         )
         SELECT count(*) AS raw, count(*) FILTER (WHERE effective) AS eff FROM adopted`,
        [informant.id, contactId, informant.stationId],
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
        informant = await repo.save(repo.create({ stationId, name, phone, status: 'active' }));
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
      found[0].status = 'disabled';
      const saved = await repo.save(found[0]);
      await leaveRoster(m, [saved.id], dayOf(now));
      return saved;
    });
  }

  /** Members of the station's groups who shared but are not bound to the roster, most active first. */
  async unconfirmed(stationId: number, limit = 30): Promise<UnconfirmedSharer[]> {
    const rows: Array<{ talker_id: string; talker_name: string; shares: string; last_at: Date }> = await this.ds.query(
      `SELECT talker_id, max(talker_name) AS talker_name, count(*) AS shares, max(sent_at) AS last_at
       FROM share_event WHERE station_id = $1 AND informant_id IS NULL
       GROUP BY talker_id ORDER BY count(*) DESC, talker_id LIMIT $2`,
      [stationId, limit],
    );
    return rows.map((r, i) => ({
      index: i + 1,
      talkerId: r.talker_id,
      talkerName: r.talker_name,
      shares: Number(r.shares),
      lastAt: r.last_at,
    }));
  }

  /**
   * A manager confirms an unconfirmed sharer: binds them to the roster entry of `name` (their
   * WeChat name when omitted), adding the entry when the roster has none, and adopts their shares.
   */
  async confirm(stationId: number, index: number, name: string | null, now: Date): Promise<BindResult> {
    const list = await this.unconfirmed(stationId);
    const sharer = list.find((x) => x.index === index);
    if (!sharer) throw new UserError(`未确认名单中没有序号 ${index}，请先发“未确认”查看最新名单`);
    const rosterName = name ?? sharer.talkerName;
    const group: Array<{ room_id: string }> = await this.ds.query(
      `SELECT room_id FROM share_event WHERE station_id = $1 AND talker_id = $2 ORDER BY id DESC LIMIT 1`,
      [stationId, sharer.talkerId],
    );
    const repo = this.ds.getRepository(Informant);
    const existing = await repo.findBy({ stationId, name: rosterName, status: 'active' });
    if (existing.length === 0) {
      if (!/^[\p{Script=Han}A-Za-z·•．.]{1,64}$/u.test(rosterName)) {
        throw new UserError(`微信名“${rosterName}”不像真实姓名，请写明名册中的姓名，例如：确认 ${index} 张三`);
      }
      // The sharer acted as an informant since their first unconfirmed share here: on the roster from that day.
      const [{ first }]: Array<{ first: string | null }> = await this.ds.query(
        `SELECT to_char(min(day), 'YYYY-MM-DD') AS first FROM share_event WHERE station_id = $1 AND talker_id = $2 AND informant_id IS NULL`,
        [stationId, sharer.talkerId],
      );
      await this.ds.transaction(async (m) => {
        const created = await m.getRepository(Informant).save(repo.create({ stationId, name: rosterName, status: 'active' }));
        const today = dayOf(now);
        await joinRoster(m, [created.id], first && first < today ? first : today);
      });
    }
    return this.bindMember(group[0].room_id, sharer.talkerId, rosterName, now);
  }
}

export interface UnconfirmedSharer {
  index: number;
  talkerId: string;
  talkerName: string;
  shares: number;
  lastAt: Date;
}
