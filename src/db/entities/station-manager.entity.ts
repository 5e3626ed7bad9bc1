import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Station } from './station.entity';

/** A person who runs one station; their ids on the channels are rows of person_identity. */
@Entity({ name: 'station_manager' })
export class StationManager {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Column({ name: 'station_id', type: 'integer' })
  stationId: number;

  @ManyToOne(() => Station, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'station_id' })
  station?: Station;

  @Column({ type: 'varchar', length: 64, nullable: true })
  name: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
