import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A distinct (sender, content item, day) in a county: the unit of quotas and rankings. Stored as
 * monthly partitions by day (src/db/partitioning.ts); the day is part of the key.
 */
@Entity({ name: 'effective_share' })
@Index('ix_effective_share_informant_day', ['informantId', 'day'])
export class EffectiveShare {
  /** The county (region id) of the row's station: the distribution column, first in every key. */
  @PrimaryColumn({ name: 'county_id', type: 'integer', primaryKeyConstraintName: 'PK_effective_share' })
  countyId: number;

  @PrimaryColumn({ name: 'talker_id', type: 'varchar', length: 128, primaryKeyConstraintName: 'PK_effective_share' })
  talkerId: string;

  @PrimaryColumn({ name: 'content_key', type: 'varchar', length: 512, primaryKeyConstraintName: 'PK_effective_share' })
  contentKey: string;

  @PrimaryColumn({ type: 'date', primaryKeyConstraintName: 'PK_effective_share' })
  day: string;

  @Column({ name: 'informant_id', type: 'integer', nullable: true })
  informantId: number | null;

  @Column({ name: 'message_id', type: 'varchar', length: 128 })
  messageId: string;
}
