import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
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

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
