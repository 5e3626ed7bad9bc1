import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { BotAccount } from './bot-account.entity';
import { Station } from './station.entity';

/** A WeChat group the bot sits in; shares count only once it is bound to a station. */
@Entity({ name: 'wechat_group' })
export class WechatGroup {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Column({ name: 'room_id', type: 'varchar', length: 128, unique: true })
  roomId: string;

  @Column({ type: 'varchar', length: 128, default: '' })
  topic: string;

  @Column({ name: 'station_id', type: 'integer', nullable: true })
  stationId: number | null;

  @ManyToOne(() => Station, { nullable: true, onDelete: 'SET NULL' })
  @JoinColumn({ name: 'station_id' })
  station?: Station | null;

  @Column({ name: 'bound_at', type: 'timestamptz', nullable: true })
  boundAt: Date | null;

  /** When the last message in the group arrived (written at most once a minute per group). */
  @Column({ name: 'last_message_at', type: 'timestamptz', nullable: true })
  lastMessageAt: Date | null;

  /** Members when the bot last listed its rooms (at login or when added), null if never listed. */
  @Column({ name: 'member_count', type: 'integer', nullable: true })
  memberCount: number | null;

  /**
   * The one bot account that speaks in the group (replies, prompts, reminders, rankings); null
   * while no healthy account is in it. Chosen by the election (services/group-speakers.service.ts).
   */
  @Column({ name: 'speaker_account_id', type: 'integer', nullable: true })
  speakerAccountId: number | null;

  @ManyToOne(() => BotAccount, { nullable: true, onDelete: 'SET NULL' })
  @JoinColumn({ name: 'speaker_account_id', foreignKeyConstraintName: 'FK_wechat_group_speaker' })
  speaker?: BotAccount | null;

  /** The operator's pin: this account speaks whenever it is healthy and in the group. */
  @Column({ name: 'speaker_pinned_account_id', type: 'integer', nullable: true })
  speakerPinnedAccountId: number | null;

  @ManyToOne(() => BotAccount, { nullable: true, onDelete: 'SET NULL' })
  @JoinColumn({ name: 'speaker_pinned_account_id', foreignKeyConstraintName: 'FK_wechat_group_speaker_pinned' })
  speakerPinned?: BotAccount | null;

  /** When the speaker last changed. */
  @Column({ name: 'speaker_since', type: 'timestamptz', nullable: true })
  speakerSince: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
