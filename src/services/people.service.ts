import type { DataSource } from 'typeorm';
import type { IdentityKind } from '../domain/channels';
import { CountyStaff, Region, Station, StationManager } from '../db/entities';
import { NOT_CONFIGURED, type ConfiguredChannels } from './channels';
import { UserError } from '../errors';
import { requireStationByName, type CountyRef } from './station.service';

/** How a person is reached: at least one of these. */
export interface Handles {
  name?: string;
  wecomUser?: string;
  openid?: string;
  wechatContact?: string;
}

interface PersonHandles {
  name: string | null;
  wecomUserId: string | null;
  mpOpenid: string | null;
  wechatContactId: string | null;
}

/** A station manager as the console lists them. */
export interface ManagerRow extends PersonHandles {
  id: number;
  stationId: number;
  stationName: string;
  countyId: number;
}

/** A county staff member as the console lists them. */
export interface StaffRow extends PersonHandles {
  id: number;
  countyId: number;
  countyName: string;
}

/** Who is talking to the bot, as far as station commands are concerned. */
export type Identity =
  | { role: 'manager'; name: string | null; station: { id: number; name: string; countyId: number } }
  | { role: 'staff'; name: string | null; county: { id: number; name: string } }
  | { role: 'nobody' };

const COLUMN: Record<IdentityKind, 'wecom_user_id' | 'mp_openid' | 'wechat_contact_id'> = {
  'wecom-user': 'wecom_user_id',
  openid: 'mp_openid',
  'wechat-contact': 'wechat_contact_id',
};

/**
 * Station managers and county staff: registration and recognition on each channel. A handle on
 * a channel this installation has not configured is refused (nobody could reach them through it).
 */
export class PeopleService {
  constructor(
    private readonly ds: DataSource,
    private readonly channels: ConfiguredChannels,
  ) {}

  /** Registers a station's manager; the station by name, within `county` when the name is in several counties. */
  async addManager(stationName: string, handles: Handles, county?: CountyRef): Promise<StationManager> {
    this.requireHandle(handles);
    const station = await requireStationByName(this.ds, stationName, county);
    return this.register(StationManager, { stationId: station.id }, handles);
  }

  async addStaff(countyName: string, handles: Handles): Promise<CountyStaff> {
    this.requireHandle(handles);
    const county = await this.ds.getRepository(Region).findOneBy({ name: countyName, level: 'county' });
    if (!county) throw new UserError(`找不到旗县区“${countyName}”（添加e站时会一并创建旗县区）`);
    return this.register(CountyStaff, { countyId: county.id }, handles);
  }

  /** Registers a manager of the station (by id: the console). */
  async addManagerTo(stationId: number, handles: Handles): Promise<StationManager> {
    this.requireHandle(handles);
    if (!(await this.ds.getRepository(Station).existsBy({ id: stationId }))) throw new UserError(`没有编号为 ${stationId} 的e站`);
    return this.register(StationManager, { stationId }, handles);
  }

  /** Registers a staff member of the county (by id: the console). */
  async addStaffTo(countyId: number, handles: Handles): Promise<CountyStaff> {
    this.requireHandle(handles);
    if (!(await this.ds.getRepository(Region).existsBy({ id: countyId, level: 'county' })))
      throw new UserError(`没有编号为 ${countyId} 的旗县区`);
    return this.register(CountyStaff, { countyId }, handles);
  }

  /** Managers and staff of the counties (all counties: 'all'), by county, station and name. */
  async list(counties: 'all' | readonly number[]): Promise<{ managers: ManagerRow[]; staff: StaffRow[] }> {
    const all = counties === 'all';
    const ids = all ? [] : [...counties];
    const [managers, staff]: [Array<Record<string, unknown>>, Array<Record<string, unknown>>] = await Promise.all([
      this.ds.query(
        `SELECT m.id, m.station_id, s.name AS station_name, s.county_id, m.name, m.wecom_user_id, m.mp_openid, m.wechat_contact_id
         FROM station_manager m JOIN station s ON s.id = m.station_id WHERE $1 OR s.county_id = ANY($2)
         ORDER BY s.county_id, s.name, m.id`,
        [all, ids],
      ),
      this.ds.query(
        `SELECT c.id, c.county_id, r.name AS county_name, c.name, c.wecom_user_id, c.mp_openid, c.wechat_contact_id
         FROM county_staff c JOIN region r ON r.id = c.county_id WHERE $1 OR c.county_id = ANY($2) ORDER BY r.name, c.id`,
        [all, ids],
      ),
    ]);
    const handles = (r: Record<string, unknown>) => ({
      name: (r.name as string | null) ?? null,
      wecomUserId: (r.wecom_user_id as string | null) ?? null,
      mpOpenid: (r.mp_openid as string | null) ?? null,
      wechatContactId: (r.wechat_contact_id as string | null) ?? null,
    });
    return {
      managers: managers.map((r) => ({
        id: Number(r.id),
        stationId: Number(r.station_id),
        stationName: String(r.station_name),
        countyId: Number(r.county_id),
        ...handles(r),
      })),
      staff: staff.map((r) => ({ id: Number(r.id), countyId: Number(r.county_id), countyName: String(r.county_name), ...handles(r) })),
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

  /** Removes a manager; their console sessions end with them. */
  async removeManager(id: number): Promise<void> {
    await this.remove('manager', StationManager, id);
  }

  /** Removes a staff member; their console sessions end with them. */
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

  /** Stores a manager or staff member with their handles, refusing a handle already registered. */
  private register<T extends StationManager | CountyStaff>(entity: new () => T, scope: Partial<T>, handles: Handles): Promise<T> {
    return this.ds.transaction(async (m) => {
      await this.ensureUnused(m.query.bind(m), handles);
      const repo = m.getRepository(entity);
      return repo.save({
        ...scope,
        name: handles.name ?? null,
        wecomUserId: handles.wecomUser ?? null,
        mpOpenid: handles.openid ?? null,
        wechatContactId: handles.wechatContact ?? null,
      } as T);
    });
  }

  /**
   * Recognises a sender by the handle of the given kind: a manager first, then county staff
   * (one round trip for both).
   */
  async whoIs(kind: IdentityKind, senderId: string): Promise<Identity> {
    const col = COLUMN[kind];
    const rows: Array<{ role: 'manager' | 'staff'; name: string | null; id: number; place: string; county_id: number | null }> =
      await this.ds.query(
        `(SELECT 'manager' AS role, m.name, s.id, s.name AS place, s.county_id FROM station_manager m
          JOIN station s ON s.id = m.station_id WHERE m.${col} = $1 ORDER BY m.id LIMIT 1)
       UNION ALL
       (SELECT 'staff', c.name, r.id, r.name, NULL FROM county_staff c
          JOIN region r ON r.id = c.county_id WHERE c.${col} = $1 ORDER BY c.id LIMIT 1)`,
        [senderId],
      );
    const manager = rows.find((r) => r.role === 'manager');
    if (manager)
      return { role: 'manager', name: manager.name, station: { id: manager.id, name: manager.place, countyId: manager.county_id! } };
    const staff = rows.find((r) => r.role === 'staff');
    if (staff) return { role: 'staff', name: staff.name, county: { id: staff.id, name: staff.place } };
    return { role: 'nobody' };
  }

  private requireHandle(h: Handles): void {
    if (!h.wecomUser && !h.openid && !h.wechatContact) {
      throw new UserError('请至少给出一种联系方式：--wecom-user、--openid 或 --wechat-contact');
    }
    if (h.wecomUser && !this.channels.wecom)
      throw new UserError(`不能登记 --wecom-user。${NOT_CONFIGURED.wecom}，设置后再登记（kepubot 服务也要重启）`);
    if (h.openid && !this.channels.mp) throw new UserError(`不能登记 --openid。${NOT_CONFIGURED.mp}，设置后再登记（kepubot 服务也要重启）`);
  }

  private async ensureUnused(query: (sql: string, params: unknown[]) => Promise<unknown[]>, h: Handles): Promise<void> {
    const checks: Array<[string, string | undefined]> = [
      ['wecom_user_id', h.wecomUser],
      ['mp_openid', h.openid],
      ['wechat_contact_id', h.wechatContact],
    ];
    for (const [col, value] of checks) {
      if (!value) continue;
      const used = await query(`SELECT 1 FROM station_manager WHERE ${col} = $1 UNION ALL SELECT 1 FROM county_staff WHERE ${col} = $1`, [
        value,
      ]);
      if (used.length > 0) throw new UserError(`“${value}”已登记为e站管理员或旗县区工作人员`);
    }
  }
}
