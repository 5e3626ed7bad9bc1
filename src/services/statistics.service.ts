import { DateTime } from 'luxon';
import type { DataSource } from 'typeorm';
import { TIME_ZONE } from '../config';
import { upTo, daysIn, type DayKey, type DayRange } from '../domain/calendar';
import { compareStations, figuresOf, sumAggregates, type Aggregates, type Figures } from '../domain/figures';

/** Serialises summary refreshes across connections and instances. */
const SUMMARY_LOCK = 0x6b657078;
/** Rollups changed after this were not (or may not have been) summarised yet. */
const WATERMARK = `(SELECT least(refreshed_to, refreshed_at) FROM summary_watermark WHERE id = 1)`;

/**
 * Which summary answers "active informants" over a counted range: one day; a week from its
 * Monday; whole months from a 1st (ending on a month's last day or today, after which there is
 * no data); anything else falls back to the daily rollups.
 */
export function rangeShape(r: DayRange, today: DayKey): 'day' | 'week' | 'quarter' | 'months' | 'days' {
  if (r.from === r.to) return 'day';
  const from = DateTime.fromISO(r.from, { zone: TIME_ZONE });
  const to = DateTime.fromISO(r.to, { zone: TIME_ZONE });
  if (from.weekday === 1 && to <= from.plus({ days: 6 }) && (to.weekday === 7 || r.to === today)) return 'week';
  if (from.hasSame(from.startOf('quarter'), 'day') && from.hasSame(to, 'quarter') && (to.hasSame(to.endOf('quarter'), 'day') || r.to === today)) {
    return 'quarter';
  }
  if (from.day === 1 && (to.day === to.daysInMonth || r.to === today)) return 'months';
  return 'days';
}

export type ScopeKind = 'informant' | 'station' | 'county' | 'prefecture' | 'province';

export interface StationRow {
  stationId: number;
  name: string;
  status: string;
  figures: Figures;
}

export interface StationTable {
  range: DayRange;
  /** The days counted (the range clipped to today). */
  counted: DayRange;
  rows: StationRow[];
  total: Figures;
}

export interface TopInformant {
  informantId: number;
  name: string;
  station: string;
  effective: number;
  quotaMetDays: number;
}

/**
 * Statistics for an informant, station, county, prefecture or province over any range of days,
 * from the per-informant daily rollups and the activity log (never from raw share events).
 */
export class StatisticsService {
  constructor(
    private readonly ds: DataSource,
    private readonly defaultQuota: number,
  ) {}

  /** Station ids under a region (any level) or the station itself. */
  async stationIds(kind: Exclude<ScopeKind, 'informant'>, id: number): Promise<number[]> {
    if (kind === 'station') return [id];
    const rows: Array<{ id: number }> = await this.ds.query(
      `WITH RECURSIVE tree AS (
         SELECT id FROM region WHERE id = $1
         UNION ALL SELECT r.id FROM region r JOIN tree t ON r.parent_id = t.id
       )
       SELECT s.id FROM station s WHERE s.county_id IN (SELECT id FROM tree) ORDER BY s.id`,
      [id],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Brings station_day, informant_period and station_period up to date with the daily rollups changed since the
   * last refresh (recomputing the touched groups, so running it twice is harmless). Cheap when
   * nothing changed: one index lookup. One refresher at a time (advisory lock); the others go on
   * with the summaries as they are.
   */
  async refresh(attempt = 1): Promise<void> {
    // Nothing written since the last refresh (the usual case on a read): one statement, no transaction.
    const [{ changed }]: Array<{ changed: boolean }> = await this.ds.query(
      `SELECT EXISTS (SELECT 1 FROM daily_rollup WHERE updated_at > ${WATERMARK}) AS changed`,
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
      const changed: unknown[] = await m.query(`SELECT 1 FROM daily_rollup WHERE updated_at > $1::timestamptz LIMIT 1`, [wm]);
      if (changed.length === 0) return;
      await m.query(
        `WITH c AS (SELECT DISTINCT station_id, day FROM daily_rollup WHERE updated_at > $2::timestamptz)
         INSERT INTO station_day (station_id, day, active_informants, raw_shares, effective_shares, quota_met)
         SELECT d.station_id, d.day, count(*) FILTER (WHERE d.effective_shares > 0), sum(d.raw_shares), sum(d.effective_shares),
                count(*) FILTER (WHERE d.effective_shares >= coalesce(r.daily_quota, $1))
         FROM c JOIN daily_rollup d ON d.station_id = c.station_id AND d.day = c.day
         JOIN station s ON s.id = d.station_id JOIN region r ON r.id = s.county_id
         GROUP BY d.station_id, d.day
         ON CONFLICT (station_id, day) DO UPDATE SET active_informants = excluded.active_informants,
           raw_shares = excluded.raw_shares, effective_shares = excluded.effective_shares, quota_met = excluded.quota_met`,
        [this.defaultQuota, wm],
      );
      for (const [kind, unit, span] of [['w', 'week', '7 days'], ['m', 'month', '1 month'], ['q', 'quarter', '3 months']] as const) {
        await m.query(
          `WITH c AS (SELECT DISTINCT informant_id, date_trunc('${unit}', day)::date AS start FROM daily_rollup WHERE updated_at > $1::timestamptz)
           INSERT INTO informant_period (informant_id, kind, period_start, station_id, effective_shares)
           SELECT d.informant_id, '${kind}', c.start, max(d.station_id), sum(d.effective_shares)
           FROM c JOIN daily_rollup d ON d.informant_id = c.informant_id AND d.day >= c.start AND d.day < (c.start + interval '${span}')::date
           GROUP BY d.informant_id, c.start
           ON CONFLICT (informant_id, kind, period_start) DO UPDATE SET station_id = excluded.station_id, effective_shares = excluded.effective_shares`,
          [wm],
        );
        await m.query(
          `WITH c AS (SELECT DISTINCT station_id, date_trunc('${unit}', day)::date AS start FROM daily_rollup WHERE updated_at > $1::timestamptz)
           INSERT INTO station_period (station_id, kind, period_start, active_informants)
           SELECT c.station_id, '${kind}', c.start,
                  (SELECT count(*) FROM informant_period p
                   WHERE p.station_id = c.station_id AND p.kind = '${kind}' AND p.period_start = c.start AND p.effective_shares > 0)
           FROM c
           ON CONFLICT (station_id, kind, period_start) DO UPDATE SET active_informants = excluded.active_informants`,
          [wm],
        );
      }
      await m.query(
        `UPDATE summary_watermark SET
           refreshed_to = greatest(refreshed_to, (SELECT max(updated_at) FROM daily_rollup)),
           refreshed_at = coalesce((SELECT min(xact_start) FROM pg_stat_activity
                                    WHERE datname = current_database() AND backend_type = 'client backend'
                                      AND pid <> pg_backend_pid() AND xact_start IS NOT NULL), now())
         WHERE id = 1`,
      );
    });
  }

  /** Active informants per station over the counted range, from the summaries when the range allows. */
  private async activeInformants(stationIds: number[], counted: DayRange, today: DayKey): Promise<Map<number, number>> {
    const shape = rangeShape(counted, today);
    let rows: Array<{ station_id: number; active: string }>;
    if (shape === 'day') {
      rows = await this.ds.query(
        `SELECT station_id, active_informants AS active FROM station_day WHERE station_id = ANY($1) AND day = $2`,
        [stationIds, counted.from],
      );
    } else if (shape === 'week' || shape === 'quarter' || (shape === 'months' && counted.from.slice(0, 7) === counted.to.slice(0, 7))) {
      // One whole period: 50 rows, one per station.
      rows = await this.ds.query(
        `SELECT station_id, active_informants AS active FROM station_period
         WHERE station_id = ANY($1) AND kind = $2 AND period_start = $3`,
        [stationIds, shape === 'week' ? 'w' : shape === 'quarter' ? 'q' : 'm', counted.from],
      );
    } else if (shape === 'months') {
      rows = await this.ds.query(
        `SELECT station_id, count(DISTINCT informant_id) AS active FROM informant_period
         WHERE station_id = ANY($1) AND kind = $2 AND period_start BETWEEN $3 AND $4 AND effective_shares > 0
         GROUP BY station_id`,
        [stationIds, 'm', counted.from, counted.to],
      );
    } else {
      rows = await this.ds.query(
        `SELECT station_id, count(DISTINCT informant_id) AS active FROM daily_rollup
         WHERE station_id = ANY($1) AND day BETWEEN $2 AND $3 AND effective_shares > 0 GROUP BY station_id`,
        [stationIds, counted.from, counted.to],
      );
    }
    return new Map(rows.map((r) => [r.station_id, Number(r.active)]));
  }

  /** Aggregates per station over the range (clipped to today). */
  async stationAggregates(stationIds: number[], range: DayRange, today: DayKey): Promise<Map<number, Aggregates & { name: string; status: string }>> {
    await this.refresh();
    const counted = upTo(range, today);
    const days = counted.from <= counted.to ? daysIn(counted) : 0;
    const [rows, active]: [Array<Record<string, string | number>>, Map<number, number>] = await Promise.all([
      this.ds.query(
        `WITH inf AS (
           SELECT station_id, count(*) AS informants FROM informant
           WHERE status = 'active' AND station_id = ANY($1) GROUP BY station_id
         ),
         sums AS (
           SELECT station_id, sum(raw_shares) AS raw, sum(effective_shares) AS eff, sum(quota_met) AS met
           FROM station_day WHERE station_id = ANY($1) AND day BETWEEN $2 AND $3 GROUP BY station_id
         ),
         act AS (
           SELECT station_id, count(*) AS n, sum(participants) AS p, count(*) FILTER (WHERE participants >= 50) AS n50
           FROM activity WHERE status = 'active' AND station_id = ANY($1) AND date BETWEEN $2 AND $4
           GROUP BY station_id
         )
         SELECT s.id, s.name, s.status, coalesce(inf.informants, 0) AS informants,
                coalesce(sums.raw, 0) AS raw, coalesce(sums.eff, 0) AS eff, coalesce(sums.met, 0) AS met,
                coalesce(act.n, 0) AS n, coalesce(act.p, 0) AS p, coalesce(act.n50, 0) AS n50
         FROM station s LEFT JOIN inf ON inf.station_id = s.id LEFT JOIN sums ON sums.station_id = s.id
         LEFT JOIN act ON act.station_id = s.id
         WHERE s.id = ANY($1)`,
        [stationIds, counted.from, counted.to, range.to],
      ),
      counted.from <= counted.to ? this.activeInformants(stationIds, counted, today) : Promise.resolve(new Map<number, number>()),
    ]);
    const out = new Map<number, Aggregates & { name: string; status: string }>();
    for (const r of rows) {
      out.set(Number(r.id), {
        name: String(r.name),
        status: String(r.status),
        informants: Number(r.informants),
        days,
        activeInformants: active.get(Number(r.id)) ?? 0,
        rawShares: Number(r.raw),
        effectiveShares: Number(r.eff),
        quotaMetDays: Number(r.met),
        activities: Number(r.n),
        participants: Number(r.p),
        activitiesOf50: Number(r.n50),
      });
    }
    return out;
  }

  /** Figures for any scope over a range. */
  async figures(kind: ScopeKind, id: number, range: DayRange, today: DayKey): Promise<Figures> {
    if (kind === 'informant') return this.informantFigures(id, range, today);
    const stations = await this.stationAggregates(await this.stationIds(kind, id), range, today);
    const counted = upTo(range, today);
    return figuresOf(sumAggregates([...stations.values()], counted.from <= counted.to ? daysIn(counted) : 0));
  }

  /** One row per station of the region, ranked, with the region's totals. */
  async stationTable(regionId: number, range: DayRange, today: DayKey): Promise<StationTable> {
    const level: Array<{ level: string }> = await this.ds.query(`SELECT level FROM region WHERE id = $1`, [regionId]);
    if (level.length === 0) throw new Error(`region ${regionId} not found`);
    const stations = await this.stationAggregates(await this.stationIds('county', regionId), range, today);
    const counted = upTo(range, today);
    const rows = [...stations.entries()]
      .map(([stationId, a]) => ({ stationId, name: a.name, status: a.status, figures: figuresOf(a) }))
      .sort(compareStations);
    return {
      range,
      counted,
      rows,
      total: figuresOf(sumAggregates([...stations.values()], counted.from <= counted.to ? daysIn(counted) : 0)),
    };
  }

  /** Informants of the stations ordered by effective shares over the range. */
  async topInformants(stationIds: number[], range: DayRange, limit: number): Promise<TopInformant[]> {
    const rows: Array<{ id: number; name: string; station: string; eff: string; met: string }> = await this.ds.query(
      `SELECT i.id, i.name, s.name AS station, sum(d.effective_shares) AS eff,
              count(*) FILTER (WHERE d.effective_shares >= coalesce(r.daily_quota, $4)) AS met
       FROM daily_rollup d
       JOIN informant i ON i.id = d.informant_id
       JOIN station s ON s.id = d.station_id
       JOIN region r ON r.id = s.county_id
       WHERE d.station_id = ANY($1) AND d.day BETWEEN $2 AND $3 AND i.status = 'active'
       GROUP BY i.id, i.name, s.name
       HAVING sum(d.effective_shares) > 0
       ORDER BY eff DESC, met DESC, i.name
       LIMIT $5`,
      [stationIds, range.from, range.to, this.defaultQuota, limit],
    );
    return rows.map((r) => ({ informantId: r.id, name: r.name, station: r.station, effective: Number(r.eff), quotaMetDays: Number(r.met) }));
  }

  /** Bound informants of a station under the quota on a day, with how many effective shares each still needs. */
  async underQuota(stationId: number, day: DayKey): Promise<Array<{ informantId: number; name: string; contactId: string; missing: number }>> {
    const rows: Array<{ id: number; name: string; contact: string; eff: number; quota: number }> = await this.ds.query(
      `SELECT i.id, i.name, i.wechat_contact_id AS contact, coalesce(d.effective_shares, 0) AS eff,
              coalesce(r.daily_quota, $3) AS quota
       FROM informant i
       JOIN station s ON s.id = i.station_id
       JOIN region r ON r.id = s.county_id
       LEFT JOIN daily_rollup d ON d.informant_id = i.id AND d.day = $2
       WHERE i.station_id = $1 AND i.status = 'active' AND i.wechat_contact_id IS NOT NULL
         AND coalesce(d.effective_shares, 0) < coalesce(r.daily_quota, $3)
       ORDER BY coalesce(d.effective_shares, 0), i.name`,
      [stationId, day, this.defaultQuota],
    );
    return rows.map((r) => ({ informantId: r.id, name: r.name, contactId: r.contact, missing: Number(r.quota) - Number(r.eff) }));
  }

  private async informantFigures(informantId: number, range: DayRange, today: DayKey): Promise<Figures> {
    const counted = upTo(range, today);
    const days = counted.from <= counted.to ? daysIn(counted) : 0;
    const [r]: Array<Record<string, string>> = await this.ds.query(
      `SELECT coalesce(sum(d.raw_shares), 0) AS raw, coalesce(sum(d.effective_shares), 0) AS eff,
              count(*) FILTER (WHERE d.effective_shares >= coalesce(rg.daily_quota, $4)) AS met,
              (count(*) FILTER (WHERE d.effective_shares > 0) > 0)::int AS active
       FROM informant i JOIN station s ON s.id = i.station_id JOIN region rg ON rg.id = s.county_id
       LEFT JOIN daily_rollup d ON d.informant_id = i.id AND d.day BETWEEN $2 AND $3
       WHERE i.id = $1`,
      [informantId, counted.from, counted.to, this.defaultQuota],
    );
    return figuresOf({
      informants: 1,
      days,
      activeInformants: Number(r?.active ?? 0),
      rawShares: Number(r?.raw ?? 0),
      effectiveShares: Number(r?.eff ?? 0),
      quotaMetDays: Number(r?.met ?? 0),
      activities: 0,
      participants: 0,
      activitiesOf50: 0,
    });
  }
}
