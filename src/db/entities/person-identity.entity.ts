import { Check, Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { CountyStaff } from './county-staff.entity';
import { StationManager } from './station-manager.entity';

/**
 * One id of a station manager or a county staff member on one channel (kind: a channel's identity
 * kind, src/domain/identity-kinds.ts). An id names one person; a person has at most one id of
 * each kind. Removed with the person (and with their station or county).
 */
@Entity({ name: 'person_identity' })
@Unique('UQ_person_identity_kind_external_id', ['kind', 'externalId'])
@Unique('UQ_person_identity_manager_kind', ['managerId', 'kind'])
@Unique('UQ_person_identity_staff_kind', ['staffId', 'kind'])
@Check('CHK_person_identity_one_person', 'num_nonnulls("manager_id", "staff_id") = 1')
export class PersonIdentity {
  @PrimaryGeneratedColumn({ type: 'integer', primaryKeyConstraintName: 'PK_person_identity' })
  id: number;

  @Column({ name: 'manager_id', type: 'integer', nullable: true })
  managerId: number | null;

  @ManyToOne(() => StationManager, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'manager_id', foreignKeyConstraintName: 'FK_person_identity_manager' })
  manager?: StationManager;

  @Column({ name: 'staff_id', type: 'integer', nullable: true })
  staffId: number | null;

  @ManyToOne(() => CountyStaff, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'staff_id', foreignKeyConstraintName: 'FK_person_identity_staff' })
  staff?: CountyStaff;

  @Column({ type: 'varchar', length: 32 })
  kind: string;

  @Column({ name: 'external_id', type: 'varchar', length: 128 })
  externalId: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
