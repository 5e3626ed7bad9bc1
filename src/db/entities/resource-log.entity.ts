import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Station } from './station.entity';

export type ResourceKind = 'bulletin' | 'screen';

/** Use of a station's resources (seeds): bulletin board changes and big-screen hours. */
@Entity({ name: 'resource_log' })
@Index('ix_resource_log_station_date', ['stationId', 'date'])
export class ResourceLog {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Column({ name: 'station_id', type: 'integer' })
  stationId: number;

  @ManyToOne(() => Station, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'station_id' })
  station?: Station;

  @Column({ type: 'varchar', length: 16 })
  kind: ResourceKind;

  @Column({ type: 'date' })
  date: string;

  /** Bulletin board: the new theme. */
  @Column({ type: 'varchar', length: 200, nullable: true })
  topic: string | null;

  /** Big screen: hours played. */
  @Column({ type: 'numeric', precision: 5, scale: 1, nullable: true })
  hours: string | null;

  @Column({ name: 'created_by', type: 'varchar', length: 128 })
  createdBy: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
