import { DateTime } from 'luxon';
import type { DataSource } from 'typeorm';
import { TIME_ZONE, daysAfter, daysIn, monthOf, upTo, weekOf, type DayKey, type DayRange } from '../domain/calendar';
import { countedRange } from '../domain/county-policy';
import { compareStations } from '../domain/figures';
import { figuresOf, sumAggregates, zeroAggregates, type Aggregates, type Figures } from '../stats/catalogue';
import { ACTIVITY_KEYS, SHARE_KEYS, activitySums, coalesced, numbersOf, shareSums } from '../stats/sql';
import { STATION_START_CTE, countedRollupSql, stationStartSql, type CountyPolicyService } from './county-policy.service';
import { inCountiesOf } from './county-scope';
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
  if (
    from.hasSame(from.startOf('quarter'), 'day') &&
    from.hasSame(to, 'quarter') &&
    (to.hasSame(to.endOf('quarter'), 'day') || r.to === today)
  ) {
    return 'quarter';
  }
  if (from.day === 1 && (to.day === to.daysInMonth || r.to === today)) return 'months';
  return 'days';
}

export type ScopeKind = 'informant' | 'station' | 'county' | 'prefecture' | 'province';

/** A station's first counted day and the part of a range it counts. */
export interface StationCounting {
  name: string;
  status: string;
  /** Station type (community, village, school …). */
  type: string;
  /** The station's first counted day (统计开始日); null when it has not started counting. */
  start: DayKey | null;
  /** The days of the range it counts; null when none. */
  counted: DayRange | null;
}

export type StationAggregates = Aggregates & { name: string; status: string; type: string; start: DayKey | null };

export interface StationRow {
  stationId: number;
  name: string;
  status: string;
  type: string;
  /** The station's first counted day (统计开始日). */
  start: DayKey | null;
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

/** One informant's line of the ledger (统计台账). */
export interface LedgerRow {
  informantId: number;
  name: string;
  /** As stored; shown masked (domain/privacy.ts maskPhone). */
  phone: string | null;
  station: string;
  /** Counted informant-days in the range. */
  days: number;
  /** Counted days with at least one effective share. */
  activeDays: number;
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
  /** 统计天数: counted days of the month (from the station's first counted day, up to today). */
  days: number;
  /** The first counted day of the month (null when none). */
  firstDay: DayKey | null;
  /** 信息员人天 of the month. */
  informantDays: number;
}

/** One content item of a period: what spreads (report content, weekly digest). */
export interface ContentRow {
  contentKey: string;
  /** The latest title seen for the item (link card or mini-program title), else its page's fetched title, if any. */
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
    /** The county policy: quotas, counting starts, counted ranges. */
    readonly policy: CountyPolicyService,
    /** Keeps the summary tables the rankings read up to date (refreshed before each read). */
    readonly summaries: SummaryRefresher = new SummaryRefresher(ds, policy),
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

  /** Each station's first counted day and its counted range within each range (CountyPolicyService.stations; one query). */
  private async countedRangesOver(stationIds: number[], ranges: DayRange[], today: DayKey): Promise<Array<Map<number, StationCounting>>> {
    const rows = [...(await this.policy.stations(stationIds))];
    return ranges.map(
      (range) =>
        new Map(
          rows.map(([id, r]) => [
            id,
            { name: r.name, status: r.status, type: r.type, start: r.start, counted: countedRange(r.start, range, today) },
          ]),
        ),
    );
  }

  /**
   * Active informants per station over each counted range, from the summaries when the range
   * allows: ranges read from the same summary (days, weeks, quarters, single months) share one query.
   */
  private async activeInformants(stationIds: number[], counted: DayRange[], today: DayKey): Promise<Array<Map<number, number>>> {
    const out = counted.map(() => new Map<number, number>());
    const bySummary = new Map<'day' | 'w' | 'q' | 'm', number[]>();
    const queries: Array<Promise<void>> = [];
    counted.forEach((c, i) => {
      if (c.from > c.to) return;
      const shape = rangeShape(c, today);
      const summary =
        shape === 'day'
          ? 'day'
          : shape === 'week'
            ? 'w'
            : shape === 'quarter'
              ? 'q'
              : shape === 'months' && c.from.slice(0, 7) === c.to.slice(0, 7)
                ? 'm'
                : null;
      if (summary) {
        bySummary.set(summary, [...(bySummary.get(summary) ?? []), i]);
        return;
      }
      queries.push(
        (async () => {
          const rows: Array<{ station_id: number; active: string }> =
            shape === 'months'
              ? await this.ds.query(
                  `SELECT station_id, count(DISTINCT informant_id) AS active FROM informant_period
                   WHERE station_id = ANY($1) AND ${inCountiesOf('', '$1')} AND kind = $2 AND period_start BETWEEN $3 AND $4 AND effective_shares > 0
                   GROUP BY station_id`,
                  [stationIds, 'm', c.from, c.to],
                )
              : await this.ds.query(
                  `WITH ${STATION_START_CTE}
                   SELECT d.station_id, count(DISTINCT d.informant_id) AS active FROM daily_rollup d JOIN station_start ss ON ss.station_id = d.station_id
                   WHERE d.station_id = ANY($1) AND ${inCountiesOf('d', '$1')} AND d.day BETWEEN $2 AND $3 AND d.effective_shares > 0 AND ${countedRollupSql('d', 'ss.start')}
                   GROUP BY d.station_id`,
                  [stationIds, c.from, c.to],
                );
          for (const r of rows) out[i].set(r.station_id, Number(r.active));
        })(),
      );
    });
    for (const [summary, indexes] of bySummary) {
      queries.push(
        (async () => {
          // One whole period per range: one row per station and range.
          const starts = [...new Set(indexes.map((i) => counted[i].from))];
          const rows: Array<{ station_id: number; start: string; active: string }> =
            summary === 'day'
              ? await this.ds.query(
                  `SELECT station_id, to_char(day, 'YYYY-MM-DD') AS start, active_informants AS active FROM station_day
                   WHERE station_id = ANY($1) AND ${inCountiesOf('', '$1')} AND day = ANY($2::date[])`,
                  [stationIds, starts],
                )
              : await this.ds.query(
                  `SELECT station_id, to_char(period_start, 'YYYY-MM-DD') AS start, active_informants AS active FROM station_period
                   WHERE station_id = ANY($1) AND ${inCountiesOf('', '$1')} AND kind = $2 AND period_start = ANY($3::date[])`,
                  [stationIds, summary, starts],
                );
          const byStart = new Map<string, typeof rows>();
          for (const r of rows) byStart.set(r.start, [...(byStart.get(r.start) ?? []), r]);
          for (const i of indexes) for (const r of byStart.get(counted[i].from) ?? []) out[i].set(r.station_id, Number(r.active));
        })(),
      );
    }
    await Promise.all(queries);
    return out;
  }

  /**
   * Aggregates per station over the range (clipped to today), over counted informant-days only:
   * the summaries hold counted days only, and the roster intervals give informants and
   * informant-days from each station's first counted day.
   */
  async stationAggregates(stationIds: number[], range: DayRange, today: DayKey): Promise<Map<number, StationAggregates>> {
    return (await this.stationAggregatesOver(stationIds, [range], today))[0];
  }

  /**
   * stationAggregates for several ranges at once (the console's weekly series): the same
   * definition, in one round trip, whatever the number of ranges.
   */
  async stationAggregatesOver(stationIds: number[], ranges: DayRange[], today: DayKey): Promise<Array<Map<number, StationAggregates>>> {
    await this.summaries.refresh();
    const counted = ranges.map((r) => upTo(r, today));
    // One round trip: the stations' starts, the sums and the active informants in parallel.
    const [stations, rows, active]: [
      Array<Map<number, StationCounting>>,
      Array<Record<string, string | number>>,
      Array<Map<number, number>>,
    ] = await Promise.all([
      this.countedRangesOver(stationIds, ranges, today),
      this.ds.query(
        `WITH ${STATION_START_CTE},
         -- The ranges: counted from, counted to (clipped to today), and the range's own end (activities).
         rg AS (SELECT x.f, x.t, x.at, x.i FROM unnest($2::date[], $3::date[], $4::date[]) WITH ORDINALITY AS x(f, t, at, i)),
         r AS (
           SELECT rg.i, ss.station_id, greatest(rg.f, ss.start) AS a, rg.t AS e FROM rg CROSS JOIN station_start ss
           WHERE ss.station_id = ANY($1) AND ss.start IS NOT NULL AND greatest(rg.f, ss.start) <= rg.t
         ),
         -- Joins and leaves per day (station_roster_day): informant-days and intervals on the roster over [a, e].
         roster AS (
           SELECT r.i, r.station_id, sum((d.joins - d.leaves) * (r.e - greatest(r.a, d.day) + 1)) AS idays,
                  coalesce(sum(d.joins - d.leaves) FILTER (WHERE d.day <= r.a), 0) + coalesce(sum(d.joins) FILTER (WHERE d.day > r.a), 0) AS intervals
           FROM r JOIN station_roster_day d ON d.station_id = r.station_id AND d.day <= r.e
           GROUP BY r.i, r.station_id
         ),
         -- An informant back on the roster within the range has two intervals in it: count them once.
         -- (One index range scan of the station's joins per station and range.)
         rejoined AS (
           SELECT r.i, r.station_id, j.n FROM r CROSS JOIN LATERAL (
             SELECT count(*) AS n FROM informant_roster x
             WHERE x.station_id = r.station_id AND x.from_day > r.a AND x.from_day <= r.e
               AND EXISTS (SELECT 1 FROM informant_roster y WHERE y.informant_id = x.informant_id AND y.station_id = x.station_id
                             AND y.from_day < x.from_day AND y.to_day >= r.a)
           ) j WHERE j.n > 0
         ),
         -- The catalogue's share and activity sums (src/stats/sql.ts), under the figures' keys.
         sums AS (
           SELECT rg.i, d.station_id, ${shareSums('stationDay')}
           FROM rg JOIN station_day d ON d.day BETWEEN rg.f AND rg.t WHERE d.station_id = ANY($1) AND ${inCountiesOf('d', '$1')} GROUP BY rg.i, d.station_id
         ),
         act AS (
           SELECT rg.i, a.station_id, ${activitySums()}
           FROM rg JOIN activity a ON a.date BETWEEN rg.f AND rg.at WHERE a.status = 'active' AND a.station_id = ANY($1)
           GROUP BY rg.i, a.station_id
         )
         SELECT rg.i, s.id, coalesce(roster.intervals, 0) - coalesce(rejoined.n, 0) AS informants, coalesce(roster.idays, 0) AS idays,
                ${coalesced('sums', SHARE_KEYS)}, ${coalesced('act', ACTIVITY_KEYS)}
         FROM rg CROSS JOIN station s
         LEFT JOIN roster ON roster.i = rg.i AND roster.station_id = s.id
         LEFT JOIN rejoined ON rejoined.i = rg.i AND rejoined.station_id = s.id
         LEFT JOIN sums ON sums.i = rg.i AND sums.station_id = s.id
         LEFT JOIN act ON act.i = rg.i AND act.station_id = s.id
         WHERE s.id = ANY($1)`,
        [stationIds, counted.map((c) => c.from), counted.map((c) => c.to), ranges.map((r) => r.to)],
      ),
      this.activeInformants(stationIds, counted, today),
    ]);
    const out = ranges.map(() => new Map<number, StationAggregates>());
    for (const r of rows) {
      const i = Number(r.i) - 1;
      const id = Number(r.id);
      const c = stations[i].get(id)!;
      out[i].set(id, {
        name: c.name,
        status: c.status,
        type: c.type,
        start: c.start,
        informants: Number(r.informants),
        days: c.counted ? daysIn(c.counted) : 0,
        firstDay: c.counted?.from ?? null,
        informantDays: Number(r.idays),
        activeInformants: active[i].get(id) ?? 0,
        ...numbersOf(r, SHARE_KEYS),
        ...numbersOf(r, ACTIVITY_KEYS),
      });
    }
    return out;
  }

  /**
   * Effective shares and active informants of the stations on each day of the range up to today,
   * days without any included: what figures() answers for each single day (station_day).
   */
  async daily(
    stationIds: number[],
    range: DayRange,
    today: DayKey,
  ): Promise<Array<{ day: DayKey; effectiveShares: number; activeInformants: number }>> {
    await this.summaries.refresh();
    const counted = upTo(range, today);
    if (counted.from > counted.to) return [];
    const rows: Array<{ day: string; eff: string; active: string }> = await this.ds.query(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, sum(effective_shares) AS eff, sum(active_informants) AS active FROM station_day
       WHERE station_id = ANY($1) AND ${inCountiesOf('', '$1')} AND day BETWEEN $2 AND $3 GROUP BY day`,
      [stationIds, counted.from, counted.to],
    );
    const byDay = new Map(rows.map((r) => [r.day, r]));
    const out: Array<{ day: DayKey; effectiveShares: number; activeInformants: number }> = [];
    for (let d = counted.from; d <= counted.to; d = daysAfter(d, 1)) {
      const r = byDay.get(d);
      out.push({ day: d, effectiveShares: Number(r?.eff ?? 0), activeInformants: Number(r?.active ?? 0) });
    }
    return out;
  }

  /** Figures for any scope over a range. */
  async figures(kind: ScopeKind, id: number, range: DayRange, today: DayKey): Promise<Figures> {
    if (kind === 'informant') return this.informantFigures(id, range, today);
    const stations = await this.stationAggregates(await this.stationIds(kind, id), range, today);
    return figuresOf(sumAggregates([...stations.values()]));
  }

  /** One row per station of the region (any level), ranked, with the region's totals. */
  async stationTable(regionId: number, range: DayRange, today: DayKey): Promise<StationTable> {
    const level: Array<{ level: string }> = await this.ds.query(`SELECT level FROM region WHERE id = $1`, [regionId]);
    if (level.length === 0) throw new Error(`region ${regionId} not found`);
    const stations = await this.stationAggregates(await this.stationIds('county', regionId), range, today);
    return this.tableOf(stations, range, today);
  }

  /** The ranked table of stations' aggregates over a range (what stationTable answers). */
  tableOf(stations: Map<number, StationAggregates>, range: DayRange, today: DayKey): StationTable {
    const counted = upTo(range, today);
    const rows = [...stations.entries()]
      .map(([stationId, a]) => ({ stationId, name: a.name, status: a.status, type: a.type, start: a.start, figures: figuresOf(a) }))
      .sort(compareStations);
    return { range, counted, rows, total: figuresOf(sumAggregates([...stations.values()])) };
  }

  /**
   * Informants of the stations ordered by effective shares over the range (counted days only;
   * an informant disabled since keeps the shares of the days they were on the roster).
   */
  async topInformants(stationIds: number[], range: DayRange, limit: number): Promise<TopInformant[]> {
    const rows: Array<{ id: number; name: string; station: string; eff: string; met: string }> = await this.ds.query(
      `WITH ${STATION_START_CTE}
       SELECT i.id, i.name, s.name AS station, sum(d.effective_shares) AS eff,
              count(*) FILTER (WHERE d.effective_shares >= ${this.policy.quotaSql('r')}) AS met
       FROM daily_rollup d
       JOIN informant i ON i.id = d.informant_id
       JOIN station s ON s.id = d.station_id
       JOIN region r ON r.id = s.county_id
       JOIN station_start ss ON ss.station_id = d.station_id
       WHERE d.station_id = ANY($1) AND ${inCountiesOf('d', '$1')} AND d.day BETWEEN $2 AND $3 AND ${countedRollupSql('d', 'ss.start')}
       GROUP BY i.id, i.name, s.name
       HAVING sum(d.effective_shares) > 0
       ORDER BY eff DESC, met DESC, i.name
       LIMIT $4`,
      [stationIds, range.from, range.to, limit],
    );
    return rows.map((r) => ({
      informantId: r.id,
      name: r.name,
      station: r.station,
      effective: Number(r.eff),
      quotaMetDays: Number(r.met),
    }));
  }

  /**
   * The informants' ledger (统计台账) of the stations over the range: every informant with at least
   * one counted informant-day, with their counted days, active days, effective shares and
   * quota-met days; ordered by station, then name (pinyin order).
   */
  async informantLedger(stationIds: number[], range: DayRange, today: DayKey): Promise<LedgerRow[]> {
    const counted = upTo(range, today);
    if (counted.from > counted.to) return [];
    await this.summaries.refresh();
    // Whole weeks, months and quarters from informant_period (counted days only); other ranges from the rollups.
    const shape = rangeShape(counted, today);
    const fromSummary = shape === 'week' || shape === 'quarter' || shape === 'months';
    const sums = fromSummary
      ? `SELECT informant_id, sum(effective_shares) AS eff, sum(active_days) AS active, sum(quota_met_days) AS met
         FROM informant_period WHERE station_id = ANY($1) AND ${inCountiesOf('', '$1')} AND kind = $4 AND period_start BETWEEN $2 AND $3 GROUP BY informant_id`
      : `SELECT d.informant_id, sum(d.effective_shares) AS eff, count(*) FILTER (WHERE d.effective_shares > 0) AS active,
                count(*) FILTER (WHERE d.effective_shares >= ${this.policy.quotaSql('rg')}) AS met
         FROM daily_rollup d JOIN station s ON s.id = d.station_id JOIN region rg ON rg.id = s.county_id
         JOIN station_start ss ON ss.station_id = d.station_id
         WHERE d.station_id = ANY($1) AND ${inCountiesOf('d', '$1')} AND d.day BETWEEN $2 AND $3 AND ${countedRollupSql('d', 'ss.start')} GROUP BY d.informant_id`;
    const rows: Array<{
      id: number;
      name: string;
      phone: string | null;
      station: string;
      days: string;
      active: string | null;
      eff: string | null;
      met: string | null;
    }> = await this.ds.query(
      `WITH ${STATION_START_CTE},
         iv AS (
           SELECT ir.informant_id, ir.station_id, greatest(ir.from_day, ${stationStartSql('s')}, $2::date) AS a,
                  least(coalesce(ir.to_day, $3::date), $3::date) AS b
           FROM informant_roster ir JOIN station s ON s.id = ir.station_id
           WHERE ir.station_id = ANY($1) AND ${inCountiesOf('ir', '$1')} AND ir.from_day <= $3::date AND (ir.to_day IS NULL OR ir.to_day >= $2::date)
         ),
         days AS (SELECT informant_id, station_id, sum(b - a + 1) AS days FROM iv WHERE a <= b GROUP BY informant_id, station_id),
         sums AS (${sums})
         SELECT i.id, i.name, i.phone, s.name AS station, days.days, sums.active, sums.eff, sums.met
         FROM days JOIN informant i ON i.id = days.informant_id JOIN station s ON s.id = days.station_id
         LEFT JOIN sums ON sums.informant_id = days.informant_id`,
      [stationIds, counted.from, counted.to, ...(fromSummary ? [shape === 'week' ? 'w' : shape === 'quarter' ? 'q' : 'm'] : [])],
    );
    const zh = (a: string, b: string) => a.localeCompare(b, 'zh-Hans-CN');
    rows.sort((a, b) => zh(a.station, b.station) || zh(a.name, b.name) || a.id - b.id);
    return rows.map((r) => ({
      informantId: r.id,
      name: r.name,
      phone: r.phone,
      station: r.station,
      days: Number(r.days),
      activeDays: Number(r.active ?? 0),
      effective: Number(r.eff ?? 0),
      quotaMetDays: Number(r.met ?? 0),
    }));
  }

  /** Informants per station whose first day on the roster falls in the range (up to today). */
  async newInformants(stationIds: number[], range: DayRange, today: DayKey): Promise<Map<number, number>> {
    const counted = upTo(range, today);
    const rows: Array<{ station_id: number; n: string }> = await this.ds.query(
      `SELECT first.station_id, count(*) AS n FROM (
         SELECT DISTINCT ON (informant_id) informant_id, station_id, from_day FROM informant_roster
         WHERE station_id = ANY($1) AND ${inCountiesOf('', '$1')} ORDER BY informant_id, from_day
       ) first
       WHERE first.from_day BETWEEN $2 AND $3 GROUP BY first.station_id`,
      [stationIds, counted.from, counted.to],
    );
    return new Map(rows.map((r) => [r.station_id, Number(r.n)]));
  }

  /** Bound informants of a station under the quota on a day, with how many effective shares each still needs. */
  async underQuota(
    stationId: number,
    day: DayKey,
  ): Promise<Array<{ informantId: number; name: string; contactId: string; missing: number }>> {
    const rows: Array<{ id: number; name: string; contact: string; eff: number; quota: number }> = await this.ds.query(
      `SELECT i.id, i.name, i.wechat_contact_id AS contact, coalesce(d.effective_shares, 0) AS eff,
              ${this.policy.quotaSql('r')} AS quota
       FROM informant i
       JOIN station s ON s.id = i.station_id
       JOIN region r ON r.id = s.county_id
       LEFT JOIN daily_rollup d ON d.informant_id = i.id AND d.day = $2
       WHERE i.station_id = $1 AND i.status = 'active' AND i.wechat_contact_id IS NOT NULL
         AND coalesce(d.effective_shares, 0) < ${this.policy.quotaSql('r')}
       ORDER BY coalesce(d.effective_shares, 0), i.name`,
      [stationId, day],
    );
    return rows.map((r) => ({ informantId: r.id, name: r.name, contactId: r.contact, missing: Number(r.quota) - Number(r.eff) }));
  }

  /** One informant's figures over the range: their counted informant-days only. */
  private async informantFigures(informantId: number, range: DayRange, today: DayKey): Promise<Figures> {
    const counted = upTo(range, today);
    const [r]: Array<Record<string, string | null>> = await this.ds.query(
      `WITH days AS (
         SELECT greatest(ir.from_day, ${stationStartSql('s')}, $2::date) AS a, least(coalesce(ir.to_day, $3::date), $3::date) AS b
         FROM informant_roster ir JOIN station s ON s.id = ir.station_id WHERE ir.informant_id = $1
       ),
       ${STATION_START_CTE},
       sums AS (
         SELECT ${shareSums('rollup', { quota: this.policy.quotaSql('rg') })},
                (count(*) FILTER (WHERE d.effective_shares > 0) > 0)::int AS active
         FROM daily_rollup d JOIN station s ON s.id = d.station_id JOIN region rg ON rg.id = s.county_id
         JOIN station_start ss ON ss.station_id = d.station_id
         WHERE d.informant_id = $1 AND d.day BETWEEN $2 AND $3 AND ${countedRollupSql('d', 'ss.start')}
       )
       SELECT sums.*, (SELECT coalesce(sum(b - a + 1) FILTER (WHERE a <= b), 0) FROM days) AS idays,
              (SELECT to_char(min(a) FILTER (WHERE a <= b), 'YYYY-MM-DD') FROM days) AS first
       FROM sums`,
      [informantId, counted.from, counted.to],
    );
    const informantDays = Number(r?.idays ?? 0);
    // An informant has no activities of their own: the activity sums stay 0.
    return figuresOf({
      ...zeroAggregates(),
      informants: informantDays > 0 ? 1 : 0,
      days: r?.first ? daysIn({ from: r.first, to: counted.to }) : 0,
      firstDay: r?.first ?? null,
      informantDays,
      activeInformants: Number(r?.active ?? 0),
      ...numbersOf(r, SHARE_KEYS),
    });
  }

  /** The daily quota of a station's county (CountyPolicyService.quotaOfStation). */
  quotaOfStation(stationId: number): Promise<number> {
    return this.policy.quotaOfStation(stationId);
  }

  /**
   * An informant's today, week so far and month so far (#我的). The week's and month's days are
   * the informant's counted days (on the roster, station counting), and their shares those days'.
   */
  async informantSummary(informantId: number, today: DayKey): Promise<InformantSummary | null> {
    const info: Array<{ name: string; station_id: number; station: string }> = await this.ds.query(
      `SELECT i.name, i.station_id, s.name AS station FROM informant i JOIN station s ON s.id = i.station_id WHERE i.id = $1`,
      [informantId],
    );
    if (info.length === 0) return null;
    const quota = await this.quotaOfStation(info[0].station_id);
    const week = upTo(weekOf(today), today);
    const month = upTo(monthOf(today), today);
    const [r]: Array<Record<string, string>> = await this.ds.query(
      `SELECT coalesce(sum(effective_shares) FILTER (WHERE day = $2), 0) AS today_eff,
              coalesce(sum(raw_shares) FILTER (WHERE day = $2), 0) AS today_raw
       FROM daily_rollup WHERE informant_id = $1 AND day = $2`,
      [informantId, today],
    );
    const [w, m] = await Promise.all([this.informantFigures(informantId, week, today), this.informantFigures(informantId, month, today)]);
    return {
      informantId,
      name: info[0].name,
      stationName: info[0].station,
      quota,
      today: { effective: Number(r.today_eff), raw: Number(r.today_raw) },
      week: { effective: w.effectiveShares, days: w.informantDays },
      month: { effective: m.effectiveShares, days: m.informantDays, quotaMetDays: m.quotaMetDays },
    };
  }

  /** The station's informants ordered by effective shares over the range (ties by name). */
  async stationRanking(stationId: number, range: DayRange, limit = 10): Promise<StationRanking> {
    const quota = await this.quotaOfStation(stationId);
    const rows: Array<{ id: number; name: string; eff: string; raw: string; met: string }> = await this.ds.query(
      // The same counted informant-days as every other figure (docs/统计口径.md): the informants on
      // the station's roster during the range since its counting start, their counted days only.
      `WITH ${STATION_START_CTE},
       roster AS (
         SELECT DISTINCT ir.informant_id FROM informant_roster ir JOIN station_start ss ON ss.station_id = ir.station_id
         WHERE ir.station_id = $1 AND ss.start IS NOT NULL AND ss.start <= $3::date
           AND ir.from_day <= $3::date AND (ir.to_day IS NULL OR ir.to_day >= greatest($2::date, ss.start))
       )
       SELECT i.id, i.name, coalesce(sum(r.effective_shares), 0) AS eff, coalesce(sum(r.raw_shares), 0) AS raw,
              count(r.day) FILTER (WHERE r.effective_shares >= $4) AS met
       FROM roster JOIN informant i ON i.id = roster.informant_id
       JOIN station_start ss ON ss.station_id = $1
       LEFT JOIN daily_rollup r ON r.informant_id = i.id AND r.station_id = $1 AND r.day BETWEEN $2 AND $3
                               AND ${countedRollupSql('r', 'ss.start')}
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
    const resources = await this.resources([stationId], month);
    const res = resources.get(stationId) ?? { bulletinChanges: 0, screenHours: 0 };
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
      bulletinChanges: res.bulletinChanges,
      screenHours: res.screenHours,
      days: f.days,
      firstDay: f.firstDay,
      informantDays: f.informantDays,
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
    const rows: Array<{
      content_key: string;
      title: string | null;
      url: string;
      informants: string;
      groups: string;
      raw: string;
      eff: string;
    }> = await this.ds.query(
      `SELECT e.content_key,
                -- A card's title; for an item only ever shared as a bare URL, its page's title (content_title).
                coalesce((array_agg(e.title ORDER BY e.sent_at DESC) FILTER (WHERE coalesce(e.title, '') <> ''))[1],
                         (SELECT t.title FROM content_title t WHERE t.content_key = e.content_key)) AS title,
                (array_agg(e.url ORDER BY e.sent_at, e.id))[1] AS url,
                count(DISTINCT e.informant_id) AS informants, count(DISTINCT e.room_id) AS groups,
                count(*) AS raw, count(*) FILTER (WHERE e.effective) AS eff
         FROM share_event e
         WHERE e.station_id = ANY($1) AND ${inCountiesOf('e', '$1')} AND e.day BETWEEN $2 AND $3 AND e.informant_id IS NOT NULL
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

  /** Bulletin-board changes and screen hours per station logged for days of the range. */
  async resources(stationIds: number[], range: DayRange): Promise<Map<number, { bulletinChanges: number; screenHours: number }>> {
    const rows: Array<{ station_id: number; bulletins: string; screen: string }> = await this.ds.query(
      `SELECT station_id, count(*) FILTER (WHERE kind = 'bulletin') AS bulletins, coalesce(sum(hours) FILTER (WHERE kind = 'screen'), 0) AS screen
       FROM resource_log WHERE station_id = ANY($1) AND date BETWEEN $2 AND $3 GROUP BY station_id`,
      [stationIds, range.from, range.to],
    );
    return new Map(rows.map((r) => [r.station_id, { bulletinChanges: Number(r.bulletins), screenHours: Number(r.screen) }]));
  }
}
