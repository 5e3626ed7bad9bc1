import type { DataSource } from 'typeorm';

/** What the job scopes of runs are called in Chinese. */
export class JobScopesRead {
  constructor(private readonly ds: DataSource) {}

  /** Chinese names of job scopes (`county:3` → the county, `station:7` → the station, `room:…` → the group's topic), one query. */
  async labels(scopes: readonly string[]): Promise<Map<string, string>> {
    const ids = (kind: string) => [...new Set(scopes.filter((s) => s.startsWith(`${kind}:`)).map((s) => s.slice(kind.length + 1)))];
    const rows: Array<{ scope: string; label: string }> = await this.ds.query(
      `SELECT 'county:' || id AS scope, name AS label FROM region WHERE id::text = ANY($1)
       UNION ALL SELECT 'station:' || id, name FROM station WHERE id::text = ANY($2)
       UNION ALL SELECT 'room:' || room_id, CASE WHEN topic = '' THEN '（无群名）' ELSE topic END FROM wechat_group WHERE room_id = ANY($3)`,
      [ids('county'), ids('station'), ids('room')],
    );
    return new Map(rows.map((r) => [r.scope, r.label]));
  }
}
