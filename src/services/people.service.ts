import type { DataSource, EntityManager } from 'typeorm';
import type { IdentityKind, IdentityKinds } from '../domain/identity-kinds';
import { CountyStaff, PersonIdentity, Region, Station, StationManager } from '../db/entities';
import { UserError } from '../errors';
import { requireStationByName, type CountyRef } from './station.service';

/** A person to register: a name and their ids by identity kind (at least one; empty values are absent). */
export interface PersonInput {
  name?: string;
  ids: Readonly<Partial<Record<IdentityKind, string>>>;
}

/** A person's ids by identity kind. */
export type IdentityMap = Partial<Record<IdentityKind, string>>;

/** A station manager as the console lists them. */
export interface ManagerRow {
  id: number;
  stationId: number;
  stationName: string;
  countyId: number;
  name: string | null;
  identities: IdentityMap;
}

/** A county staff member as the console lists them. */
export interface StaffRow {
  id: number;
  countyId: number;
  countyName: string;
  name: string | null;
  identities: IdentityMap;
}

/** Who is talking to the bot, as far as station commands are concerned. */
export type Identity =
  | { role: 'manager'; name: string | null; station: { id: number; name: string; countyId: number } }
  | { role: 'staff'; name: string | null; county: { id: number; name: string } }
  | { role: 'nobody' };

/** A registered person's ids, read with the person. */
export type Registered<T> = T & { identities: IdentityMap };

const isUniqueViolation = (err: unknown): boolean =>
  ((err as { driverError?: { code?: string } }).driverError?.code ?? (err as { code?: string }).code) === '23505';

/**
 * Station managers and county staff: registration with their ids (person_identity, one row per
 * id; the identity kinds are the installation's registry), and recognition of a sender by the id
 * their channel gives. An id of a channel this installation has not configured is refused (nobody
 * could reach them through it).
 */
export class PeopleService {
  constructor(
    private readonly ds: DataSource,
    /** The installation's identity kinds (src/channels/registry.ts identityKindsOf). */
    readonly kinds: IdentityKinds,
  ) {}

  /** Registers a station's manager; the station by name, within `county` when the name is in several counties. */
  async addManager(stationName: string, person: PersonInput, county?: CountyRef): Promise<Registered<StationManager>> {
    const ids = this.checked(person);
    const station = await requireStationByName(this.ds, stationName, county);
    return this.register(StationManager, { stationId: station.id }, person, ids);
  }

  async addStaff(countyName: string, person: PersonInput): Promise<Registered<CountyStaff>> {
    const ids = this.checked(person);
    const county = await this.ds.getRepository(Region).findOneBy({ name: countyName, level: 'county' });
    if (!county) throw new UserError(`找不到旗县区“${countyName}”（添加e站时会一并创建旗县区）`);
    return this.register(CountyStaff, { countyId: county.id }, person, ids);
  }

  /** Registers a manager of the station (by id: the console). */
  async addManagerTo(stationId: number, person: PersonInput): Promise<Registered<StationManager>> {
    const ids = this.checked(person);
    if (!(await this.ds.getRepository(Station).existsBy({ id: stationId }))) throw new UserError(`没有编号为 ${stationId} 的e站`);
    return this.register(StationManager, { stationId }, person, ids);
  }

  /** Registers a staff member of the county (by id: the console). */
  async addStaffTo(countyId: number, person: PersonInput): Promise<Registered<CountyStaff>> {
    const ids = this.checked(person);
    if (!(await this.ds.getRepository(Region).existsBy({ id: countyId, level: 'county' })))
      throw new UserError(`没有编号为 ${countyId} 的旗县区`);
    return this.register(CountyStaff, { countyId }, person, ids);
  }

  /** Managers and staff of the counties (all counties: 'all'), by county, station and name. */
  async list(counties: 'all' | readonly number[]): Promise<{ managers: ManagerRow[]; staff: StaffRow[] }> {
    const all = counties === 'all';
    const ids = all ? [] : [...counties];
    const [managers, staff]: [Array<Record<string, unknown>>, Array<Record<string, unknown>>] = await Promise.all([
      this.ds.query(
        `SELECT m.id, m.station_id, s.name AS station_name, s.county_id, m.name,
                (SELECT coalesce(jsonb_object_agg(i.kind, i.external_id), '{}') FROM person_identity i WHERE i.manager_id = m.id) AS identities
         FROM station_manager m JOIN station s ON s.id = m.station_id WHERE $1 OR s.county_id = ANY($2)
         ORDER BY s.county_id, s.name, m.id`,
        [all, ids],
      ),
      this.ds.query(
        `SELECT c.id, c.county_id, r.name AS county_name, c.name,
                (SELECT coalesce(jsonb_object_agg(i.kind, i.external_id), '{}') FROM person_identity i WHERE i.staff_id = c.id) AS identities
         FROM county_staff c JOIN region r ON r.id = c.county_id WHERE $1 OR c.county_id = ANY($2) ORDER BY r.name, c.id`,
        [all, ids],
      ),
    ]);
    const person = (r: Record<string, unknown>) => ({ name: (r.name as string | null) ?? null, identities: r.identities as IdentityMap });
    return {
      managers: managers.map((r) => ({
        id: Number(r.id),
        stationId: Number(r.station_id),
        stationName: String(r.station_name),
        countyId: Number(r.county_id),
        ...person(r),
      })),
      staff: staff.map((r) => ({ id: Number(r.id), countyId: Number(r.county_id), countyName: String(r.county_name), ...person(r) })),
    };
  }

  /** A manager with their station's county, or null. */
  async manager(id: number): Promise<(StationManager & { countyId: number }) | null> {
    const m = await this.ds.getRepository(StationManager).findOne({ where: { id }, relations: { station: true } });
    return m ? Object.assign(m, { countyId: m.station!.countyId }) : null;
  }

  /** A staff member, or null. */
  async staffMember(id: number): Promise<CountyStaff | null> {
    return this.ds.getRepository(CountyStaff).findOneBy({ id });
  }

  /** Removes a manager (and their ids); their console sessions end with them. */
  async removeManager(id: number): Promise<void> {
    await this.remove('manager', StationManager, id);
  }

  /** Removes a staff member (and their ids); their console sessions end with them. */
  async removeStaff(id: number): Promise<void> {
    await this.remove('staff', CountyStaff, id);
  }

  private async remove(kind: 'manager' | 'staff', entity: typeof StationManager | typeof CountyStaff, id: number): Promise<void> {
    await this.ds.transaction(async (m) => {
      const result = await m.getRepository(entity).delete({ id });
      if (!result.affected) throw new UserError(kind === 'manager' ? `没有编号为 ${id} 的e站管理员` : `没有编号为 ${id} 的旗县区工作人员`);
      await m.query(`DELETE FROM console_session WHERE principal_kind = $1 AND principal_id = $2`, [kind, id]);
    });
  }

  /** The person's ids, trimmed and checked against the identity kinds (a Chinese UserError otherwise). */
  private checked(person: PersonInput): Array<{ kind: IdentityKind; externalId: string }> {
    const ids = Object.entries(person.ids)
      .map(([kind, value]) => ({ kind, externalId: (value ?? '').trim() }))
      .filter((i) => i.externalId !== '');
    const problem = this.kinds.problem(ids);
    if (problem) throw new UserError(problem);
    return ids;
  }

  /** Stores a manager or staff member with their ids in one transaction, refusing an id already registered. */
  private async register<T extends StationManager | CountyStaff>(
    entity: (new () => T) & (typeof StationManager | typeof CountyStaff),
    scope: Partial<T>,
    person: PersonInput,
    ids: Array<{ kind: IdentityKind; externalId: string }>,
  ): Promise<Registered<T>> {
    const taken = (externalId: string) => new UserError(`“${externalId.slice(0, 64)}”已登记为e站管理员或旗县区工作人员`);
    try {
      return await this.ds.transaction(async (m: EntityManager) => {
        for (const id of ids) {
          if (await m.getRepository(PersonIdentity).existsBy({ kind: id.kind, externalId: id.externalId })) throw taken(id.externalId);
        }
        const saved = await m.getRepository(entity).save({ ...scope, name: person.name?.trim() || null } as T);
        const owner = entity === StationManager ? { managerId: saved.id, staffId: null } : { managerId: null, staffId: saved.id };
        await m.getRepository(PersonIdentity).insert(ids.map((id) => ({ ...owner, kind: id.kind, externalId: id.externalId })));
        return Object.assign(saved, { identities: Object.fromEntries(ids.map((i) => [i.kind, i.externalId])) as IdentityMap });
      });
    } catch (err) {
      // Two registrations of one id at once: the unique key refuses the second.
      if (isUniqueViolation(err)) throw taken(ids.map((i) => i.externalId).join('、'));
      throw err;
    }
  }

  /** Recognises a sender by their id of the given kind (an id names one person at most). */
  async whoIs(kind: IdentityKind, senderId: string): Promise<Identity> {
    const [row]: Array<{
      manager_name: string | null;
      station_id: number | null;
      station_name: string | null;
      station_county: number | null;
      staff_name: string | null;
      county_id: number | null;
      county_name: string | null;
    }> = await this.ds.query(
      `SELECT m.name AS manager_name, s.id AS station_id, s.name AS station_name, s.county_id AS station_county,
              c.name AS staff_name, r.id AS county_id, r.name AS county_name
       FROM person_identity i
       LEFT JOIN station_manager m ON m.id = i.manager_id LEFT JOIN station s ON s.id = m.station_id
       LEFT JOIN county_staff c ON c.id = i.staff_id LEFT JOIN region r ON r.id = c.county_id
       WHERE i.kind = $1 AND i.external_id = $2`,
      [kind, senderId],
    );
    if (row?.station_id)
      return {
        role: 'manager',
        name: row.manager_name,
        station: { id: row.station_id, name: row.station_name!, countyId: row.station_county! },
      };
    if (row?.county_id) return { role: 'staff', name: row.staff_name, county: { id: row.county_id, name: row.county_name! } };
    return { role: 'nobody' };
  }
}
