import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Station } from './station.entity';

import { ACTIVITY_TYPES, type ActivityType } from '../../domain/station-commands';

export { ACTIVITY_TYPES, type ActivityType };

/** An offline activity a station held (logged by its managers). */
@Entity({ name: 'activity' })
@Index('ix_activity_station_date', ['stationId', 'date'])
@Index('uq_activity_active', ['stationId', 'date', 'type', 'title'], { unique: true, where: `status = 'active'` })
export class Activity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Column({ name: 'station_id', type: 'integer' })
  stationId: number;

  @ManyToOne(() => Station, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'station_id' })
  station?: Station;

  @Column({ type: 'date' })
  date: string;

  @Column({ type: 'varchar', length: 16 })
  type: ActivityType;

  @Column({ type: 'varchar', length: 200 })
  title: string;

  @Column({ type: 'integer' })
  participants: number;

  @Column({ type: 'varchar', length: 200, nullable: true })
  place: string | null;

  @Column({ type: 'varchar', length: 16, default: 'active' })
  status: 'active' | 'withdrawn';

  @Column({ name: 'created_by', type: 'varchar', length: 128 })
  createdBy: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', nullable: true })
  updatedAt: Date | null;
}
