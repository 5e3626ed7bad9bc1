import type { DataSource } from 'typeorm';
import { daysIn, monthOf, upTo, weekOf, type DayKey, type DayRange } from '../domain/calendar';
import { figuresOf, TARGETS } from '../domain/figures';
import type { StatisticsService } from './statistics.service';

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

/** Targets a station is measured against (DOMAIN.md, seeds). */
export const STATION_TARGETS = TARGETS;

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

/** Figures computed from the per-informant daily rollups (never by scanning share events). */
export class StatsService {
  constructor(
    private readonly ds: DataSource,
    private readonly defaultQuota: number,
    private readonly statistics: StatisticsService,
  ) {}

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

  /** A station's month so far (or a whole past month), against its targets (figures from StatisticsService). */
  async stationMonth(stationId: number, month: DayRange, today: DayKey): Promise<StationMonth> {
    const quota = await this.quotaOfStation(stationId);
    const counted = upTo(month, today);
    const a = (await this.statistics.stationAggregates([stationId], month, today)).get(stationId);
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
}
