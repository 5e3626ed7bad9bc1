import type { DataSource } from 'typeorm';
import { monthOf, type DayKey, type DayRange } from '../domain/calendar';
import {
  STATIONS_IN_SERVICE,
  countedRange,
  isSilent,
  monthsWithoutActivity,
  noActivityInMonth,
  quotaOf,
  silentWindow,
  SILENT_DAYS,
} from '../domain/county-policy';

/*
 * The SQL side of the county policy (src/domain/county-policy.ts): every query that needs a
 * county's quota, a station's counting start or its counted informant-days takes the fragment
 * from here, so the queries and the rules cannot drift apart. Fragments, not a database function:
 * the default quota is configuration (DAILY_SHARE_QUOTA), which the database does not know, and a
 * fragment inlines into the planner's view of each query (a SQL function would hide the
 * county join from it and need a migration for each change of the rule).
 */

/** The first day station `s` counts (stationStart): the day the county set, else the day its first group was bound; null: not counting. */
export const stationStartSql = (s: string): string =>
  `coalesce(${s}.counting_from, (SELECT min((g.bound_at AT TIME ZONE 'Asia/Shanghai')::date) FROM wechat_group g WHERE g.station_id = ${s}.id AND g.bound_at IS NOT NULL))`;

/** A CTE `station_start (station_id, start)`: every station's first counted day (stationStartSql), computed once per query. */
export const STATION_START_CTE = `station_start AS (SELECT s.id AS station_id, ${stationStartSql('s')} AS start FROM station s)`;

/**
 * Whether rollup row `d` is a counted informant-day: on or after `start` (its station's first
 * counted day, e.g. `ss.start` from STATION_START_CTE), and inside one of the informant's roster
 * intervals at that station.
 */
export const countedRollupSql = (d: string, start: string): string =>
  `(${d}.day >= ${start} AND EXISTS (SELECT 1 FROM informant_roster ir WHERE ir.informant_id = ${d}.informant_id
     AND ir.station_id = ${d}.station_id AND ir.from_day <= ${d}.day AND (ir.to_day IS NULL OR ir.to_day >= ${d}.day)))`;

/**
 * The same test as a join, for scans over many rollups (the summary refresh): joins rollup row
 * `d` to the roster interval containing its day (intervals of an informant never overlap:
 * roster-history.ts reopens an adjacent interval instead of starting a second one), after which
 * `countedJoinedSql` tells whether the day counts.
 */
export const rosterJoinSql = (d: string): string =>
  `LEFT JOIN informant_roster ir ON ir.informant_id = ${d}.informant_id AND ir.station_id = ${d}.station_id
     AND ir.from_day <= ${d}.day AND (ir.to_day IS NULL OR ir.to_day >= ${d}.day)`;

/** After `rosterJoinSql(d)`: whether `d` is a counted informant-day (`start`: its station's first counted day). */
export const countedJoinedSql = (d: string, start: string): string => `(ir.id IS NOT NULL AND ${d}.day >= ${start})`;

/** A bound group as the silent-group rule needs it. */
export interface GroupSilence {
  groupId: number;
  topic: string;
  stationId: number;
  stationName: string;
  /** Silent by the server's rule (domain isSilent: no share counted in the last SILENT_DAYS days). */
  silent: boolean;
  /** The last day of the window a share was counted from the group (null: none in the window). */
  lastShareDay: DayKey | null;
  /** Nothing at all said there for SILENT_DAYS days (the bot may have left). */
  quiet: boolean;
}

/**
 * A county's policy, asked from one place by statistics, reports, jobs, the overview, the API
 * and the bot: the daily quota (the county's own or DAILY_SHARE_QUOTA), stations' counted
 * ranges, "no activity this month", months without activity, silent groups.
 */
export class CountyPolicyService {
  constructor(
    private readonly ds: DataSource,
    /** DAILY_SHARE_QUOTA: the quota of a county that set none. */
    readonly defaultQuota: number,
  ) {
    if (!Number.isInteger(defaultQuota) || defaultQuota < 1)
      throw new RangeError(`default quota must be a positive integer: ${defaultQuota}`);
  }

  /** The quota of the county of region row `r` (a region alias joined as the station's county) as a SQL expression. */
  quotaSql(r: string): string {
    return `coalesce(${r}.daily_quota, ${this.defaultQuota})`;
  }

  /** A county's daily quota. */
  async quotaOfCounty(countyId: number): Promise<number> {
    const [r]: Array<{ q: number | null }> = await this.ds.query(`SELECT daily_quota AS q FROM region WHERE id = $1`, [countyId]);
    return quotaOf(r?.q, this.defaultQuota);
  }

  /** The daily quota of a station's county. */
  async quotaOfStation(stationId: number): Promise<number> {
    const [r]: Array<{ q: number | null }> = await this.ds.query(
      `SELECT r.daily_quota AS q FROM station s JOIN region r ON r.id = s.county_id WHERE s.id = $1`,
      [stationId],
    );
    return quotaOf(r?.q, this.defaultQuota);
  }

  /** Each station's name, status, type and first counted day (stationStartSql): one query. */
  async stations(stationIds: number[]): Promise<Map<number, { name: string; status: string; type: string; start: DayKey | null }>> {
    const rows: Array<{ id: number; name: string; status: string; type: string; start: string | null }> = await this.ds.query(
      `SELECT s.id, s.name, s.status, s.type, to_char(${stationStartSql('s')}, 'YYYY-MM-DD') AS start FROM station s WHERE s.id = ANY($1)`,
      [stationIds],
    );
    return new Map(rows.map(({ id, ...r }) => [id, r]));
  }

  /** Each station's status, first counted day and the days of `range` it counts (domain countedRange). */
  async counting(
    stationIds: number[],
    range: DayRange,
    today: DayKey,
  ): Promise<Map<number, { status: string; start: DayKey | null; counted: DayRange | null }>> {
    const stations = await this.stations(stationIds);
    return new Map(
      [...stations].map(([id, s]) => [id, { status: s.status, start: s.start, counted: countedRange(s.start, range, today) }]),
    );
  }

  /** The days of `range` with a logged (not withdrawn) activity, per station. */
  private async activityDays(stationIds: number[], range: DayRange): Promise<Map<number, DayKey[]>> {
    const rows: Array<{ station_id: number; day: string }> = await this.ds.query(
      `SELECT DISTINCT station_id, to_char(date, 'YYYY-MM-DD') AS day FROM activity
       WHERE station_id = ANY($1) AND status = 'active' AND date BETWEEN $2 AND $3`,
      [stationIds, range.from, range.to],
    );
    const out = new Map<number, DayKey[]>();
    for (const r of rows) out.set(r.station_id, [...(out.get(r.station_id) ?? []), r.day]);
    return out;
  }

  /** 几个月无活动 per station over a period: months from its first counted month to the cut-off without an activity. */
  async monthsWithoutActivity(stationIds: number[], period: DayRange, today: DayKey): Promise<Map<number, number>> {
    const counting = await this.counting(stationIds, period, today);
    const days = await this.activityDays(stationIds, { from: monthOf(period.from).from, to: period.to });
    return new Map(stationIds.map((id) => [id, monthsWithoutActivity(counting.get(id)?.counted ?? null, days.get(id) ?? [])]));
  }

  /**
   * The stations (of `stationIds`, in their order) in service with no activity this month: the
   * month containing `day`, up to `day` (domain noActivityInMonth).
   */
  async withoutActivityThisMonth(stationIds: number[], day: DayKey): Promise<number[]> {
    if (stationIds.length === 0) return [];
    const stations = await this.stations(stationIds);
    const days = await this.activityDays(stationIds, { from: monthOf(day).from, to: day });
    return stationIds.filter((id) => stations.has(id) && noActivityInMonth(stations.get(id)!.status, day, days.get(id) ?? []));
  }

  /**
   * The silent-group rule for the bound groups of some stations (or some groups): silent or not
   * (domain isSilent), the last share day in the window and whether anything at all was said
   * there (last_message_at, kept at most a minute behind) for SILENT_DAYS days. Ordered by station name, then id.
   */
  async groupSilence(where: { stationIds: number[] } | { groupIds: number[] }, today: DayKey, now: Date): Promise<GroupSilence[]> {
    const window = silentWindow(today);
    const rows: Array<{
      id: number;
      topic: string;
      station_id: number;
      station: string;
      status: string;
      bound_at: Date;
      last_share: string | null;
      quiet: boolean;
    }> = await this.ds.query(
      `SELECT g.id, g.topic, g.station_id, s.name AS station, s.status, g.bound_at,
              (SELECT to_char(max(e.day), 'YYYY-MM-DD') FROM share_event e
               WHERE e.station_id = g.station_id AND e.day BETWEEN $2 AND $3 AND e.room_id = g.room_id) AS last_share,
              coalesce(g.last_message_at, g.bound_at) < $4::timestamptz - make_interval(days => $5) AS quiet
       FROM wechat_group g JOIN station s ON s.id = g.station_id
       WHERE g.bound_at IS NOT NULL AND ${'stationIds' in where ? 'g.station_id' : 'g.id'} = ANY($1)
       ORDER BY s.name, g.id`,
      ['stationIds' in where ? where.stationIds : where.groupIds, window.from, window.to, now, SILENT_DAYS],
    );
    return rows.map((r) => ({
      groupId: r.id,
      topic: r.topic,
      stationId: r.station_id,
      stationName: r.station,
      lastShareDay: r.last_share,
      silent: isSilent({ boundAt: r.bound_at, stationStatus: r.status, lastShareDay: r.last_share }, today, now),
      quiet: r.quiet,
    }));
  }

  /** The statuses of stations in service, as a query parameter (`s.status = ANY($n)`). */
  readonly inServiceStatuses: string[] = [...STATIONS_IN_SERVICE];
}
