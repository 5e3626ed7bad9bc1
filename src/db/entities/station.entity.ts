import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { STATION_STATUSES, type StationStatus } from '../../domain/county-policy';
import { Region } from './region.entity';

export const STATION_TYPES = [
  'community',
  'township',
  'village',
  'school',
  'enterprise',
  'hospital',
  'base',
  'association',
  'other',
] as const;
export type StationType = (typeof STATION_TYPES)[number];
export type { StationStatus };

/** A 科普中国e站: a grassroots site with its informants, groups and activities. Its name is unique within its county. */
@Entity({ name: 'station' })
@Index('uq_station_county_name', ['countyId', 'name'], { unique: true })
@Check('chk_station_status', `"status" IN (${STATION_STATUSES.map((s) => `'${s}'`).join(', ')})`)
export class Station {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Column({ type: 'varchar', length: 128 })
  name: string;

  @Column({ type: 'varchar', length: 16, default: 'other' })
  type: StationType;

  @Column({ name: 'county_id', type: 'integer' })
  countyId: number;

  @ManyToOne(() => Region, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'county_id' })
  county?: Region;

  @Column({ type: 'varchar', length: 16, default: 'active' })
  status: StationStatus;

  /**
   * The first day the station counts (docs/统计口径.md 统计开始日): the day its first group was
   * bound, or the day the county set (`kepubot station set --counting-from`). Null until then;
   * statistics fall back to the earliest bound_at of its groups.
   */
  @Column({ name: 'counting_from', type: 'date', nullable: true })
  countingFrom: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
