/**
 * The figure catalogue: every figure kepubot reports, one entry each (docs/统计口径.md 指标).
 * An entry says what the figure is called, how it is computed (an aggregate over counted
 * informant-days and how stations' values combine, or a ratio of two aggregates), how it is shown,
 * what it is measured against and what it means. Everything else is derived from here: the
 * `Aggregates`/`Figures` types, figuresOf/sumAggregates, the statistics queries' sums
 * (src/stats/sql.ts), the API's zod schema (and so OpenAPI and the web's types), the .xlsx
 * columns and their 口径说明 sheet, the web's labels (web/src/figures.ts) and the figures table of
 * docs/统计口径.md (`npm run docs:figures`).
 *
 * Adding a figure: its entry here and its test. A ratio of aggregates the catalogue already has
 * needs nothing else; an aggregate names its SQL over the summaries and the rollups (`sql`).
 */

import type { DayKey } from '../domain/calendar';

/** The station targets of the policies (docs/统计口径.md e站指标). */
export const TARGETS = {
  informants: 500,
  activitiesPerMonth: 1,
  participantsPerActivity: 50,
  bulletinMonths: 2,
  screenHoursPerDay: 5,
} as const;

/** How a figure is shown: a whole number, a fraction shown as a percentage, a number with two decimals, a day. */
export type FigureFormat = 'integer' | 'percent' | 'decimal' | 'day';

/** The format's Excel number format (undefined: General). */
export const EXCEL_FORMAT: Record<FigureFormat, string | undefined> = {
  integer: undefined,
  percent: '0.0%',
  decimal: '0.00',
  day: undefined,
};

/**
 * What a figure is measured against: per station (× the stations a row covers), per station and
 * month counted, a fixed value, or the county's daily quota (DAILY_SHARE_QUOTA or the county's own).
 */
export type FigureTarget =
  { kind: 'perStation'; value: number } | { kind: 'perStationMonth'; value: number } | { kind: 'fixed'; value: number } | { kind: 'quota' };

/** The SQL context of an aggregate's expression: the quota of the rollup row's county, as SQL. */
export interface SqlContext {
  quota: string;
}

/**
 * Where an aggregate comes from:
 * - `shares`: a sum over counted informant-days, as SQL over a station_day row `d` (the summary,
 *   stations' reads) and over a daily_rollup row `d` (one informant's reads): src/stats/sql.ts;
 * - `activities`: over the stations' logged activities `a` (status active) of the range;
 * - `roster`, `calendar`, `active`: computed by the statistics service from the roster
 *   intervals, the counted range, the distinct informants with a share (no per-figure SQL).
 */
export type AggregateSource =
  | { from: 'shares'; stationDay: string; rollup: (c: SqlContext) => string }
  | { from: 'activities'; activity: string }
  | { from: 'roster' | 'calendar' | 'active' };

interface Common {
  /** The Chinese name (the .xlsx header, the API's title, the page's label). */
  label: string;
  /** A shorter name for narrow table columns and cards (default: label). */
  short?: string;
  format: FigureFormat;
  /** The unit of a count (人, 条 …); none for a rate or a day. */
  unit?: string;
  /** The 口径 text (口径说明 sheet, docs/统计口径.md, OpenAPI description). */
  definition: string;
  target?: FigureTarget;
  /** The .xlsx station table shows it, in catalogue order, with this column width. */
  table?: { width: number };
  /**
   * The console shows it: a column of the station tables (overview ranking, station list) of
   * this width in pixels, and/or a card on the overview (web/src/figures.ts carries both).
   */
  console?: { column?: number; card?: boolean };
}

export interface AggregateEntry extends Common {
  /** How the values of disjoint sets (stations of a county) combine. */
  combine: 'sum' | 'max' | 'min';
  sql: AggregateSource;
}

export interface RatioEntry extends Common {
  /** numerator ÷ denominator (0 when the denominator is 0), both aggregates of the catalogue. */
  ratio: { numerator: string; denominator: string };
}

export type FigureEntry = AggregateEntry | RatioEntry;

/** Every figure, in the order the .xlsx station table shows those it shows. */
export const FIGURES = {
  days: {
    label: '统计天数',
    format: 'integer',
    unit: '天',
    combine: 'max',
    sql: { from: 'calendar' },
    definition: '本期从首个统计日到统计截至日（本期含今天时截至今天）的天数。',
    table: { width: 8 },
  },
  informants: {
    label: '信息员',
    format: 'integer',
    unit: '人',
    combine: 'sum',
    sql: { from: 'roster' },
    definition: '本期在册的信息员人数：本期至少有 1 个统计日在名册上的信息员（本期内停用的也计入；以往统计期按当时的名册）。',
    target: { kind: 'perStation', value: TARGETS.informants },
    table: { width: 8 },
    console: { column: 80, card: true },
  },
  activeInformants: {
    label: '活跃信息员',
    format: 'integer',
    unit: '人',
    combine: 'sum',
    sql: { from: 'active' },
    definition: '本期在册信息员中，在统计日至少有 1 条有效转发的人数。',
    table: { width: 9 },
  },
  activeRate: {
    label: '活跃率',
    format: 'percent',
    ratio: { numerator: 'activeInformants', denominator: 'informants' },
    definition: '活跃信息员 ÷ 信息员。',
    table: { width: 8 },
  },
  effectiveShares: {
    label: '有效转发',
    format: 'integer',
    unit: '条',
    combine: 'sum',
    sql: { from: 'shares', stationDay: 'sum(d.effective_shares)', rollup: () => 'sum(d.effective_shares)' },
    definition: '统计日内的有效转发条数（同一信息员、同一内容、同一天只算 1 条）。',
    table: { width: 9 },
    console: { column: 90 },
  },
  informantDays: {
    label: '信息员人天',
    format: 'integer',
    unit: '人天',
    combine: 'sum',
    sql: { from: 'roster' },
    definition: '每位信息员本期在册且e站已开始统计的天数之和。',
    table: { width: 10 },
  },
  perInformantDay: {
    label: '人均每天有效转发',
    short: '人均日转发',
    format: 'decimal',
    unit: '条',
    ratio: { numerator: 'effectiveShares', denominator: 'informantDays' },
    definition: '有效转发 ÷ 信息员人天。',
    target: { kind: 'quota' },
    table: { width: 10 },
    console: { column: 100, card: true },
  },
  quotaMetRate: {
    label: '达标率',
    format: 'percent',
    ratio: { numerator: 'quotaMetDays', denominator: 'informantDays' },
    definition: '有效转发达到每日要求的人天数 ÷ 信息员人天。',
    table: { width: 8 },
    console: { column: 80, card: true },
  },
  activities: {
    label: '活动次数',
    short: '活动',
    format: 'integer',
    unit: '次',
    combine: 'sum',
    sql: { from: 'activities', activity: 'count(*)' },
    definition: '本期登记且未撤销的科普活动次数。',
    target: { kind: 'perStationMonth', value: TARGETS.activitiesPerMonth },
    table: { width: 8 },
    console: { column: 60, card: true },
  },
  activitiesOf50: {
    label: `${TARGETS.participantsPerActivity}人以上活动`,
    format: 'integer',
    unit: '次',
    combine: 'sum',
    sql: { from: 'activities', activity: `count(*) FILTER (WHERE a.participants >= ${TARGETS.participantsPerActivity})` },
    definition: `参加人数 ≥ ${TARGETS.participantsPerActivity} 的活动次数。`,
    target: { kind: 'perStationMonth', value: TARGETS.activitiesPerMonth },
    table: { width: 9 },
  },
  participants: {
    label: '参加人次',
    format: 'integer',
    unit: '人次',
    combine: 'sum',
    sql: { from: 'activities', activity: 'sum(a.participants)' },
    definition: '本期活动参加人数之和。',
    table: { width: 8 },
    console: { card: true },
  },
  firstDay: {
    label: '首个统计日',
    format: 'day',
    combine: 'min',
    sql: { from: 'calendar' },
    definition: '本期第一个统计日：统计期第一天与e站统计开始日中较晚的一天；旗县区及以上为各站中最早的一天。本期没有统计日时为空。',
  },
  rawShares: {
    label: '原始转发',
    format: 'integer',
    unit: '条',
    combine: 'sum',
    sql: { from: 'shares', stationDay: 'sum(d.raw_shares)', rollup: () => 'sum(d.raw_shares)' },
    definition: '统计日内的原始转发条数（每条消息里每个不同内容记 1 条）。',
  },
  quotaMetDays: {
    label: '达标人天',
    format: 'integer',
    unit: '人天',
    combine: 'sum',
    sql: {
      from: 'shares',
      stationDay: 'sum(d.quota_met)',
      rollup: (c) => `count(*) FILTER (WHERE d.effective_shares >= ${c.quota})`,
    },
    definition: '有效转发达到每日要求（默认 3 条，旗县区可单独设置）的信息员人天数。',
  },
  participantsPerActivity: {
    label: '每次活动平均人数',
    short: '场均人数',
    format: 'decimal',
    unit: '人',
    ratio: { numerator: 'participants', denominator: 'activities' },
    definition: '参加人次 ÷ 活动次数。',
    target: { kind: 'fixed', value: TARGETS.participantsPerActivity },
  },
} as const satisfies Record<string, FigureEntry>;

type Catalogue = typeof FIGURES;

/** Every figure's key. */
export type FigureKey = keyof Catalogue;

/** The aggregates' keys (summed, or combined, over stations). */
export type AggregateKey = { [K in FigureKey]: Catalogue[K] extends { combine: string } ? K : never }[FigureKey];

/** The ratios' keys (computed from aggregates). */
export type RatioKey = Exclude<FigureKey, AggregateKey>;

/** The aggregates that come from a source (`shares`, `activities` …). */
export type AggregateKeyFrom<S extends AggregateSource['from']> = {
  [K in AggregateKey]: Catalogue[K] extends { sql: { from: S } } ? K : never;
}[AggregateKey];

type ValueOf<E> = E extends { format: 'day' } ? DayKey | null : number;

/**
 * Sums over a set of informants (one informant, a station, a county …) and a range of days,
 * over counted informant-days only (docs/统计口径.md): a day of an informant counts while the
 * informant is on the roster of a station that has started counting, up to today.
 */
export type Aggregates = { [K in AggregateKey]: ValueOf<Catalogue[K]> };

/** The aggregates and their ratios (docs/统计口径.md). */
export type Figures = { [K in FigureKey]: ValueOf<Catalogue[K]> };

// Every ratio's numerator and denominator is a numeric aggregate (checked by the compiler).
type NumericAggregate = { [K in AggregateKey]: Aggregates[K] extends number ? K : never }[AggregateKey];
type RatioParts = { [K in RatioKey]: Catalogue[K]['ratio']['numerator'] | Catalogue[K]['ratio']['denominator'] }[RatioKey];
const ratiosOverAggregates: [RatioParts] extends [NumericAggregate] ? true : never = true;
void ratiosOverAggregates;

/** The catalogue's entries as a list, in catalogue order. */
export const FIGURE_LIST = Object.entries(FIGURES) as Array<[FigureKey, FigureEntry]>;

export const AGGREGATE_KEYS = FIGURE_LIST.filter(([, e]) => 'combine' in e).map(([k]) => k as AggregateKey);
export const RATIO_KEYS = FIGURE_LIST.filter(([, e]) => 'ratio' in e).map(([k]) => k as RatioKey);

/** The aggregate entry of a key. */
export const aggregateEntry = (k: AggregateKey): AggregateEntry => FIGURES[k] as AggregateEntry;

/** The ratio entry of a key. */
export const ratioEntry = (k: RatioKey): RatioEntry => FIGURES[k] as RatioEntry;

const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);

/** The ratios from the sums (their only definition: the catalogue's `ratio`). */
export function figuresOf<A extends Aggregates>(a: A): A & Figures {
  const out: Record<string, unknown> = { ...a };
  for (const k of RATIO_KEYS) {
    const { numerator, denominator } = ratioEntry(k).ratio;
    out[k] = ratio(a[numerator as AggregateKey] as number, a[denominator as AggregateKey] as number);
  }
  return out as A & Figures;
}

/** Aggregates of an empty set: 0, or null for a day. */
export function zeroAggregates(): Aggregates {
  return Object.fromEntries(AGGREGATE_KEYS.map((k) => [k, FIGURES[k].format === 'day' ? null : 0])) as Aggregates;
}

/**
 * Adds aggregates of disjoint sets (stations of a county): the county's figures are sums and
 * ratios of sums. Its counted days run from the earliest first counted day to the common end.
 */
export function sumAggregates(list: Aggregates[]): Aggregates {
  const z: Record<string, number | string | null> = zeroAggregates();
  for (const a of list) {
    for (const k of AGGREGATE_KEYS) {
      const v = a[k];
      const combine = aggregateEntry(k).combine;
      if (combine === 'sum') z[k] = (z[k] as number) + (v as number);
      else if (v !== null && (z[k] === null || (combine === 'max' ? v > z[k] : v < z[k]))) z[k] = v;
    }
  }
  return z as Aggregates;
}

/** Only the figures' own fields of an object that carries more (a station's aggregates also carry its name and status). */
export function figuresOnly(f: Figures): Figures {
  return Object.fromEntries(FIGURE_LIST.map(([k]) => [k, f[k]])) as Figures;
}
