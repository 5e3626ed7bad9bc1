import type { DataSource } from 'typeorm';
import { UserError } from '../errors';

/** How often every process runs the election (and on attach, detach, logout at once). */
export const ELECTION_INTERVAL_MS = 2000;

/**
 * A speaker whose process has not heartbeated its lease for this long no longer speaks (the lease
 * itself lives longer, 20 s: taking an account over is slower than handing a group to another).
 */
export const SPEAKER_STALE_SECONDS = 7;

/** An account's presence in a group is written at most this often per (group, account) when it hears a message. */
export const HEARD_GRANULARITY_MS = 60_000;

/** One account in one group, as the 群 page shows it. */
export interface GroupAccountView {
  accountId: number;
  accountName: string;
  /** In the group now (false: it left or was removed). */
  present: boolean;
  lastHeardAt: Date | null;
  /** Lease fresh, logged in, not paused, removed or restricted: may speak. */
  healthy: boolean;
  speaker: boolean;
  pinned: boolean;
}

/** A speaker change the election made. */
export interface SpeakerChange {
  groupId: number;
  roomId: string;
  accountId: number | null;
}

/**
 * The accounts that may speak now: leased by a process that heartbeated recently, connected to
 * WeChat and logged in, not paused, removed or restricted. One place for the rule: the election
 * and the 群 page use it.
 */
const HEALTHY_SQL = `
  SELECT a.id FROM bot_account a JOIN bot_account_lease l ON l.account_id = a.id
   WHERE a.removed_at IS NULL AND NOT a.paused AND a.logged_in AND a.state = 'online'
     AND (a.restricted_until IS NULL OR a.restricted_until <= now())
     AND l.heartbeat_at > now() - make_interval(secs => $1)`;

/**
 * Which bot accounts are in which group, and each group's speaker: every account in a group
 * listens, exactly one speaks. The election is one idempotent statement any process may run at
 * any time (several at once agree: the choice depends only on the tables): a group keeps its
 * speaker while it is healthy and present; the operator's pin wins whenever the pinned account
 * is; otherwise the healthy present account with the lowest id speaks; none: no speaker.
 */
export class GroupSpeakers {
  /** When (room, account) presence was last written by `heard` (ms). */
  private readonly heardWritten = new Map<string, number>();

  constructor(
    private readonly ds: DataSource,
    private readonly staleSeconds = SPEAKER_STALE_SECONDS,
  ) {}

  /** Runs the election; returns the groups whose speaker changed. */
  async elect(): Promise<SpeakerChange[]> {
    const rows: Array<{ id: number; room_id: string; speaker_account_id: number | null }> = await this.ds.query(
      `WITH healthy AS (${HEALTHY_SQL}),
       cand AS (
         SELECT ga.room_id, ga.account_id FROM group_account ga JOIN healthy h ON h.id = ga.account_id WHERE ga.present
       ),
       want AS (
         SELECT g.id,
                (SELECT c.account_id FROM cand c WHERE c.room_id = g.room_id
                  ORDER BY coalesce(c.account_id = g.speaker_pinned_account_id, false) DESC,
                           coalesce(c.account_id = g.speaker_account_id, false) DESC,
                           c.account_id
                  LIMIT 1) AS account_id
           FROM wechat_group g
          WHERE g.speaker_account_id IS NOT NULL OR g.room_id IN (SELECT room_id FROM cand)
       ),
       moved AS (
         UPDATE wechat_group g SET speaker_account_id = w.account_id, speaker_since = now()
           FROM want w
          WHERE w.id = g.id AND g.speaker_account_id IS DISTINCT FROM w.account_id
          RETURNING g.id, g.room_id, g.speaker_account_id
       )
       SELECT * FROM moved ORDER BY id`,
      [this.staleSeconds],
    );
    return rows.map((r) => ({ groupId: r.id, roomId: r.room_id, accountId: r.speaker_account_id }));
  }

  /**
   * Records the rooms an account lists (at login, when contacts and rooms are loaded): it is
   * present in these, and has left any other it was recorded in.
   */
  async listed(accountId: number, roomIds: string[]): Promise<void> {
    await this.ds.transaction(async (m) => {
      await m.query(
        `INSERT INTO group_account (room_id, account_id) SELECT unnest($2::varchar[]), $1
         ON CONFLICT (room_id, account_id) DO UPDATE SET present = true, left_at = NULL WHERE NOT group_account.present`,
        [accountId, roomIds],
      );
      await m.query(
        `UPDATE group_account SET present = false, left_at = now()
          WHERE account_id = $1 AND present AND NOT (room_id = ANY($2::varchar[]))`,
        [accountId, roomIds],
      );
    });
  }

  /** The account was added to a room. */
  async joined(roomId: string, accountId: number): Promise<void> {
    await this.listedOne(roomId, accountId, null);
  }

  /** The account left (or was removed from) a room: it speaks there no more. */
  async left(roomId: string, accountId: number): Promise<void> {
    await this.ds.query(`UPDATE group_account SET present = false, left_at = now() WHERE room_id = $1 AND account_id = $2 AND present`, [
      roomId,
      accountId,
    ]);
    this.heardWritten.delete(`${roomId}|${accountId}`);
  }

  /**
   * The account heard a message in the room: it is there, and its last-heard time moves. Written
   * at most once a minute per (room, account).
   */
  async heard(roomId: string, accountId: number, at: Date): Promise<void> {
    const k = `${roomId}|${accountId}`;
    const last = this.heardWritten.get(k);
    if (last !== undefined && at.getTime() - last < HEARD_GRANULARITY_MS) return;
    this.heardWritten.set(k, at.getTime());
    if (this.heardWritten.size > 100_000) this.heardWritten.clear();
    await this.listedOne(roomId, accountId, at);
  }

  private async listedOne(roomId: string, accountId: number, heardAt: Date | null): Promise<void> {
    await this.ds.query(
      `INSERT INTO group_account (room_id, account_id, last_heard_at) VALUES ($1, $2, $3)
       ON CONFLICT (room_id, account_id) DO UPDATE
         SET present = true, left_at = NULL,
             last_heard_at = greatest(group_account.last_heard_at, excluded.last_heard_at)`,
      [roomId, accountId, heardAt],
    );
  }

  /** The rooms whose speaker is one of these accounts (this process's), room id → account id. */
  async spokenBy(accountIds: number[]): Promise<Map<string, number>> {
    if (accountIds.length === 0) return new Map();
    const rows: Array<{ room_id: string; speaker_account_id: number }> = await this.ds.query(
      `SELECT room_id, speaker_account_id FROM wechat_group WHERE speaker_account_id = ANY($1::int[])`,
      [accountIds],
    );
    return new Map(rows.map((r) => [r.room_id, r.speaker_account_id]));
  }

  /** The speaker of a room now (null: none). */
  async speakerOf(roomId: string): Promise<number | null> {
    const rows: Array<{ speaker_account_id: number | null }> = await this.ds.query(
      `SELECT speaker_account_id FROM wechat_group WHERE room_id = $1`,
      [roomId],
    );
    return rows[0]?.speaker_account_id ?? null;
  }

  /**
   * Pins a group's speaker (named by room id or exact topic) to an account (by name), or unpins it
   * (null). The pinned account speaks whenever it is healthy and in the group; the election runs
   * at once.
   */
  async pin(
    roomIdOrTopic: string,
    accountName: string | null,
  ): Promise<{ groupId: number; topic: string; speakerAccountId: number | null }> {
    const group = await this.findGroup(roomIdOrTopic);
    let accountId: number | null = null;
    if (accountName !== null) {
      const rows: Array<{ id: number; present: boolean | null }> = await this.ds.query(
        `SELECT a.id, ga.present FROM bot_account a
           LEFT JOIN group_account ga ON ga.account_id = a.id AND ga.room_id = $2
          WHERE a.name = $1 AND a.removed_at IS NULL`,
        [accountName, group.room_id],
      );
      if (rows.length === 0) throw new UserError(`没有微信号“${accountName}”（用 kepubot account list 查看）`);
      if (!rows[0].present) throw new UserError(`微信号“${accountName}”不在群“${group.topic || group.room_id}”里，不能在这个群发言`);
      accountId = rows[0].id;
    }
    await this.ds.query(`UPDATE wechat_group SET speaker_pinned_account_id = $2 WHERE id = $1`, [group.id, accountId]);
    await this.elect();
    return { groupId: group.id, topic: group.topic, speakerAccountId: await this.speakerOf(group.room_id) };
  }

  /** Pins by the group's id (the console). */
  async pinById(groupId: number, accountId: number | null): Promise<void> {
    const rows: Array<{ room_id: string }> = await this.ds.query(`SELECT room_id FROM wechat_group WHERE id = $1`, [groupId]);
    if (rows.length === 0) throw new UserError('没有这个群');
    if (accountId !== null) {
      const present: unknown[] = await this.ds.query(
        `SELECT 1 FROM group_account ga JOIN bot_account a ON a.id = ga.account_id
          WHERE ga.room_id = $1 AND ga.account_id = $2 AND ga.present AND a.removed_at IS NULL`,
        [rows[0].room_id, accountId],
      );
      if (present.length === 0) throw new UserError('这个微信号不在群里，不能在这个群发言');
    }
    await this.ds.query(`UPDATE wechat_group SET speaker_pinned_account_id = $2 WHERE id = $1`, [groupId, accountId]);
    await this.elect();
  }

  /** The accounts of each group (present ones first, then by id), for the 群 page. */
  async accountsOf(groupIds: number[]): Promise<Map<number, GroupAccountView[]>> {
    const out = new Map<number, GroupAccountView[]>();
    if (groupIds.length === 0) return out;
    const rows: Array<{
      group_id: number;
      account_id: number;
      name: string;
      present: boolean;
      last_heard_at: Date | null;
      healthy: boolean;
      speaker: boolean;
      pinned: boolean;
    }> = await this.ds.query(
      `WITH healthy AS (${HEALTHY_SQL})
       SELECT g.id AS group_id, a.id AS account_id, a.name, ga.present, ga.last_heard_at,
              (a.id IN (SELECT id FROM healthy)) AS healthy,
              coalesce(g.speaker_account_id = a.id, false) AS speaker,
              coalesce(g.speaker_pinned_account_id = a.id, false) AS pinned
         FROM wechat_group g
         JOIN group_account ga ON ga.room_id = g.room_id
         JOIN bot_account a ON a.id = ga.account_id AND a.removed_at IS NULL
        WHERE g.id = ANY($2::int[])
        ORDER BY g.id, ga.present DESC, a.id`,
      [this.staleSeconds, groupIds],
    );
    for (const r of rows) {
      const list = out.get(r.group_id) ?? [];
      list.push({
        accountId: r.account_id,
        accountName: r.name,
        present: r.present,
        lastHeardAt: r.last_heard_at,
        healthy: r.healthy,
        speaker: r.speaker,
        pinned: r.pinned,
      });
      out.set(r.group_id, list);
    }
    return out;
  }

  /** Marks an account restricted by WeChat until `until` (it speaks nowhere meanwhile) and re-elects. */
  async restrict(accountId: number, until: Date | null): Promise<SpeakerChange[]> {
    await this.ds.query(`UPDATE bot_account SET restricted_until = $2 WHERE id = $1`, [accountId, until]);
    return this.elect();
  }

  private async findGroup(roomIdOrTopic: string): Promise<{ id: number; room_id: string; topic: string }> {
    const rows: Array<{ id: number; room_id: string; topic: string }> = await this.ds.query(
      `SELECT id, room_id, topic FROM wechat_group WHERE room_id = $1 OR topic = $1 ORDER BY (room_id = $1) DESC, id LIMIT 3`,
      [roomIdOrTopic],
    );
    if (rows.length === 0) throw new UserError(`没有群“${roomIdOrTopic}”（用群 ID 或完整的群名）`);
    if (rows[0].room_id !== roomIdOrTopic && rows.length > 1) {
      throw new UserError(`有 ${rows.length} 个群都叫“${roomIdOrTopic}”，请改用群 ID：${rows.map((g) => g.room_id).join('、')}`);
    }
    return rows[0];
  }
}
