import type { DataSource } from 'typeorm';
import { Station, WechatGroup } from '../db/entities';
import { dayOf } from '../domain/calendar';

import { UserError } from '../errors';

export interface GroupListItem {
  roomId: string;
  topic: string;
  station: string | null;
  boundAt: Date | null;
}

/** WeChat groups the bot sits in, and their binding to stations. */
export class GroupService {
  private readonly known = new Map<string, string>();

  constructor(private readonly ds: DataSource) {}

  /** Records a group the bot has seen (id and current topic); cheap when nothing changed. */
  async remember(roomId: string, topic: string): Promise<void> {
    if (this.known.get(roomId) === topic) return;
    await this.ds.query(
      `INSERT INTO wechat_group (room_id, topic) VALUES ($1, $2)
       ON CONFLICT (room_id) DO UPDATE SET topic = excluded.topic WHERE wechat_group.topic <> excluded.topic`,
      [roomId, topic.slice(0, 128)],
    );
    this.known.set(roomId, topic);
  }

  /** Binds a group, named by room id or exact topic, to a station; the station's first bound group starts its counting. */
  async bind(roomIdOrTopic: string, stationName: string, now: Date): Promise<WechatGroup> {
    const station = await this.ds.getRepository(Station).findOneBy({ name: stationName });
    if (!station) throw new UserError(`找不到e站“${stationName}”，请先用 kepubot station add 添加`);
    const repo = this.ds.getRepository(WechatGroup);
    let group = await repo.findOneBy({ roomId: roomIdOrTopic });
    if (!group) {
      const byTopic = await repo.findBy({ topic: roomIdOrTopic });
      if (byTopic.length > 1) {
        throw new UserError(`有 ${byTopic.length} 个群都叫“${roomIdOrTopic}”，请改用群 ID：${byTopic.map((g) => g.roomId).join('、')}`);
      }
      group = byTopic[0] ?? null;
    }
    if (!group) {
      if (!/@chatroom$/.test(roomIdOrTopic)) {
        throw new UserError(
          `机器人还没见过群“${roomIdOrTopic}”。请先把机器人拉进群并在群里发一条消息，或直接使用群 ID（以 @chatroom 结尾）`,
        );
      }
      group = repo.create({ roomId: roomIdOrTopic, topic: '' });
    }
    group.stationId = station.id;
    group.boundAt = now;
    const saved = await repo.save(group);
    await this.ds.query(`UPDATE station SET counting_from = $2 WHERE id = $1 AND counting_from IS NULL`, [station.id, dayOf(now)]);
    return saved;
  }

  async list(): Promise<GroupListItem[]> {
    const rows: Array<{ room_id: string; topic: string; station: string | null; bound_at: Date | null }> = await this.ds.query(
      `SELECT g.room_id, g.topic, s.name AS station, g.bound_at
         FROM wechat_group g LEFT JOIN station s ON s.id = g.station_id
         ORDER BY s.name NULLS LAST, g.topic`,
    );
    return rows.map((r) => ({ roomId: r.room_id, topic: r.topic, station: r.station, boundAt: r.bound_at }));
  }

  /** The station a group is bound to, or null. */
  async stationOf(roomId: string): Promise<Station | null> {
    const group = await this.ds.getRepository(WechatGroup).findOne({ where: { roomId }, relations: { station: true } });
    return group?.station ?? null;
  }

  /** Bound groups of the stations (not revoked) in the counties. */
  async boundRooms(countyIds: number[]): Promise<Array<{ roomId: string; stationId: number }>> {
    const rows: Array<{ room_id: string; station_id: number }> = await this.ds.query(
      `SELECT g.room_id, g.station_id FROM wechat_group g JOIN station s ON s.id = g.station_id
       WHERE s.county_id = ANY($1) AND s.status <> 'revoked' ORDER BY g.room_id`,
      [countyIds],
    );
    return rows.map((r) => ({ roomId: r.room_id, stationId: r.station_id }));
  }
}
