import { Column, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** Per informant and day: raw and effective shares, kept current as shares arrive. */
@Entity({ name: 'daily_rollup' })
@Index('ix_daily_rollup_station_day', ['stationId', 'day'])
@Index('ix_daily_rollup_updated_at', ['updatedAt'])
export class DailyRollup {
  /** The county (region id) of the row's station: the distribution column, first in every key. */
  @PrimaryColumn({ name: 'county_id', type: 'integer', primaryKeyConstraintName: 'PK_daily_rollup' })
  countyId: number;

  @PrimaryColumn({ name: 'informant_id', type: 'integer', primaryKeyConstraintName: 'PK_daily_rollup' })
  informantId: number;

  @PrimaryColumn({ type: 'date', primaryKeyConstraintName: 'PK_daily_rollup' })
  day: string;

  /** The informant's station. */
  @Column({ name: 'station_id', type: 'integer' })
  stationId: number;

  @Column({ name: 'raw_shares', type: 'integer', default: 0 })
  rawShares: number;

  @Column({ name: 'effective_shares', type: 'integer', default: 0 })
  effectiveShares: number;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
