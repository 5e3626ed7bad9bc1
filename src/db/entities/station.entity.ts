import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
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
export type StationStatus = 'active' | 'rectifying' | 'revoked';

/** A 科普中国e站: a grassroots site with its informants, groups and activities. */
@Entity({ name: 'station' })
export class Station {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Column({ type: 'varchar', length: 128, unique: true })
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

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
