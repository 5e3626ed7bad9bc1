import type { DataSource } from 'typeorm';
import { formatScope, scopeIds, type JobScope } from '../../domain/job-scope';

/** What the job scopes of runs are called in Chinese. */
export class JobScopesRead {
  constructor(private readonly ds: DataSource) {}

  /**
   * Chinese names of stored job scopes, by their text: a county's or a station's name, a group's
   * topic (`（无群名）` without one); one query. Texts that name no scope, or nothing stored, are left out.
   */
  async labels(scopes: readonly string[]): Promise<Map<string, string>> {
    const ids = scopeIds(scopes);
    const rows: Array<{ kind: JobScope['kind']; id: string; label: string }> = await this.ds.query(
      `SELECT 'county' AS kind, id::text AS id, name AS label FROM region WHERE id = ANY($1::int[])
       UNION ALL SELECT 'station', id::text, name FROM station WHERE id = ANY($2::int[])
       UNION ALL SELECT 'room', room_id, CASE WHEN topic = '' THEN '（无群名）' ELSE topic END FROM wechat_group WHERE room_id = ANY($3)`,
      [ids.county, ids.station, ids.room],
    );
    return new Map(rows.map((r) => [formatScope(scopeOf(r.kind, r.id)), r.label]));
  }
}

function scopeOf(kind: JobScope['kind'], id: string): JobScope {
  switch (kind) {
    case 'county':
      return { kind, countyId: Number(id) };
    case 'station':
      return { kind, stationId: Number(id) };
    case 'room':
      return { kind, roomId: id };
  }
}
