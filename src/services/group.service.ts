import { STATIONS_IN_SERVICE } from '../domain/county-policy';
import type { DataSource } from 'typeorm';
import { Station, WechatGroup } from '../db/entities';
import { dayOf } from '../domain/calendar';

import { UserError } from '../errors';
import { requireStationByName, type CountyRef } from './station.service';

export interface GroupListItem {
  roomId: string;
  topic: string;
  station: string | null;
  county: string | null;
  boundAt: Date | null;
}

/** A group as the console shows it. */
export interface GroupRow {
  id: number;
  roomId: string;
  topic: string;
  stationId: number | null;
  stationName: string | null;
  countyId: number | null;
  lastMessageAt: Date | null;
  boundAt: Date | null;
  memberCount: number | null;
}

/** Which groups a list shows: those of the stations of these counties / these stations, and the unbound ones. */
export interface GroupScope {
  /** Counties whose stations' groups are shown; null: every county. */
  counties: number[] | null;
  /** Only these stations' groups (a station manager); null: no such limit. */
  stations: number[] | null;
  /** Also the groups bound to no station. */
  unbound: boolean;
}

/** A room as WeChat lists it. */
export interface ListedRoom {
  roomId: string;
  topic: string;
  memberCount: number | null;
}

/** The last message time of a group is written at most this often. */
export const LAST_MESSAGE_GRANULARITY_MS = 60_000;

/** WeChat groups the bot sits in, and their binding to stations. */
export class GroupService {
  /** Per room: the topic last written and when the last message time was last written. */
  private readonly known = new Map<string, { topic: string; messageAt: number | null }>();

  constructor(private readonly ds: DataSource) {}

  /**
   * Records a group the bot has seen (id and current topic) and, with `messageAt`, that a message
   * arrived. Cheap: nothing is written unless the topic changed or the last message time written
   * is a minute or more older.
   */
  async remember(roomId: string, topic: string, messageAt?: Date): Promise<void> {
    const known = this.known.get(roomId);
    const at = messageAt?.getTime() ?? null;
    const timeFresh =
      at === null || (known?.messageAt !== null && known?.messageAt !== undefined && at - known.messageAt < LAST_MESSAGE_GRANULARITY_MS);
    if (known?.topic === topic && timeFresh) return;
    await this.ds.query(
      `INSERT INTO wechat_group (room_id, topic, last_message_at) VALUES ($1, $2, $3)
       ON CONFLICT (room_id) DO UPDATE
         SET topic = excluded.topic, last_message_at = greatest(wechat_group.last_message_at, excluded.last_message_at)
         WHERE wechat_group.topic <> excluded.topic
            OR excluded.last_message_at > coalesce(wechat_group.last_message_at, '-infinity'::timestamptz)`,
      [roomId, topic.slice(0, 128), messageAt ?? null],
    );
    this.known.set(roomId, { topic, messageAt: at ?? known?.messageAt ?? null });
  }

  /**
   * Records the rooms WeChat lists (at login, or the room the bot was just added to): every one
   * becomes a known group, with its topic and member count, whether or not anyone spoke in it.
   */
  async rememberRooms(rooms: ListedRoom[]): Promise<void> {
    if (rooms.length === 0) return;
    await this.ds.query(
      `INSERT INTO wechat_group (room_id, topic, member_count)
       SELECT u.room_id, u.topic, u.members FROM unnest($1::varchar[], $2::varchar[], $3::int[]) AS u(room_id, topic, members)
       ON CONFLICT (room_id) DO UPDATE
         SET topic = excluded.topic, member_count = coalesce(excluded.member_count, wechat_group.member_count)`,
      [rooms.map((r) => r.roomId), rooms.map((r) => r.topic.slice(0, 128)), rooms.map((r) => r.memberCount)],
    );
    for (const r of rooms) this.known.set(r.roomId, { topic: r.topic, messageAt: this.known.get(r.roomId)?.messageAt ?? null });
  }

  /**
   * Binds a group, named by room id or exact topic, to a station (by name, within `county` when
   * the name is in several counties); the station's first bound group starts its counting.
   */
  async bind(roomIdOrTopic: string, stationName: string, now: Date, county?: CountyRef): Promise<WechatGroup> {
    const station = await requireStationByName(this.ds, stationName, county);
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
    return this.attach(group, station, now);
  }

  /** Binds a known group (by id) to a station (by id): the same rule as bind(). */
  async bindById(groupId: number, stationId: number, now: Date, seen?: { stationId: number | null }): Promise<WechatGroup> {
    const group = await this.ds.getRepository(WechatGroup).findOneBy({ id: groupId });
    if (!group) throw new UserError('没有这个群');
    const station = await this.ds.getRepository(Station).findOneBy({ id: stationId });
    if (!station) throw new UserError('没有这个e站');
    if (seen) {
      // The console checked access against the binding it saw: change it only if it is still that one.
      const moved = await this.ds
        .createQueryBuilder()
        .update(WechatGroup)
        .set({ stationId: station.id, boundAt: now })
        .where('id = :groupId AND station_id IS NOT DISTINCT FROM :seen', { groupId, seen: seen.stationId })
        .execute();
      if (!moved.affected) throw new UserError('这个群的绑定刚被别人改过，请刷新后重试');
      await this.ds.query(`UPDATE station SET counting_from = $2 WHERE id = $1 AND counting_from IS NULL`, [station.id, dayOf(now)]);
      return (await this.ds.getRepository(WechatGroup).findOneBy({ id: groupId }))!;
    }
    return this.attach(group, station, now);
  }

  /**
   * Unbinds a group from its station: its later shares count nowhere until it is bound again;
   * what it counted while bound stays with the station.
   */
  async unbind(groupId: number): Promise<WechatGroup> {
    const repo = this.ds.getRepository(WechatGroup);
    const group = await repo.findOneBy({ id: groupId });
    if (!group) throw new UserError('没有这个群');
    if (group.stationId === null) throw new UserError(`群“${group.topic || group.roomId}”没有绑定e站`);
    group.stationId = null;
    group.boundAt = null;
    return repo.save(group);
  }

  private async attach(group: WechatGroup, station: Station, now: Date): Promise<WechatGroup> {
    group.stationId = station.id;
    group.boundAt = now;
    const saved = await this.ds.getRepository(WechatGroup).save(group);
    await this.ds.query(`UPDATE station SET counting_from = $2 WHERE id = $1 AND counting_from IS NULL`, [station.id, dayOf(now)]);
    return saved;
  }

  async list(): Promise<GroupListItem[]> {
    const rows: Array<{ room_id: string; topic: string; station: string | null; county: string | null; bound_at: Date | null }> =
      await this.ds.query(
        `SELECT g.room_id, g.topic, s.name AS station, r.name AS county, g.bound_at
           FROM wechat_group g LEFT JOIN station s ON s.id = g.station_id LEFT JOIN region r ON r.id = s.county_id
           ORDER BY s.name NULLS LAST, r.name, g.topic`,
      );
    return rows.map((r) => ({ roomId: r.room_id, topic: r.topic, station: r.station, county: r.county, boundAt: r.bound_at }));
  }

  /** The groups of a scope (the console's list), bound ones by station, then the unbound by topic. */
  async rows(scope: GroupScope, id?: number): Promise<GroupRow[]> {
    const rows: Array<{
      id: number;
      room_id: string;
      topic: string;
      station_id: number | null;
      station_name: string | null;
      county_id: number | null;
      last_message_at: Date | null;
      bound_at: Date | null;
      member_count: number | null;
    }> = await this.ds.query(
      `SELECT g.id, g.room_id, g.topic, g.station_id, s.name AS station_name, s.county_id, g.last_message_at, g.bound_at, g.member_count
         FROM wechat_group g LEFT JOIN station s ON s.id = g.station_id
        WHERE ($4::int IS NULL OR g.id = $4)
          AND ((g.station_id IS NULL AND $3::boolean)
            OR (g.station_id IS NOT NULL AND ($1::int[] IS NULL OR s.county_id = ANY($1)) AND ($2::int[] IS NULL OR s.id = ANY($2))))
        ORDER BY s.name NULLS LAST, g.topic, g.id`,
      [scope.counties, scope.stations, scope.unbound, id ?? null],
    );
    return rows.map((r) => ({
      id: r.id,
      roomId: r.room_id,
      topic: r.topic,
      stationId: r.station_id,
      stationName: r.station_name,
      countyId: r.county_id,
      lastMessageAt: r.last_message_at,
      boundAt: r.bound_at,
      memberCount: r.member_count,
    }));
  }

  /** The station a group is bound to, or null. */
  async stationOf(roomId: string): Promise<Station | null> {
    const group = await this.ds.getRepository(WechatGroup).findOne({ where: { roomId }, relations: { station: true } });
    return group?.station ?? null;
  }

  /** Bound groups of the stations in service in the counties. */
  async boundRooms(countyIds: number[]): Promise<Array<{ roomId: string; stationId: number }>> {
    const rows: Array<{ room_id: string; station_id: number }> = await this.ds.query(
      `SELECT g.room_id, g.station_id FROM wechat_group g JOIN station s ON s.id = g.station_id
       WHERE s.county_id = ANY($1) AND s.status = ANY($2) ORDER BY g.room_id`,
      [countyIds, STATIONS_IN_SERVICE],
    );
    return rows.map((r) => ({ roomId: r.room_id, stationId: r.station_id }));
  }
}
