import type { DataSource } from 'typeorm';
import { dayOf, dayStart } from '../domain/calendar';
import { coverageRatio, unheardMs, type Span } from '../domain/coverage';

/**
 * An account's interval grows only while its heartbeats come at most this far apart; a longer
 * silence (the process stalled, PostgreSQL unreachable) starts a new interval, so a gap is never
 * papered over by a late heartbeat.
 */
export const LISTEN_MAX_STEP_MS = 15_000;

const DAY_MS = 24 * 3600_000;

/** A group to measure: its id, room and the instant measuring starts (its creation, or its binding). */
export interface MeasuredGroup {
  id: number;
  roomId: string;
  since: Date;
}

/** A group's coverage: the share of the last 24 hours and of the last 7 days with an account listening. */
export interface GroupCoverageFigures {
  day: number | null;
  week: number | null;
}

/** A bound group unheard today for longer than the threshold. */
export interface UnheardGroup {
  groupId: number;
  topic: string;
  stationName: string | null;
  day: string;
  unheardMinutes: number;
}

/** An account that became suspect (or stopped being). */
export interface SuspectChange {
  accountId: number;
  name: string;
}

/**
 * Coverage of the groups by listening accounts (issue 15, item 6).
 *
 * Representation: each process writes, for every account it drives and that listens (lease held,
 * connected, logged in), "account A listened from t0 to t1", moving t1 forward with every
 * heartbeat. Nothing ever has to be closed: a crashed process's intervals simply stop growing,
 * an account taken over by another process gets a new interval there, and two writers for one
 * account (a lease handed over mid-heartbeat) only overlap, which the union absorbs. A group's
 * unheard windows are the complement of the union of its accounts' intervals (each clipped to
 * the account's membership, group_account first_seen_at..left_at), computed by src/domain/coverage.ts.
 */
export class GroupCoverage {
  /** Account id → the interval this process is extending and when it last did. */
  private readonly open = new Map<number, { id: string; at: number }>();

  constructor(private readonly ds: DataSource) {}

  /** The account listens at `at` (called on every heartbeat): extends its interval, or opens one. */
  async listening(accountId: number, at: Date): Promise<void> {
    const cur = this.open.get(accountId);
    if (cur && at.getTime() >= cur.at && at.getTime() - cur.at <= LISTEN_MAX_STEP_MS) {
      const rows: Array<{ id: string }> = await this.ds.query(
        `WITH x AS (UPDATE account_listen_interval SET ended_at = greatest(ended_at, $2) WHERE id = $1 RETURNING id) SELECT id FROM x`,
        [cur.id, at],
      );
      if (rows.length > 0) {
        cur.at = at.getTime();
        return;
      }
    }
    const [row]: Array<{ id: string }> = await this.ds.query(
      `INSERT INTO account_listen_interval (account_id, started_at, ended_at) VALUES ($1, $2, $2) RETURNING id::text AS id`,
      [accountId, at],
    );
    this.open.set(accountId, { id: row.id, at: at.getTime() });
  }

  /** The account stopped listening here (reconnecting, logged out, detached): its interval stops growing. */
  stopped(accountId: number): void {
    this.open.delete(accountId);
  }

  /** Per room: the listening spans of its accounts within [from, to), each clipped to the account's membership. */
  async spans(roomIds: string[], from: Date, to: Date): Promise<Map<string, Span[]>> {
    const out = new Map<string, Span[]>();
    if (roomIds.length === 0) return out;
    const rows: Array<{ room_id: string; s: Date; e: Date }> = await this.ds.query(
      `SELECT ga.room_id, greatest(i.started_at, ga.first_seen_at) AS s,
              CASE WHEN ga.present THEN i.ended_at ELSE least(i.ended_at, coalesce(ga.left_at, i.ended_at)) END AS e
         FROM group_account ga JOIN account_listen_interval i ON i.account_id = ga.account_id
        WHERE ga.room_id = ANY($1::varchar[]) AND i.ended_at > $2 AND i.started_at < $3`,
      [roomIds, from, to],
    );
    for (const r of rows) {
      const list = out.get(r.room_id) ?? [];
      list.push({ from: r.s.getTime(), to: r.e.getTime() });
      out.set(r.room_id, list);
    }
    return out;
  }

  /** Each group's coverage of the last 24 hours and of the last 7 days before `now` (measured from `since`). */
  async figures(groups: MeasuredGroup[], now: Date): Promise<Map<number, GroupCoverageFigures>> {
    const weekFrom = new Date(now.getTime() - 7 * DAY_MS);
    const spans = await this.spans(
      groups.map((g) => g.roomId),
      weekFrom,
      now,
    );
    const out = new Map<number, GroupCoverageFigures>();
    for (const g of groups) {
      const s = spans.get(g.roomId) ?? [];
      const since = g.since.getTime();
      const window = (from: number): Span => ({ from: Math.max(from, since), to: now.getTime() });
      out.set(g.id, {
        day: coverageRatio(s, window(now.getTime() - DAY_MS)),
        week: coverageRatio(s, window(weekFrom.getTime())),
      });
    }
    return out;
  }

  /** Each group's coverage of [from, to) (e.g. the digest's week), measured from `since`. */
  async ratios(groups: MeasuredGroup[], from: Date, to: Date): Promise<Map<number, number | null>> {
    const spans = await this.spans(
      groups.map((g) => g.roomId),
      from,
      to,
    );
    return new Map(
      groups.map((g) => [
        g.id,
        coverageRatio(spans.get(g.roomId) ?? [], { from: Math.max(from.getTime(), g.since.getTime()), to: to.getTime() }),
      ]),
    );
  }

  /** Every group with what coverage is measured from: its binding when bound, else its creation. */
  async measuredGroups(
    options: { boundOnly?: boolean; ids?: number[]; countyId?: number } = {},
  ): Promise<Array<MeasuredGroup & { topic: string; stationName: string | null }>> {
    const rows: Array<{ id: number; room_id: string; since: Date; topic: string; station_name: string | null }> = await this.ds.query(
      `SELECT g.id, g.room_id, coalesce(g.bound_at, g.created_at) AS since, g.topic, s.name AS station_name
         FROM wechat_group g LEFT JOIN station s ON s.id = g.station_id
        WHERE ($1::boolean IS NOT TRUE OR g.station_id IS NOT NULL) AND ($2::int[] IS NULL OR g.id = ANY($2::int[]))
          AND ($3::int IS NULL OR s.county_id = $3)
        ORDER BY g.id`,
      [options.boundOnly ?? false, options.ids ?? null, options.countyId ?? null],
    );
    return rows.map((r) => ({ id: r.id, roomId: r.room_id, since: r.since, topic: r.topic, stationName: r.station_name }));
  }

  /**
   * Bound groups unheard today (Asia/Shanghai, from midnight or their binding until `now`) for
   * more than `thresholdMinutes`, leaving out `skip` (groups already alerted today).
   */
  async unheardToday(now: Date, thresholdMinutes: number, skip: ReadonlySet<number> = new Set()): Promise<UnheardGroup[]> {
    const day = dayOf(now);
    const from = dayStart(day);
    const groups = (await this.measuredGroups({ boundOnly: true })).filter((g) => !skip.has(g.id));
    const spans = await this.spans(
      groups.map((g) => g.roomId),
      from,
      now,
    );
    const out: UnheardGroup[] = [];
    for (const g of groups) {
      const window = { from: Math.max(from.getTime(), g.since.getTime()), to: now.getTime() };
      const ms = unheardMs(spans.get(g.roomId) ?? [], window);
      if (ms > thresholdMinutes * 60_000) {
        out.push({ groupId: g.id, topic: g.topic, stationName: g.stationName, day, unheardMinutes: Math.floor(ms / 60_000) });
      }
    }
    return out;
  }

  /**
   * Marks and clears suspect accounts. An account is suspect when it has listened without a
   * break for `minutes` (its current interval, still growing, began that long ago), heard
   * nothing in any of its groups for that long, while another account present in one of its
   * groups heard that group within that time (so the group was not simply quiet). Returns the
   * accounts that became suspect and those that stopped being (heard again, or no longer listening).
   * Each change is returned to one caller only (the UPDATE decides), so several processes alert once.
   */
  async markSuspects(now: Date, minutes: number): Promise<{ marked: SuspectChange[]; cleared: SuspectChange[] }> {
    const since = new Date(now.getTime() - minutes * 60_000);
    const fresh = new Date(now.getTime() - 4 * LISTEN_MAX_STEP_MS);
    const suspects = `
      SELECT a.id FROM bot_account a
       WHERE a.removed_at IS NULL AND NOT a.paused AND a.logged_in
         AND EXISTS (SELECT 1 FROM account_listen_interval i
                      WHERE i.account_id = a.id AND i.ended_at >= $2 AND i.started_at <= $1)
         AND NOT EXISTS (SELECT 1 FROM group_account mine
                          WHERE mine.account_id = a.id AND mine.last_heard_at > $1)
         AND EXISTS (SELECT 1 FROM group_account mine JOIN group_account other
                             ON other.room_id = mine.room_id AND other.account_id <> mine.account_id
                      WHERE mine.account_id = a.id AND mine.present AND other.present AND other.last_heard_at > $1)`;
    const marked: Array<{ id: number; name: string }> = await this.ds.query(
      `WITH s AS (${suspects}),
       m AS (UPDATE bot_account b SET suspect_since = $3 FROM s WHERE b.id = s.id AND b.suspect_since IS NULL RETURNING b.id, b.name)
       SELECT id, name FROM m ORDER BY id`,
      [since, fresh, now],
    );
    const cleared: Array<{ id: number; name: string }> = await this.ds.query(
      `WITH s AS (${suspects}),
       c AS (UPDATE bot_account b SET suspect_since = NULL WHERE b.suspect_since IS NOT NULL AND b.id NOT IN (SELECT id FROM s) RETURNING b.id, b.name)
       SELECT id, name FROM c ORDER BY id`,
      [since, fresh],
    );
    const change = (r: { id: number; name: string }): SuspectChange => ({ accountId: r.id, name: r.name });
    return { marked: marked.map(change), cleared: cleared.map(change) };
  }
}
