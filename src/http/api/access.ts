import type { Principal } from '../../services/console-auth.service';

/**
 * What a signed-in person may see and change, decided on the server for every request: the
 * operator everything, county staff their county, a station manager their station.
 */
export interface Access {
  principal: Principal;
  /** The counties visible, or 'all'. */
  counties: 'all' | ReadonlySet<number>;
  /** The stations visible, or 'all' (all stations of the visible counties). */
  stations: 'all' | ReadonlySet<number>;
  /** May see the robot, the database and the send queue of every county (the operator). */
  system: boolean;
}

/** The access of a principal. */
export function accessOf(principal: Principal): Access {
  switch (principal.kind) {
    case 'operator':
      return { principal, counties: 'all', stations: 'all', system: true };
    case 'staff':
      return { principal, counties: new Set([principal.countyId!]), stations: 'all', system: false };
    case 'manager':
      return { principal, counties: new Set([principal.countyId!]), stations: new Set([principal.stationId!]), system: false };
  }
}

/** Whether the county is visible. */
export function canSeeCounty(access: Access, countyId: number): boolean {
  return access.counties === 'all' || access.counties.has(countyId);
}

/** Whether the station (with its county) is visible: both must be. */
export function canSeeStation(access: Access, station: { id: number; countyId: number }): boolean {
  return canSeeCounty(access, station.countyId) && (access.stations === 'all' || access.stations.has(station.id));
}

/** Whether the person may change county-level things (stations, staff, groups' binding): operator or county staff. */
export function canManageCounty(access: Access, countyId: number): boolean {
  return access.principal.kind !== 'manager' && canSeeCounty(access, countyId);
}
