/**
 * Rules over the figures: the station order of rankings, the size of a digest's bottom list and
 * how a rate reads. The figures are defined in the catalogue (src/stats/catalogue.ts).
 */

import type { Figures } from '../stats/catalogue';

// The figures themselves (types, targets, ratios, sums) are the catalogue's (src/stats/catalogue.ts).
export { TARGETS, figuresOf, sumAggregates, type Aggregates, type Figures } from '../stats/catalogue';

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
