import type { DataSource } from 'typeorm';
import { Informant, WechatGroup } from '../db/entities';
import { UserError } from './group.service';
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

      await m.query(
        `UPDATE effective_share SET informant_id = $1 WHERE talker_id = $2 AND informant_id IS NULL`,
        [informant.id, contactId],
      );
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
}
