import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Region } from './region.entity';

/** County association staff: may read every station's figures in their county; their ids on the channels are rows of person_identity. */
@Entity({ name: 'county_staff' })
export class CountyStaff {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Column({ name: 'county_id', type: 'integer' })
  countyId: number;

  @ManyToOne(() => Region, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'county_id' })
  county?: Region;

  @Column({ type: 'varchar', length: 64, nullable: true })
  name: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
