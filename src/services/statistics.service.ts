import type { DataSource } from 'typeorm';
import { upTo, daysIn, type DayKey, type DayRange } from '../domain/calendar';
import { compareStations, figuresOf, sumAggregates, type Aggregates, type Figures } from '../domain/figures';

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

  get dataSource(): DataSource {
    return this.ds;
  }

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

  /** Aggregates per station over the range (clipped to today). */
  async stationAggregates(stationIds: number[], range: DayRange, today: DayKey): Promise<Map<number, Aggregates & { name: string; status: string }>> {
    const counted = upTo(range, today);
    const days = counted.from <= counted.to ? daysIn(counted) : 0;
    const rows: Array<Record<string, string | number>> = await this.ds.query(
      `WITH st AS (
         SELECT s.id, s.name, s.status, coalesce(r.daily_quota, $5) AS quota
         FROM station s JOIN region r ON r.id = s.county_id WHERE s.id = ANY($1)
       ),
       inf AS (
         SELECT station_id, count(*) AS informants FROM informant
         WHERE status = 'active' AND station_id = ANY($1) GROUP BY station_id
       ),
       roll AS (
         SELECT d.station_id,
                count(DISTINCT d.informant_id) FILTER (WHERE d.effective_shares > 0) AS active,
                sum(d.raw_shares) AS raw, sum(d.effective_shares) AS eff,
                count(*) FILTER (WHERE d.effective_shares >= st.quota) AS met
         FROM daily_rollup d JOIN st ON st.id = d.station_id
         WHERE d.day BETWEEN $2 AND $3
         GROUP BY d.station_id
       ),
       act AS (
         SELECT station_id, count(*) AS n, sum(participants) AS p, count(*) FILTER (WHERE participants >= 50) AS n50
         FROM activity WHERE status = 'active' AND station_id = ANY($1) AND date BETWEEN $2 AND $4
         GROUP BY station_id
       )
       SELECT st.id, st.name, st.status, coalesce(inf.informants, 0) AS informants,
              coalesce(roll.active, 0) AS active, coalesce(roll.raw, 0) AS raw, coalesce(roll.eff, 0) AS eff,
              coalesce(roll.met, 0) AS met, coalesce(act.n, 0) AS n, coalesce(act.p, 0) AS p, coalesce(act.n50, 0) AS n50
       FROM st LEFT JOIN inf ON inf.station_id = st.id LEFT JOIN roll ON roll.station_id = st.id
       LEFT JOIN act ON act.station_id = st.id`,
      [stationIds, counted.from, counted.to, range.to, this.defaultQuota],
    );
    const out = new Map<number, Aggregates & { name: string; status: string }>();
    for (const r of rows) {
      out.set(Number(r.id), {
        name: String(r.name),
        status: String(r.status),
        informants: Number(r.informants),
        days,
        activeInformants: Number(r.active),
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
