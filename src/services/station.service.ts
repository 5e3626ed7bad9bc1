import type { DataSource, EntityManager } from 'typeorm';
import { IsNull } from 'typeorm';
import { Region, Station, STATION_TYPES, type StationType } from '../db/entities';
import { UserError } from '../errors';

export interface StationInput {
  name: string;
  county: string;
  prefecture?: string;
  province?: string;
  type?: StationType;
}

/** Stations and the regions above them. */
export class StationService {
  constructor(private readonly ds: DataSource) {}

  /** Creates a station (and its county, prefecture and province when new); idempotent by name. */
  async add(input: StationInput): Promise<Station> {
    if (input.type && !STATION_TYPES.includes(input.type)) {
      throw new UserError(`e站类型应为 ${STATION_TYPES.join(' / ')} 之一`);
    }
    return this.ds.transaction(async (m) => {
      const province = input.province ? await this.region(m, input.province, 'province', null) : null;
      const prefecture = input.prefecture ? await this.region(m, input.prefecture, 'prefecture', province?.id ?? null) : null;
      const county = await this.region(m, input.county, 'county', prefecture?.id ?? null);
      const repo = m.getRepository(Station);
      const existing = await repo.findOneBy({ name: input.name });
      if (existing) {
        if (existing.countyId !== county.id) {
          throw new UserError(`e站“${input.name}”已存在，但属于另一个旗县区`);
        }
        return existing;
      }
      return repo.save(repo.create({ name: input.name, countyId: county.id, type: input.type ?? 'other' }));
    });
  }

  /**
   * Sets the first day a station counts (docs/统计口径.md 统计开始日), e.g. when the county started
   * counting on another day than the first group was bound. Figures before it are not counted.
   */
  async setCountingFrom(name: string, day: string): Promise<Station> {
    const repo = this.ds.getRepository(Station);
    const station = await repo.findOneBy({ name });
    if (!station) throw new UserError(`找不到e站“${name}”，请先用 kepubot station add 添加`);
    station.countingFrom = day;
    const saved = await repo.save(station);
    // The summaries of the station's days are recounted from the new start.
    await this.ds.query(`UPDATE daily_rollup SET updated_at = now() WHERE station_id = $1`, [station.id]);
    return saved;
  }

  async list(): Promise<Array<Station & { countyName: string }>> {
    const stations = await this.ds.getRepository(Station).find({ relations: { county: true }, order: { name: 'ASC' } });
    return stations.map((s) => Object.assign(s, { countyName: s.county?.name ?? '' }));
  }

  async findByName(name: string): Promise<Station | null> {
    return this.ds.getRepository(Station).findOneBy({ name });
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
