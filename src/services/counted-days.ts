/**
 * SQL fragments for counted informant-days (docs/统计口径.md 信息员人天), shared by the summary
 * refresher and the statistics read service so both count the same days.
 */

/** The first day station `s` counts: the day the county set, else the day its first group was bound (null: not counting). */
export const stationStartSql = (s: string): string =>
  `coalesce(${s}.counting_from, (SELECT min((g.bound_at AT TIME ZONE 'Asia/Shanghai')::date) FROM wechat_group g WHERE g.station_id = ${s}.id AND g.bound_at IS NOT NULL))`;

/**
 * Whether rollup row `d` (of station row `s`) is a counted informant-day: on or after the
 * station's first counted day, and inside one of the informant's roster intervals at that station.
 */
export const countedRollupSql = (d: string, s: string): string =>
  `(${d}.day >= ${stationStartSql(s)} AND EXISTS (SELECT 1 FROM informant_roster ir WHERE ir.informant_id = ${d}.informant_id
     AND ir.station_id = ${d}.station_id AND ir.from_day <= ${d}.day AND (ir.to_day IS NULL OR ir.to_day >= ${d}.day)))`;
