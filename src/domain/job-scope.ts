/**
 * What one run of a job covers: a county (digests, tables, the annual evaluation), a station (the
 * monthly check) or a WeChat group (reminders, rankings). Stored in job_run.scope as its text
 * (`county:3`, `station:7`, `room:<room id>`); formatScope and parseScope are the only code
 * that knows that text. The county a run belongs to is stored beside it (job_run.county_id), so
 * no query reads it out of the text.
 */
export type JobScope = { kind: 'county'; countyId: number } | { kind: 'station'; stationId: number } | { kind: 'room'; roomId: string };

/** The scope's stored text: `county:3`, `station:7`, `room:<room id>`. */
export function formatScope(scope: JobScope): string {
  switch (scope.kind) {
    case 'county':
      return `county:${scope.countyId}`;
    case 'station':
      return `station:${scope.stationId}`;
    case 'room':
      return `room:${scope.roomId}`;
  }
}

const ID = /^[1-9][0-9]{0,9}$/;

/** The scope a stored text names; null for any other text (an id that is no positive integer, an unknown kind). */
export function parseScope(text: string): JobScope | null {
  const i = text.indexOf(':');
  if (i < 0) return null;
  const kind = text.slice(0, i);
  const rest = text.slice(i + 1);
  if (kind === 'room') return rest ? { kind, roomId: rest } : null;
  if (!ID.test(rest) || Number(rest) > 2_147_483_647) return null;
  if (kind === 'county') return { kind, countyId: Number(rest) };
  if (kind === 'station') return { kind, stationId: Number(rest) };
  return null;
}

/** The ids of each kind among stored scope texts (those that name no scope left out), each once. */
export function scopeIds(texts: readonly string[]): { county: number[]; station: number[]; room: string[] } {
  const out = { county: new Set<number>(), station: new Set<number>(), room: new Set<string>() };
  for (const text of texts) {
    const s = parseScope(text);
    if (s?.kind === 'county') out.county.add(s.countyId);
    else if (s?.kind === 'station') out.station.add(s.stationId);
    else if (s?.kind === 'room') out.room.add(s.roomId);
  }
  return { county: [...out.county], station: [...out.station], room: [...out.room] };
}
