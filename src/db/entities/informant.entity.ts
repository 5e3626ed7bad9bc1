import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Station } from './station.entity';

export type InformantStatus = 'active' | 'disabled';

/** A 科普信息员 on a station's roster, optionally bound to the WeChat contact that shares. */
@Entity({ name: 'informant' })
@Index('ix_informant_station_name', ['stationId', 'name'])
export class Informant {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Column({ name: 'station_id', type: 'integer' })
  stationId: number;

  @ManyToOne(() => Station, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'station_id' })
  station?: Station;

  @Column({ type: 'varchar', length: 64 })
  name: string;

  @Column({ type: 'varchar', length: 20, nullable: true })
  phone: string | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  note: string | null;

  @Index('uq_informant_wechat_contact', { unique: true })
  @Column({ name: 'wechat_contact_id', type: 'varchar', length: 128, nullable: true })
  wechatContactId: string | null;

  @Column({ type: 'varchar', length: 16, default: 'active' })
  status: InformantStatus;

  @Column({ name: 'bound_at', type: 'timestamptz', nullable: true })
  boundAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
