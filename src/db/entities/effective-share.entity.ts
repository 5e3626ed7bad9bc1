import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A distinct (sender, content item, day): the unit of quotas and rankings. */
@Entity({ name: 'effective_share' })
@Index('ix_effective_share_informant_day', ['informantId', 'day'])
export class EffectiveShare {
  @PrimaryColumn({ name: 'talker_id', type: 'varchar', length: 128 })
  talkerId: string;

  @PrimaryColumn({ name: 'content_key', type: 'varchar', length: 512 })
  contentKey: string;

  @PrimaryColumn({ type: 'date' })
  day: string;

  @Column({ name: 'informant_id', type: 'integer', nullable: true })
  informantId: number | null;

  @Column({ name: 'message_id', type: 'varchar', length: 128 })
  messageId: string;
}
