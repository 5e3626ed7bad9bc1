import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One share: one content item of a message in a bound group. message_id is the share id: the
 * message key (src/domain/message-key.ts; the WeChat message id before issue 15) for a message's
 * first item, `<key>#<n>` for its n-th (shareIdOf). Unique, so a replayed message, or the same
 * message heard by a second account, is never counted twice. informantId is null while the sender is
 * unconfirmed. Stored as monthly partitions by day (migration 1765700000000, src/db/partitioning.ts):
 * one row per share id holds as (county_id, day, message_id), since a share id fixes its day and county.
 */
@Entity({ name: 'share_event' })
@Index('ix_share_event_talker_day', ['talkerId', 'day'])
@Index('ix_share_event_station_day', ['stationId', 'day'])
@Index('uq_share_event_message', ['countyId', 'day', 'messageId'], { unique: true })
@Index('ix_share_event_unconfirmed', ['stationId', 'talkerId'], { where: '"informant_id" IS NULL' })
export class ShareEvent {
  /** The county (region id) of the row's station: the distribution column, first in every key. */
  @PrimaryColumn({ name: 'county_id', type: 'integer', primaryKeyConstraintName: 'PK_share_event' })
  countyId: number;

  /** Calendar day of sentAt in Asia/Shanghai (the partition column). */
  @PrimaryColumn({ type: 'date', primaryKeyConstraintName: 'PK_share_event' })
  day: string;

  @PrimaryGeneratedColumn({ type: 'bigint', primaryKeyConstraintName: 'PK_share_event' })
  id: string;

  @Column({ name: 'message_id', type: 'varchar', length: 128 })
  messageId: string;

  @Column({ name: 'room_id', type: 'varchar', length: 128 })
  roomId: string;

  /** The station of the group the share was made in. */
  @Column({ name: 'station_id', type: 'integer' })
  stationId: number;

  @Column({ name: 'talker_id', type: 'varchar', length: 128 })
  talkerId: string;

  @Column({ name: 'talker_name', type: 'varchar', length: 128, default: '' })
  talkerName: string;

  @Column({ name: 'informant_id', type: 'integer', nullable: true })
  informantId: number | null;

  @Column({ name: 'content_key', type: 'varchar', length: 512 })
  contentKey: string;

  @Column({ type: 'text' })
  url: string;

  @Column({ type: 'text', nullable: true })
  title: string | null;

  /** 'url' (link card), 'mini-program' or 'text'. */
  @Column({ name: 'message_type', type: 'varchar', length: 16 })
  messageType: string;

  @Column({ name: 'sent_at', type: 'timestamptz' })
  sentAt: Date;

  /** True when this message was the first share of its item by this sender that day. */
  @Column({ type: 'boolean' })
  effective: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
