import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * Summaries derived from daily_rollup (StatisticsService.refresh keeps them current), so a
 * county ranking over a week, month or quarter reads thousands of rows instead of millions.
 */

/** Per station and day: sums over its informants. */
@Entity({ name: 'station_day' })
export class StationDay {
  /** The county (region id) of the row's station: the distribution column, first in every key. */
  @PrimaryColumn({ name: 'county_id', type: 'integer', primaryKeyConstraintName: 'PK_station_day' })
  countyId: number;

  @PrimaryColumn({ name: 'station_id', type: 'integer', primaryKeyConstraintName: 'PK_station_day' })
  stationId: number;

  @PrimaryColumn({ type: 'date', primaryKeyConstraintName: 'PK_station_day' })
  day: string;

  /** Informants with at least one effective share that day. */
  @Column({ name: 'active_informants', type: 'integer' })
  activeInformants: number;

  @Column({ name: 'raw_shares', type: 'integer' })
  rawShares: number;

  @Column({ name: 'effective_shares', type: 'integer' })
  effectiveShares: number;

  /** Informants who met the quota that day. */
  @Column({ name: 'quota_met', type: 'integer' })
  quotaMet: number;
}

/** Per informant and ISO week ('w'), calendar month ('m') or quarter ('q'). */
@Entity({ name: 'informant_period' })
@Index('ix_informant_period_station', ['stationId', 'kind', 'periodStart'])
export class InformantPeriod {
  /** The county (region id) of the row's station: the distribution column, first in every key. */
  @PrimaryColumn({ name: 'county_id', type: 'integer', primaryKeyConstraintName: 'PK_informant_period' })
  countyId: number;

  @PrimaryColumn({ name: 'informant_id', type: 'integer', primaryKeyConstraintName: 'PK_informant_period' })
  informantId: number;

  @PrimaryColumn({ type: 'char', length: 1, primaryKeyConstraintName: 'PK_informant_period' })
  kind: 'w' | 'm' | 'q';

  @PrimaryColumn({ name: 'period_start', type: 'date', primaryKeyConstraintName: 'PK_informant_period' })
  periodStart: string;

  @Column({ name: 'station_id', type: 'integer' })
  stationId: number;

  @Column({ name: 'effective_shares', type: 'integer' })
  effectiveShares: number;

  /** Counted days with at least one effective share. */
  @Column({ name: 'active_days', type: 'integer', default: 0 })
  activeDays: number;

  /** Counted days with the quota met. */
  @Column({ name: 'quota_met_days', type: 'integer', default: 0 })
  quotaMetDays: number;
}

/**
 * Per station and day: roster intervals starting that day (`joins`) and ending the day before
 * (`leaves`), so informants on the roster and informant-days over any range are sums over a
 * few rows (docs/统计口径.md 信息员人天) instead of a scan of every interval.
 */
@Entity({ name: 'station_roster_day' })
export class StationRosterDay {
  /** The county (region id) of the row's station: the distribution column, first in every key. */
  @PrimaryColumn({ name: 'county_id', type: 'integer', primaryKeyConstraintName: 'PK_station_roster_day' })
  countyId: number;

  @PrimaryColumn({ name: 'station_id', type: 'integer', primaryKeyConstraintName: 'PK_station_roster_day' })
  stationId: number;

  @PrimaryColumn({ type: 'date', primaryKeyConstraintName: 'PK_station_roster_day' })
  day: string;

  @Column({ type: 'integer' })
  joins: number;

  @Column({ type: 'integer' })
  leaves: number;
}

/** Per station and week, month or quarter: informants with at least one effective share. */
@Entity({ name: 'station_period' })
export class StationPeriod {
  /** The county (region id) of the row's station: the distribution column, first in every key. */
  @PrimaryColumn({ name: 'county_id', type: 'integer', primaryKeyConstraintName: 'PK_station_period' })
  countyId: number;

  @PrimaryColumn({ name: 'station_id', type: 'integer', primaryKeyConstraintName: 'PK_station_period' })
  stationId: number;

  @PrimaryColumn({ type: 'char', length: 1, primaryKeyConstraintName: 'PK_station_period' })
  kind: 'w' | 'm' | 'q';

  @PrimaryColumn({ name: 'period_start', type: 'date', primaryKeyConstraintName: 'PK_station_period' })
  periodStart: string;

  @Column({ name: 'active_informants', type: 'integer' })
  activeInformants: number;
}

/** How far the summaries have been brought up to date (one row). */
@Entity({ name: 'summary_watermark' })
export class SummaryWatermark {
  @PrimaryColumn({ type: 'integer' })
  id: number;

  /** The latest daily_rollup.updated_at taken into the summaries. */
  @Column({ name: 'refreshed_to', type: 'timestamptz' })
  refreshedTo: Date;

  /** Start of the oldest transaction still open when that refresh ran (its rows may have been invisible to it). */
  @Column({ name: 'refreshed_at', type: 'timestamptz' })
  refreshedAt: Date;
}
