/**
 * Every figure docs/统计口径.md names, from aggregates over daily rollups and activities. One figure,
 * one definition: the digests, the tables, 本月 and the rankings all come through here.
 */

/** Sums over a set of informants (one informant, a station, a county …) and a range of days. */
export interface Aggregates {
  /** Active informants on the roster. */
  informants: number;
  /** Days in the range counted (clipped to today for the current period). */
  days: number;
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
  informantDays: number;
  activeRate: number;
  /** Effective shares per informant-day (target: the quota, 3). */
  perInformantDay: number;
  quotaMetRate: number;
  /** Average participants per activity (target 50). */
  participantsPerActivity: number;
}

export const TARGETS = { informants: 500, activitiesPerMonth: 1, participantsPerActivity: 50 } as const;

const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);

export function figuresOf(a: Aggregates): Figures {
  const informantDays = a.informants * a.days;
  return {
    ...a,
    informantDays,
    activeRate: ratio(a.activeInformants, a.informants),
    perInformantDay: ratio(a.effectiveShares, informantDays),
    quotaMetRate: ratio(a.quotaMetDays, informantDays),
    participantsPerActivity: ratio(a.participants, a.activities),
  };
}

/** Adds aggregates of disjoint sets (stations of a county): the county's figures are sums and ratios. */
export function sumAggregates(list: Aggregates[], days: number): Aggregates {
  const z: Aggregates = { informants: 0, days, activeInformants: 0, rawShares: 0, effectiveShares: 0, quotaMetDays: 0, activities: 0, participants: 0, activitiesOf50: 0 };
  for (const a of list) {
    z.informants += a.informants;
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

export const percent = (x: number): string => `${(x * 100).toFixed(1)}%`;
