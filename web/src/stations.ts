import { get } from './api';
import type { StationList } from './types';

/** The counties and stations the signed-in person may see, for pickers (from GET /stations). */
export interface StationTree {
  counties: Array<{ id: number; name: string; stations: Array<{ id: number; name: string; status: string }> }>;
}

let cached: Promise<StationTree> | null = null;

/** The visible counties with their stations; cached until `refresh` (after a station is added or renamed). */
export function stationTree(refresh = false): Promise<StationTree> {
  if (refresh || !cached) {
    cached = get<StationList>('/stations', undefined, { quiet: true }).then((list) => ({
      counties: list.counties.map((c) => ({
        id: c.id,
        name: c.name,
        stations: c.stations.map((s) => ({ id: s.id, name: s.name, status: s.status })),
      })),
    }));
    cached.catch(() => {
      cached = null;
    });
  }
  return cached;
}
