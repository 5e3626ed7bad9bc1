import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Station } from './station.entity';

/** A person who runs one station; reachable on WeCom, the Official Account or WeChat. */
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

  @Column({ name: 'wecom_user_id', type: 'varchar', length: 64, nullable: true })
  wecomUserId: string | null;

  @Column({ name: 'mp_openid', type: 'varchar', length: 64, nullable: true })
  mpOpenid: string | null;

  @Column({ name: 'wechat_contact_id', type: 'varchar', length: 128, nullable: true })
  wechatContactId: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
