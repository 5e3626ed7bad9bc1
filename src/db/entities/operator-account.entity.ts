import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';

/** An operator of the console (the IT person): signs in with a name and a password (argon2id hash). */
@Entity({ name: 'operator_account' })
@Unique('UQ_operator_account_name', ['name'])
export class OperatorAccount {
  @PrimaryGeneratedColumn({ type: 'integer', primaryKeyConstraintName: 'PK_operator_account' })
  id: number;

  @Column({ type: 'varchar', length: 64 })
  name: string;

  /** The argon2id hash in PHC string form; the password itself is never stored. */
  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
