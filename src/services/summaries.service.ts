import type { DataSource, EntityManager } from 'typeorm';
import { TIME_ZONE, type DayKey } from '../domain/calendar';
import { STATION_START_CTE, countedJoinedSql, rosterJoinSql, type CountyPolicyService } from './county-policy.service';

/** Serialises summary refreshes across connections and instances. */
const SUMMARY_LOCK = 0x6b657078;
/** Rollups changed after this were not (or may not have been) summarised yet. */
const WATERMARK = `(SELECT least(refreshed_to, refreshed_at) FROM summary_watermark WHERE id = 1)`;

/**
 * Maintains the summary tables (station_day, informant_period, station_period) from the daily
 * rollups, and station_roster_day from the roster intervals, for fast rankings. StatisticsService reads them; nothing else writes them. Only
 * counted informant-days (county-policy.service.ts: from the station's first counted day, inside the
 * informant's roster intervals) enter them; a change of either touches the rollups concerned.
 */
export class SummaryRefresher {
  constructor(
    private readonly ds: DataSource,
    /** The county quota a quota-met day is measured against. */
    private readonly policy: CountyPolicyService,
  ) {}

  /**
   * Brings station_day, informant_period, station_period and station_roster_day up to date with the daily rollups
   * and roster intervals changed since the last refresh (recomputing the touched groups, so running it twice is harmless). Cheap when
   * nothing changed: one index lookup. One refresher at a time (advisory lock); the others go on
   * with the summaries as they are.
   */
  async refresh(attempt = 1): Promise<void> {
    // Nothing written since the last refresh (the usual case on a read): no transaction. The
    // watermark goes in as a parameter (as text, keeping its microseconds) so the planner uses the
    // updated_at indexes; as a subquery it scans all of daily_rollup when nothing changed.
    const [{ wm }]: Array<{ wm: string }> = await this.ds.query(`SELECT ${WATERMARK}::text AS wm`);
    const [{ changed }]: Array<{ changed: boolean }> = await this.ds.query(
      `SELECT EXISTS (SELECT 1 FROM daily_rollup WHERE updated_at > $1::timestamptz)
           OR EXISTS (SELECT 1 FROM informant_roster WHERE updated_at > $1::timestamptz) AS changed`,
      [wm],
    );
    if (!changed) return;
    try {
      await this.refreshOnce();
    } catch (err) {
      // A refresher that waited for the lock may hold an older snapshot than the one that just
      // committed: PostgreSQL refuses its writes (40001); run again with a fresh snapshot.
      const code = (err as { driverError?: { code?: string } }).driverError?.code;
      if (code === '40001' && attempt < 3) return this.refresh(attempt + 1);
      throw err;
    }
  }

  /**
   * Whether the summaries cover the days [from, to) for good: the watermark has passed the end of
   * the last day (00:00 Asia/Shanghai of `to`) and no daily rollup of those days changed after it.
   * Retention drops raw shares of a month only then. `m`: the caller's transaction.
   */
  async covers(from: DayKey, to: DayKey, m: Pick<EntityManager, 'query'> = this.ds.manager): Promise<boolean> {
    const [{ wm, passed }]: Array<{ wm: string; passed: boolean }> = await m.query(
      `SELECT ${WATERMARK}::text AS wm, coalesce(${WATERMARK} >= ($1::date::timestamp AT TIME ZONE '${TIME_ZONE}'), false) AS passed`,
      [to],
    );
    if (!passed) return false;
    const changed: unknown[] = await m.query(
      `SELECT 1 FROM daily_rollup WHERE updated_at > $1::timestamptz AND day >= $2 AND day < $3 LIMIT 1`,
      [wm, from, to],
    );
    return changed.length === 0;
  }

  private async refreshOnce(): Promise<void> {
    // One snapshot for the whole refresh.
    await this.ds.transaction('REPEATABLE READ', async (m) => {
      // Another refresh is running: it brings the summaries up to date; do not queue behind it
      // (a snapshot taken while waiting would be older than its writes).
      const [{ locked }]: Array<{ locked: boolean }> = await m.query('SELECT pg_try_advisory_xact_lock($1) AS locked', [SUMMARY_LOCK]);
      if (!locked) return;
      // Rows of transactions still open at the last refresh were invisible to it; refreshed_at is
      // the start of the oldest of them, so look again at anything written since.
      // As text, so the microseconds survive the trip through JavaScript; as a parameter, so the
      // planner uses the updated_at index.
      const [{ wm }]: Array<{ wm: string }> = await m.query(`SELECT ${WATERMARK}::text AS wm`);
      const changed: unknown[] = await m.query(
        `SELECT 1 FROM daily_rollup WHERE updated_at > $1::timestamptz
         UNION ALL (SELECT 1 FROM informant_roster WHERE updated_at > $1::timestamptz) LIMIT 1`,
        [wm],
      );
      if (changed.length === 0) return;
      // Roster intervals changed: recount the joins and leaves per day of those stations.
      const stations: Array<{ station_id: number }> = await m.query(
        `SELECT DISTINCT station_id FROM informant_roster WHERE updated_at > $1::timestamptz`,
        [wm],
      );
      if (stations.length > 0) {
        const ids = stations.map((x) => x.station_id);
        await m.query(`DELETE FROM station_roster_day WHERE station_id = ANY($1)`, [ids]);
        await m.query(
          `INSERT INTO station_roster_day (county_id, station_id, day, joins, leaves)
           SELECT county_id, station_id, day, sum(j), sum(l) FROM (
             SELECT county_id, station_id, from_day AS day, 1 AS j, 0 AS l FROM informant_roster WHERE station_id = ANY($1)
             UNION ALL
             SELECT county_id, station_id, to_day + 1, 0, 1 FROM informant_roster WHERE station_id = ANY($1) AND to_day IS NOT NULL
           ) x GROUP BY county_id, station_id, day`,
          [ids],
        );
      }
      await m.query(
        `WITH c AS (SELECT DISTINCT station_id, day FROM daily_rollup WHERE updated_at > $1::timestamptz), ${STATION_START_CTE}
         INSERT INTO station_day (county_id, station_id, day, active_informants, raw_shares, effective_shares, quota_met)
         SELECT s.county_id, d.station_id, d.day, count(*) FILTER (WHERE k.counted AND d.effective_shares > 0),
                coalesce(sum(d.raw_shares) FILTER (WHERE k.counted), 0), coalesce(sum(d.effective_shares) FILTER (WHERE k.counted), 0),
                count(*) FILTER (WHERE k.counted AND d.effective_shares >= ${this.policy.quotaSql('r')})
         FROM c JOIN daily_rollup d ON d.station_id = c.station_id AND d.day = c.day
         JOIN station s ON s.id = d.station_id JOIN region r ON r.id = s.county_id JOIN station_start ss ON ss.station_id = d.station_id
         ${rosterJoinSql('d')}
         CROSS JOIN LATERAL (SELECT ${countedJoinedSql('d', 'ss.start')} AS counted) k
         GROUP BY s.county_id, d.station_id, d.day
         ON CONFLICT (county_id, station_id, day) DO UPDATE SET active_informants = excluded.active_informants,
           raw_shares = excluded.raw_shares, effective_shares = excluded.effective_shares, quota_met = excluded.quota_met`,
        [wm],
      );
      for (const [kind, unit, span] of [
        ['w', 'week', '7 days'],
        ['m', 'month', '1 month'],
        ['q', 'quarter', '3 months'],
      ] as const) {
        await m.query(
          `WITH c AS (SELECT DISTINCT informant_id, date_trunc('${unit}', day)::date AS start FROM daily_rollup WHERE updated_at > $1::timestamptz),
           ${STATION_START_CTE}
           INSERT INTO informant_period (county_id, informant_id, kind, period_start, station_id, effective_shares, active_days, quota_met_days)
           SELECT d.county_id, d.informant_id, '${kind}', c.start, max(d.station_id), coalesce(sum(d.effective_shares) FILTER (WHERE k.counted), 0),
                  count(*) FILTER (WHERE k.counted AND d.effective_shares > 0),
                  count(*) FILTER (WHERE k.counted AND d.effective_shares >= ${this.policy.quotaSql('r')})
           FROM c JOIN daily_rollup d ON d.informant_id = c.informant_id AND d.day >= c.start AND d.day < (c.start + interval '${span}')::date
           JOIN station s ON s.id = d.station_id JOIN region r ON r.id = s.county_id JOIN station_start ss ON ss.station_id = d.station_id
           ${rosterJoinSql('d')}
           CROSS JOIN LATERAL (SELECT ${countedJoinedSql('d', 'ss.start')} AS counted) k
           GROUP BY d.county_id, d.informant_id, c.start
           ON CONFLICT (county_id, informant_id, kind, period_start) DO UPDATE SET station_id = excluded.station_id, effective_shares = excluded.effective_shares,
             active_days = excluded.active_days, quota_met_days = excluded.quota_met_days`,
          [wm],
        );
        await m.query(
          `WITH c AS (SELECT DISTINCT county_id, station_id, date_trunc('${unit}', day)::date AS start FROM daily_rollup WHERE updated_at > $1::timestamptz)
           INSERT INTO station_period (county_id, station_id, kind, period_start, active_informants)
           SELECT c.county_id, c.station_id, '${kind}', c.start,
                  (SELECT count(*) FROM informant_period p
                   WHERE p.county_id = c.county_id AND p.station_id = c.station_id AND p.kind = '${kind}' AND p.period_start = c.start AND p.effective_shares > 0)
           FROM c
           ON CONFLICT (county_id, station_id, kind, period_start) DO UPDATE SET active_informants = excluded.active_informants`,
          [wm],
        );
      }
      await m.query(
        `UPDATE summary_watermark SET
           refreshed_to = greatest(refreshed_to, (SELECT max(updated_at) FROM daily_rollup), (SELECT max(updated_at) FROM informant_roster)),
           -- A microsecond before the oldest open transaction began: its rows carry updated_at =
           -- its start exactly, and the next refresh looks for rows strictly after the watermark.
           refreshed_at = coalesce((SELECT min(xact_start) FROM pg_stat_activity
                                    WHERE datname = current_database() AND backend_type = 'client backend'
                                      AND pid <> pg_backend_pid() AND xact_start IS NOT NULL), now()) - interval '1 microsecond'
         WHERE id = 1`,
      );
    });
  }
}
