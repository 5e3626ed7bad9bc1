import { daysBefore, type DayKey } from '../domain/calendar';

/** Anything that runs SQL: a DataSource or a transaction's EntityManager. */
interface Queryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/**
 * Puts informants on their station's roster from `day` on (docs/统计口径.md 在册区间): opens a
 * roster interval for each informant that has no open one. An interval closed the day before
 * or the same day is reopened instead (re-enabling without a gap keeps one interval).
 */
export async function joinRoster(q: Queryable, informantIds: number[], day: DayKey): Promise<void> {
  if (informantIds.length === 0) return;
  await q.query(
    `UPDATE informant_roster r SET to_day = NULL, updated_at = now()
     WHERE r.informant_id = ANY($1) AND r.to_day >= $2::date
       AND r.station_id = (SELECT station_id FROM informant WHERE id = r.informant_id)
       AND NOT EXISTS (SELECT 1 FROM informant_roster o WHERE o.informant_id = r.informant_id AND o.to_day IS NULL)
       AND r.to_day = (SELECT max(to_day) FROM informant_roster l WHERE l.informant_id = r.informant_id)`,
    [informantIds, daysBefore(day, 1)],
  );
  await q.query(
    `INSERT INTO informant_roster (county_id, informant_id, station_id, from_day)
     SELECT i.county_id, i.id, i.station_id, $2::date FROM informant i
     WHERE i.id = ANY($1) AND NOT EXISTS (SELECT 1 FROM informant_roster o WHERE o.informant_id = i.id AND o.to_day IS NULL)`,
    [informantIds, day],
  );
  await touchRollups(q, informantIds);
}

/** Takes informants off the roster: their open interval ends with `day` (their last day on it). */
export async function leaveRoster(q: Queryable, informantIds: number[], day: DayKey): Promise<void> {
  if (informantIds.length === 0) return;
  await q.query(
    `UPDATE informant_roster SET to_day = greatest(from_day, $2::date), updated_at = now() WHERE informant_id = ANY($1) AND to_day IS NULL`,
    [informantIds, day],
  );
  await touchRollups(q, informantIds);
}

/** Marks the informants' rollups changed, so the summaries recount them against the new intervals. */
async function touchRollups(q: Queryable, informantIds: number[]): Promise<void> {
  await q.query(`UPDATE daily_rollup SET updated_at = now() WHERE informant_id = ANY($1)`, [informantIds]);
}
