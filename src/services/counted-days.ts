/**
 * SQL fragments for counted informant-days (docs/统计口径.md 信息员人天), shared by the summary
 * refresher and the statistics read service so both count the same days.
 */

/** The first day station `s` counts: the day the county set, else the day its first group was bound (null: not counting). */
export const stationStartSql = (s: string): string =>
  `coalesce(${s}.counting_from, (SELECT min((g.bound_at AT TIME ZONE 'Asia/Shanghai')::date) FROM wechat_group g WHERE g.station_id = ${s}.id AND g.bound_at IS NOT NULL))`;

/** A CTE `station_start (station_id, start)`: every station's first counted day, computed once per query. */
export const STATION_START_CTE = `station_start AS (
  SELECT s.id AS station_id, coalesce(s.counting_from, min((g.bound_at AT TIME ZONE 'Asia/Shanghai')::date)) AS start
  FROM station s LEFT JOIN wechat_group g ON g.station_id = s.id AND g.bound_at IS NOT NULL GROUP BY s.id)`;

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
