import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { Station } from './station.entity';

export type InformantStatus = 'active' | 'disabled';

/** A 科普信息员 on a station's roster, optionally bound to the WeChat contact that shares. */
@Entity({ name: 'informant' })
@Index('ix_informant_station_name', ['stationId', 'name'])
// One WeChat contact = one informant: unique within the county here, and across counties checked by
// the bind (InformantService), the only writer of the contact, under the exclusive share lock.
@Index('uq_informant_wechat_contact', ['countyId', 'wechatContactId'], { unique: true })
@Index('ix_informant_wechat_contact', ['wechatContactId'])
export class Informant {
  /** The county (region id) of the row's station: the distribution column, first in every key. */
  @PrimaryColumn({ name: 'county_id', type: 'integer', primaryKeyConstraintName: 'PK_informant' })
  countyId: number;

  @PrimaryGeneratedColumn({ type: 'integer', primaryKeyConstraintName: 'PK_informant' })
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

  @Column({ name: 'wechat_contact_id', type: 'varchar', length: 128, nullable: true })
  wechatContactId: string | null;

  @Column({ type: 'varchar', length: 16, default: 'active' })
  status: InformantStatus;

  @Column({ name: 'bound_at', type: 'timestamptz', nullable: true })
  boundAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
