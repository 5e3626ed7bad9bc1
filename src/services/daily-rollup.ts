/**
 * The daily rollup's upsert, as SQL to put in a statement (a CTE body): adds raw and effective
 * shares to each (informant, day) row, creating it when absent. `rows` is a SELECT giving
 * (county_id, informant_id, day, station_id, raw_shares, effective_shares) in that order. The one writer of
 * daily_rollup counts: the share counter's batch and binding (shares adopted by an informant).
 */
export function rollupUpsert(rows: string): string {
  return `INSERT INTO daily_rollup (county_id, informant_id, day, station_id, raw_shares, effective_shares)
  ${rows}
  ON CONFLICT (county_id, informant_id, day) DO UPDATE
    SET raw_shares = daily_rollup.raw_shares + excluded.raw_shares,
        effective_shares = daily_rollup.effective_shares + excluded.effective_shares,
        updated_at = now()`;
}
