/**
 * The county filter of a query over a list of stations (issue 18): `county_id` of the large table
 * limited to the counties of the stations in the given parameter. Every primary key of a large table
 * starts with county_id, so this lets PostgreSQL use those keys (and Citus find the county's shard);
 * it never changes an answer, since a row's county is its station's.
 */
export function inCountiesOf(alias: string, stationsParam: string): string {
  return `${alias ? `${alias}.` : ''}county_id IN (SELECT county_id FROM station WHERE id = ANY(${stationsParam}))`;
}
