import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { Informant } from './informant.entity';
import { Station } from './station.entity';

/**
 * One stretch of days an informant was on a station's active roster (docs/统计口径.md 在册区间):
 * joined on `fromDay`, left after `toDay` (both Asia/Shanghai days, inclusive); `toDay` is null
 * while the informant is still on the roster. Disabling closes the open interval, re-enabling
 * opens a new one; informant-days exist only inside these intervals.
 */
@Entity({ name: 'informant_roster' })
@Index('ix_informant_roster_station', ['stationId', 'fromDay'])
@Index('ix_informant_roster_informant', ['informantId', 'fromDay'])
@Index('uq_informant_roster_open', ['countyId', 'informantId'], { unique: true, where: '"to_day" IS NULL' })
export class InformantRoster {
  /** The county (region id) of the row's station: the distribution column, first in every key. */
  @PrimaryColumn({ name: 'county_id', type: 'integer', primaryKeyConstraintName: 'PK_informant_roster' })
  countyId: number;

  @PrimaryGeneratedColumn({ type: 'integer', primaryKeyConstraintName: 'PK_informant_roster' })
  id: number;

  @Column({ name: 'informant_id', type: 'integer' })
  informantId: number;

  @ManyToOne(() => Informant, { onDelete: 'CASCADE' })
  @JoinColumn([
    { name: 'county_id', referencedColumnName: 'countyId', foreignKeyConstraintName: 'FK_informant_roster_informant' },
    { name: 'informant_id', referencedColumnName: 'id', foreignKeyConstraintName: 'FK_informant_roster_informant' },
  ])
  informant?: Informant;

  @Column({ name: 'station_id', type: 'integer' })
  stationId: number;

  @ManyToOne(() => Station, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'station_id' })
  station?: Station;

  /** First day on the roster. */
  @Column({ name: 'from_day', type: 'date' })
  fromDay: string;

  /** Last day on the roster; null while still on it. */
  @Column({ name: 'to_day', type: 'date', nullable: true })
  toDay: string | null;

  /** When the interval last changed: the summary refresh recounts station_roster_day from here. */
  @Index('ix_informant_roster_updated_at')
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
