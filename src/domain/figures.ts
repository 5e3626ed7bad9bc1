/**
 * Every figure docs/统计口径.md names, from aggregates over daily rollups and activities. One figure,
 * one definition: the digests, the tables, 本月 and the rankings all come through here.
 */

import type { DayKey } from './calendar';

/**
 * Sums over a set of informants (one informant, a station, a county …) and a range of days,
 * over counted informant-days only (docs/统计口径.md): a day of an informant counts while the
 * informant is on the roster of a station that has started counting, up to today.
 */
export interface Aggregates {
  /** Informants on the period's roster: at least one counted informant-day in the range. */
  informants: number;
  /** 统计天数: days from the first counted day to the last (clipped to today); 0 when nothing counts. */
  days: number;
  /** The first counted day of the range (null when nothing counts). */
  firstDay: DayKey | null;
  /** 信息员人天: the sum over informants of their counted days in the range. */
  informantDays: number;
  /** Informants of that roster with at least one effective share on a counted day. */
  activeInformants: number;
  rawShares: number;
  effectiveShares: number;
  /** Informant-days with at least the quota of effective shares. */
  quotaMetDays: number;
  activities: number;
  participants: number;
  /** Activities with at least 50 participants. */
  activitiesOf50: number;
}

export interface Figures extends Aggregates {
  /** Active informants ÷ informants on the period's roster. */
  activeRate: number;
  /** Effective shares per informant-day (target: the quota, 3). */
  perInformantDay: number;
  /** Quota-met informant-days ÷ informant-days. */
  quotaMetRate: number;
  /** Average participants per activity (target 50). */
  participantsPerActivity: number;
}

/** The station targets of the policies (docs/统计口径.md e站指标). */
export const TARGETS = {
  informants: 500,
  activitiesPerMonth: 1,
  participantsPerActivity: 50,
  bulletinMonths: 2,
  screenHoursPerDay: 5,
} as const;

const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);

/** The ratios of docs/统计口径.md from the sums (their only definition). */
export function figuresOf(a: Aggregates): Figures {
  return {
    ...a,
    activeRate: ratio(a.activeInformants, a.informants),
    perInformantDay: ratio(a.effectiveShares, a.informantDays),
    quotaMetRate: ratio(a.quotaMetDays, a.informantDays),
    participantsPerActivity: ratio(a.participants, a.activities),
  };
}

/**
 * Adds aggregates of disjoint sets (stations of a county): the county's figures are sums and
 * ratios of sums. Its counted days run from the earliest first counted day to the common end.
 */
export function sumAggregates(list: Aggregates[]): Aggregates {
  const z: Aggregates = {
    informants: 0,
    days: 0,
    firstDay: null,
    informantDays: 0,
    activeInformants: 0,
    rawShares: 0,
    effectiveShares: 0,
    quotaMetDays: 0,
    activities: 0,
    participants: 0,
    activitiesOf50: 0,
  };
  for (const a of list) {
    z.informants += a.informants;
    z.days = Math.max(z.days, a.days);
    if (a.firstDay && (!z.firstDay || a.firstDay < z.firstDay)) z.firstDay = a.firstDay;
    z.informantDays += a.informantDays;
    z.activeInformants += a.activeInformants;
    z.rawShares += a.rawShares;
    z.effectiveShares += a.effectiveShares;
    z.quotaMetDays += a.quotaMetDays;
    z.activities += a.activities;
    z.participants += a.participants;
    z.activitiesOf50 += a.activitiesOf50;
  }
  return z;
}

/** Station order for rankings: effective shares per informant-day, then quota-met rate, active rate, name. */
export function compareStations(a: { name: string; figures: Figures }, b: { name: string; figures: Figures }): number {
  return (
    b.figures.perInformantDay - a.figures.perInformantDay ||
    b.figures.quotaMetRate - a.figures.quotaMetRate ||
    b.figures.activeRate - a.figures.activeRate ||
    a.name.localeCompare(b.name, 'zh-Hans-CN')
  );
}

/**
 * How many stations a digest names as 排名靠后: a third of the stations ranked at most (so one or
 * two stations are never "the bottom"), and no more than `max`.
 */
export function bottomStationCount(ranked: number, max: number): number {
  return Math.max(0, Math.min(max, Math.floor(ranked / 3)));
}

export const percent = (x: number): string => `${(x * 100).toFixed(1)}%`;
