import type { DataSource, EntityManager } from 'typeorm';
import { Between, IsNull } from 'typeorm';
import { Region, ResourceLog, Station, STATION_TYPES, type StationStatus, type StationType } from '../db/entities';
import { UserError } from '../errors';
import { STATION_TYPE_LABEL } from './report.service';

export interface StationInput {
  name: string;
  county: string;
  prefecture?: string;
  province?: string;
  type?: StationType;
}

/** A station with its county's name, as lists and the console show it. */
export type StationWithCounty = Station & { countyName: string };

/** What the county may change about a station (the console's PUT, `kepubot station set`). */
export interface StationChange {
  name?: string;
  type?: StationType;
  /** The first counted day; null falls back to the day the first group was bound. */
  countingFrom?: string | null;
  /** disabled: out of service (no reminders, no monthly check, no attention; its figures stay); active: in use again. */
  status?: StationStatus;
}

/** How a county is named when finding a station by name: its name (CLI) or id (bot, console). */
export type CountyRef = string | number;

const MAX_NAME = 128;

/** A station type from its code (community) or its Chinese name (社区); null when neither. */
export function stationTypeOf(text: string): StationType | null {
  const t = text.trim();
  if ((STATION_TYPES as readonly string[]).includes(t)) return t as StationType;
  const byLabel = Object.entries(STATION_TYPE_LABEL).find(([, label]) => label === t || label.replace(/（.*）$/u, '') === t);
  return byLabel ? (byLabel[0] as StationType) : null;
}

/** The Chinese message listing the accepted station types. */
export const STATION_TYPE_HINT = `e站类型应为 ${STATION_TYPES.map((t) => `${t}（${STATION_TYPE_LABEL[t]}）`).join(' / ')} 之一`;

function stationName(raw: string): string {
  const name = raw.trim();
  if (!name) throw new UserError('请填写e站名称');
  if (name.length > MAX_NAME) throw new UserError(`e站名称太长（最多 ${MAX_NAME} 个字）`);
  return name;
}

const isUniqueViolation = (err: unknown): boolean => (err as { driverError?: { code?: string } }).driverError?.code === '23505';

/**
 * Finds a station by name, optionally within a county (by name or id). Station names are unique
 * within a county only: a name found in several counties without a county given is refused with
 * the counties named. Null when there is none.
 */
export async function findStationByName(q: DataSource | EntityManager, name: string, county?: CountyRef): Promise<Station | null> {
  const where =
    county === undefined ? { name } : typeof county === 'number' ? { name, countyId: county } : { name, county: { name: county } };
  const found = await q.getRepository(Station).find({ where, relations: { county: true }, order: { id: 'ASC' } });
  if (found.length > 1) {
    const counties = found.map((s) => s.county?.name ?? String(s.countyId)).join('、');
    throw new UserError(`有 ${found.length} 个旗县区都有名为“${name}”的e站：${counties}。请指明旗县区（命令行加 --county <旗县区>）`);
  }
  return found[0] ?? null;
}

/** Like findStationByName, but a missing station (or county) is a UserError. */
export async function requireStationByName(q: DataSource | EntityManager, name: string, county?: CountyRef): Promise<Station> {
  const station = await findStationByName(q, name, county);
  if (station) return station;
  if (typeof county === 'string') {
    const known = await q.getRepository(Region).existsBy({ name: county, level: 'county' });
    if (!known) throw new UserError(`找不到旗县区“${county}”`);
    throw new UserError(`${county}没有名为“${name}”的e站。用 kepubot station list 查看已有e站`);
  }
  throw new UserError(`找不到e站“${name}”，请先用 kepubot station add 添加`);
}

/** Stations and the regions above them. */
export class StationService {
  constructor(private readonly ds: DataSource) {}

  /** Creates a station (and its county, prefecture and province when new); idempotent by name within the county. */
  async add(input: StationInput): Promise<Station> {
    if (input.type && !STATION_TYPES.includes(input.type)) throw new UserError(STATION_TYPE_HINT);
    const name = stationName(input.name);
    return this.ds.transaction(async (m) => {
      const province = input.province ? await this.region(m, input.province, 'province', null) : null;
      const prefecture = input.prefecture ? await this.region(m, input.prefecture, 'prefecture', province?.id ?? null) : null;
      const county = await this.region(m, input.county, 'county', prefecture?.id ?? null);
      const repo = m.getRepository(Station);
      const existing = await repo.findOneBy({ name, countyId: county.id });
      if (existing) return existing;
      return repo.save(repo.create({ name, countyId: county.id, type: input.type ?? 'other' }));
    });
  }

  /** Creates a station in an existing county (the console); a name the county already has is refused. */
  async create(countyId: number, input: { name: string; type?: StationType; countingFrom?: string | null }): Promise<StationWithCounty> {
    const name = stationName(input.name);
    const county = await this.ds.getRepository(Region).findOneBy({ id: countyId, level: 'county' });
    if (!county) throw new UserError('没有这个旗县区');
    const repo = this.ds.getRepository(Station);
    if (await repo.existsBy({ countyId, name })) throw new UserError(`${county.name}已有名为“${name}”的e站`);
    try {
      const saved = await repo.save(repo.create({ name, countyId, type: input.type ?? 'other', countingFrom: input.countingFrom ?? null }));
      return Object.assign(saved, { countyName: county.name });
    } catch (err) {
      if (isUniqueViolation(err)) throw new UserError(`${county.name}已有名为“${name}”的e站`);
      throw err;
    }
  }

  /**
   * Changes a station: rename (unique within its county), type, first counted day, disable or
   * enable. A new first counted day makes the summaries recount the station's days.
   */
  async update(id: number, change: StationChange): Promise<StationWithCounty> {
    try {
      await this.ds.transaction(async (m) => {
        const repo = m.getRepository(Station);
        const station = await repo.findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
        if (!station) throw new UserError('没有这个e站');
        if (change.name !== undefined) {
          const name = stationName(change.name);
          if (name !== station.name && (await repo.existsBy({ countyId: station.countyId, name }))) {
            throw new UserError(`本旗县区已有名为“${name}”的e站`);
          }
          station.name = name;
        }
        if (change.type !== undefined) {
          if (!STATION_TYPES.includes(change.type)) throw new UserError(STATION_TYPE_HINT);
          station.type = change.type;
        }
        const recount = change.countingFrom !== undefined && change.countingFrom !== station.countingFrom;
        if (change.countingFrom !== undefined) station.countingFrom = change.countingFrom;
        if (change.status !== undefined) station.status = change.status;
        await repo.save(station);
        // The summaries of the station's days are recounted from the new start.
        if (recount) await m.query(`UPDATE daily_rollup SET updated_at = now() WHERE station_id = $1`, [id]);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new UserError(`本旗县区已有名为“${change.name?.trim()}”的e站`);
      throw err;
    }
    return (await this.get(id))!;
  }

  /** One station with its county's name, or null. */
  async get(id: number): Promise<StationWithCounty | null> {
    const station = await this.ds.getRepository(Station).findOne({ where: { id }, relations: { county: true } });
    if (!station) return null;
    return Object.assign(station, { countyName: station.county?.name ?? '' });
  }

  async list(): Promise<StationWithCounty[]> {
    const stations = await this.ds.getRepository(Station).find({ relations: { county: true }, order: { name: 'ASC', id: 'ASC' } });
    return stations.map((s) => Object.assign(s, { countyName: s.county?.name ?? '' }));
  }

  /**
   * The station of that name, within the county when given (name or id). Null when there is none;
   * a UserError naming the counties when the name is in several and no county is given.
   */
  async findByName(name: string, county?: CountyRef): Promise<Station | null> {
    return findStationByName(this.ds, name, county);
  }

  /** Like findByName, but a missing station is a UserError. */
  async require(name: string, county?: CountyRef): Promise<Station> {
    return requireStationByName(this.ds, name, county);
  }

  /** A station's resource logs (bulletin board changes, big-screen hours) within a range of days, oldest first. */
  async resourceLogs(stationId: number, range: { from: string; to: string }): Promise<ResourceLog[]> {
    return this.ds.getRepository(ResourceLog).find({
      where: { stationId, date: Between(range.from, range.to) },
      order: { date: 'ASC', id: 'ASC' },
    });
  }

  /** The counties (with their prefecture's name and number of stations), by name. */
  async counties(): Promise<Array<{ id: number; name: string; prefecture: string | null; stations: number }>> {
    const rows: Array<{ id: number; name: string; prefecture: string | null; stations: string }> = await this.ds.query(
      `SELECT c.id, c.name, p.name AS prefecture, (SELECT count(*) FROM station s WHERE s.county_id = c.id) AS stations
         FROM region c LEFT JOIN region p ON p.id = c.parent_id
        WHERE c.level = 'county' ORDER BY c.name, c.id`,
    );
    return rows.map((r) => ({ id: r.id, name: r.name, prefecture: r.prefecture, stations: Number(r.stations) }));
  }

  private async region(m: EntityManager, name: string, level: Region['level'], parentId: number | null): Promise<Region> {
    const repo = m.getRepository(Region);
    const found = await repo.findOneBy({ name, level, parentId: parentId ?? IsNull() });
    if (found) return found;
    if (parentId === null) {
      const anyParent = await repo.findOneBy({ name, level });
      if (anyParent) return anyParent;
    }
    return repo.save(repo.create({ name, level, parentId }));
  }
}
