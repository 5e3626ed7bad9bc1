import { DateTime } from 'luxon';
import type { DataSource } from 'typeorm';
import { TIME_ZONE, daysIn, monthOf, upTo, weekOf, type DayKey, type DayRange } from '../domain/calendar';
import { TARGETS, compareStations, figuresOf, sumAggregates, type Aggregates, type Figures } from '../domain/figures';
import { SummaryRefresher } from './summaries.service';


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

export interface InformantSummary {
  informantId: number;
  name: string;
  stationName: string;
  quota: number;
  today: { effective: number; raw: number };
  week: { effective: number; days: number };
  month: { effective: number; days: number; quotaMetDays: number };
}

export interface RankingRow {
  informantId: number;
  name: string;
  effective: number;
  raw: number;
}

export interface StationRanking {
  stationName: string;
  quota: number;
  range: DayRange;
  rows: RankingRow[];
  /** Roster size (active informants). */
  informants: number;
  /** Informants with at least `quota` effective shares (meaningful for a single day). */
  quotaMet: number;
}

export interface StationMonth {
  stationName: string;
  month: DayRange;
  /** The days counted: the whole month, or up to today for the current month. */
  counted: DayRange;
  quota: number;
  informants: number;
  activeInformants: number;
  activeRate: number;
  effectiveShares: number;
  /** Effective shares per informant-day (vs the quota). */
  perInformantDay: number;
  /** Share of informant-days with the quota met. */
  quotaMetRate: number;
  activities: number;
  participants: number;
  /** Activities with at least 50 participants. */
  activitiesOf50: number;
  bulletinChanges: number;
  screenHours: number;
}

/** One content item of a period: what spreads (report content, weekly digest). */
export interface ContentRow {
  contentKey: string;
  /** The latest title seen for the item (link card or mini-program title), if any. */
  title: string | null;
  /** The first URL the item was shared with. */
  url: string;
  /** Informants who shared it. */
  informants: number;
  /** Groups it was shared into. */
  groups: number;
  rawShares: number;
  effectiveShares: number;
}

/**
 * Statistics for an informant, station, county, prefecture or province over any range of days,
 * from the per-informant daily rollups and the activity log (never from raw share events).
 */
export class StatisticsService {
  constructor(
    private readonly ds: DataSource,
    private readonly defaultQuota: number,
    /** Keeps the summary tables the rankings read up to date (refreshed before each read). */
    readonly summaries: SummaryRefresher = new SummaryRefresher(ds, defaultQuota),
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
    await this.summaries.refresh();
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
           SELECT station_id, count(*) AS n, sum(participants) AS p, count(*) FILTER (WHERE participants >= $5) AS n50
           FROM activity WHERE status = 'active' AND station_id = ANY($1) AND date BETWEEN $2 AND $4
           GROUP BY station_id
         )
         SELECT s.id, s.name, s.status, coalesce(inf.informants, 0) AS informants,
                coalesce(sums.raw, 0) AS raw, coalesce(sums.eff, 0) AS eff, coalesce(sums.met, 0) AS met,
                coalesce(act.n, 0) AS n, coalesce(act.p, 0) AS p, coalesce(act.n50, 0) AS n50
         FROM station s LEFT JOIN inf ON inf.station_id = s.id LEFT JOIN sums ON sums.station_id = s.id
         LEFT JOIN act ON act.station_id = s.id
         WHERE s.id = ANY($1)`,
        [stationIds, counted.from, counted.to, range.to, TARGETS.participantsPerActivity],
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

  /** The daily quota of a station's county (DAILY_SHARE_QUOTA unless the county set its own). */
  async quotaOfStation(stationId: number): Promise<number> {
    const rows: Array<{ q: number | null }> = await this.ds.query(
      `SELECT r.daily_quota AS q FROM station s JOIN region r ON r.id = s.county_id WHERE s.id = $1`,
      [stationId],
    );
    return rows[0]?.q ?? this.defaultQuota;
  }

  async informantSummary(informantId: number, today: DayKey): Promise<InformantSummary | null> {
    const info: Array<{ name: string; station_id: number; station: string }> = await this.ds.query(
      `SELECT i.name, i.station_id, s.name AS station FROM informant i JOIN station s ON s.id = i.station_id WHERE i.id = $1`,
      [informantId],
    );
    if (info.length === 0) return null;
    const quota = await this.quotaOfStation(info[0].station_id);
    const week = upTo(weekOf(today), today);
    const month = upTo(monthOf(today), today);
    const from = week.from < month.from ? week.from : month.from;
    const [r]: Array<Record<string, string>> = await this.ds.query(
      `SELECT
         coalesce(sum(effective_shares) FILTER (WHERE day = $2), 0) AS today_eff,
         coalesce(sum(raw_shares) FILTER (WHERE day = $2), 0) AS today_raw,
         coalesce(sum(effective_shares) FILTER (WHERE day BETWEEN $3 AND $2), 0) AS week_eff,
         coalesce(sum(effective_shares) FILTER (WHERE day BETWEEN $4 AND $2), 0) AS month_eff,
         count(*) FILTER (WHERE day BETWEEN $4 AND $2 AND effective_shares >= $5) AS month_met
       FROM daily_rollup WHERE informant_id = $1 AND day BETWEEN $6 AND $2`,
      [informantId, today, week.from, month.from, quota, from],
    );
    return {
      informantId,
      name: info[0].name,
      stationName: info[0].station,
      quota,
      today: { effective: Number(r.today_eff), raw: Number(r.today_raw) },
      week: { effective: Number(r.week_eff), days: daysIn(week) },
      month: { effective: Number(r.month_eff), days: daysIn(month), quotaMetDays: Number(r.month_met) },
    };
  }

  /** The station's informants ordered by effective shares over the range (ties by name). */
  async stationRanking(stationId: number, range: DayRange, limit = 10): Promise<StationRanking> {
    const quota = await this.quotaOfStation(stationId);
    const rows: Array<{ id: number; name: string; eff: string; raw: string; met: string }> = await this.ds.query(
      `SELECT i.id, i.name, coalesce(sum(r.effective_shares), 0) AS eff, coalesce(sum(r.raw_shares), 0) AS raw,
              count(r.day) FILTER (WHERE r.effective_shares >= $4) AS met
       FROM informant i
       LEFT JOIN daily_rollup r ON r.informant_id = i.id AND r.day BETWEEN $2 AND $3
       WHERE i.station_id = $1 AND i.status = 'active'
       GROUP BY i.id, i.name
       ORDER BY eff DESC, i.name`,
      [stationId, range.from, range.to, quota],
    );
    const [station]: Array<{ name: string }> = await this.ds.query(`SELECT name FROM station WHERE id = $1`, [stationId]);
    return {
      stationName: station?.name ?? '',
      quota,
      range,
      informants: rows.length,
      quotaMet: rows.filter((r) => Number(r.met) > 0 && range.from === range.to).length,
      rows: rows
        .filter((r) => Number(r.eff) > 0)
        .slice(0, limit)
        .map((r) => ({ informantId: r.id, name: r.name, effective: Number(r.eff), raw: Number(r.raw) })),
    };
  }

  /** A station's month so far (or a whole past month), against its targets. */
  async stationMonth(stationId: number, month: DayRange, today: DayKey): Promise<StationMonth> {
    const quota = await this.quotaOfStation(stationId);
    const counted = upTo(month, today);
    const a = (await this.stationAggregates([stationId], month, today)).get(stationId);
    if (!a) throw new Error(`station ${stationId} not found`);
    const f = figuresOf(a);
    const [res]: Array<{ bulletins: string; screen: string }> = await this.ds.query(
      `SELECT count(*) FILTER (WHERE kind = 'bulletin') AS bulletins, coalesce(sum(hours) FILTER (WHERE kind = 'screen'), 0) AS screen
       FROM resource_log WHERE station_id = $1 AND date BETWEEN $2 AND $3`,
      [stationId, month.from, month.to],
    );
    return {
      stationName: a.name,
      month,
      counted,
      quota,
      informants: f.informants,
      activeInformants: f.activeInformants,
      activeRate: f.activeRate,
      effectiveShares: f.effectiveShares,
      perInformantDay: f.perInformantDay,
      quotaMetRate: f.quotaMetRate,
      activities: f.activities,
      participants: f.participants,
      activitiesOf50: f.activitiesOf50,
      bulletinChanges: Number(res.bulletins),
      screenHours: Number(res.screen),
    };
  }

  /**
   * The most shared content items of the stations' groups over the range (clipped to today):
   * informants' shares only (an unconfirmed member's count once they bind), ordered by effective
   * shares, then informants, raw shares and key.
   */
  async topContent(stationIds: number[], range: DayRange, today: DayKey, limit: number): Promise<ContentRow[]> {
    const counted = upTo(range, today);
    if (counted.from > counted.to || stationIds.length === 0) return [];
    const rows: Array<{ content_key: string; title: string | null; url: string; informants: string; groups: string; raw: string; eff: string }> =
      await this.ds.query(
        `SELECT e.content_key,
                (array_agg(e.title ORDER BY e.sent_at DESC) FILTER (WHERE coalesce(e.title, '') <> ''))[1] AS title,
                (array_agg(e.url ORDER BY e.sent_at, e.id))[1] AS url,
                count(DISTINCT e.informant_id) AS informants, count(DISTINCT e.room_id) AS groups,
                count(*) AS raw, count(*) FILTER (WHERE e.effective) AS eff
         FROM share_event e
         WHERE e.station_id = ANY($1) AND e.day BETWEEN $2 AND $3 AND e.informant_id IS NOT NULL
         GROUP BY e.content_key
         ORDER BY eff DESC, informants DESC, raw DESC, e.content_key
         LIMIT $4`,
        [stationIds, counted.from, counted.to, limit],
      );
    return rows.map((r) => ({
      contentKey: r.content_key,
      title: r.title,
      url: r.url,
      informants: Number(r.informants),
      groups: Number(r.groups),
      rawShares: Number(r.raw),
      effectiveShares: Number(r.eff),
    }));
  }
}
