import type { Principal } from '../../services/console-auth.service';

/**
 * What a signed-in person may see and change, decided on the server for every request. Today only
 * the operator exists and sees everything; county staff (their county) and station managers (their
 * station) will be added here as more kinds of principal, with the same questions answered.
 */
export interface Access {
  principal: Principal;
  /** The counties visible, or 'all'. */
  counties: 'all' | ReadonlySet<number>;
  /** The stations visible, or 'all'. */
  stations: 'all' | ReadonlySet<number>;
  /** May see the robot, the database and the send queue of every county. */
  system: boolean;
}

/** The access of a principal. */
export function accessOf(principal: Principal): Access {
  switch (principal.kind) {
    case 'operator':
      return { principal, counties: 'all', stations: 'all', system: true };
  }
}

/** Whether the county is visible. */
export function canSeeCounty(access: Access, countyId: number): boolean {
  return access.counties === 'all' || access.counties.has(countyId);
}
