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

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
