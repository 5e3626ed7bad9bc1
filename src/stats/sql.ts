/**
 * The statistics queries' sums, from the figure catalogue: each aggregate's SQL is written once
 * (its entry's `sql`), and every query that computes it selects it through here under the
 * figure's key as column name. The builders make select lists only: a query keeps its own FROM
 * and WHERE (so a filter, such as a county, is added in the query, not here).
 */

import { AGGREGATE_KEYS, aggregateEntry, type AggregateKey, type AggregateKeyFrom, type SqlContext } from './catalogue';

/** The aggregates summed over counted informant-days (station_day or daily_rollup rows). */
export const SHARE_KEYS = AGGREGATE_KEYS.filter((k): k is AggregateKeyFrom<'shares'> => aggregateEntry(k).sql.from === 'shares');

/** The aggregates over the logged activities. */
export const ACTIVITY_KEYS = AGGREGATE_KEYS.filter((k): k is AggregateKeyFrom<'activities'> => aggregateEntry(k).sql.from === 'activities');

const column = (k: AggregateKey): string => `"${k}"`;

/**
 * The select list of the share sums, over station_day rows aliased `d` (`stationDay`) or over
 * daily_rollup rows aliased `d` (`rollup`: the quota expression is the row's county's quota).
 */
export function shareSums(over: 'stationDay', ctx?: SqlContext): string;
export function shareSums(over: 'rollup', ctx: SqlContext): string;
export function shareSums(over: 'stationDay' | 'rollup', ctx?: SqlContext): string {
  return SHARE_KEYS.map((k) => {
    const sql = aggregateEntry(k).sql;
    if (sql.from !== 'shares') throw new Error(`${k} is not a share sum`);
    return `${over === 'stationDay' ? sql.stationDay : sql.rollup(ctx!)} AS ${column(k)}`;
  }).join(', ');
}

/** The select list of the activity sums over activity rows aliased `a`. */
export function activitySums(): string {
  return ACTIVITY_KEYS.map((k) => {
    const sql = aggregateEntry(k).sql;
    if (sql.from !== 'activities') throw new Error(`${k} is not an activity sum`);
    return `${sql.activity} AS ${column(k)}`;
  }).join(', ');
}

/** `coalesce(<from>."key", 0) AS "key"` for each key: a LEFT JOINed sums CTE's columns, 0 where it has no row. */
export function coalesced(from: string, keys: AggregateKey[]): string {
  return keys.map((k) => `coalesce(${from}.${column(k)}, 0) AS ${column(k)}`).join(', ');
}

/** The keys' values of a result row, as numbers (PostgreSQL returns sums as strings). */
export function numbersOf<K extends AggregateKey>(row: Record<string, unknown> | undefined, keys: K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, Number(row?.[k] ?? 0)])) as Record<K, number>;
}
