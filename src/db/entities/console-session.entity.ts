import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Who a console session belongs to: an operator account, a county staff member or a station manager. */
export type PrincipalKind = 'operator' | 'staff' | 'manager';

/**
 * A signed-in console session. The cookie holds a random token; only its SHA-256 is stored, so
 * a copy of the table cannot be replayed. The CSRF token is sent back in `x-csrf-token` on writes.
 */
@Entity({ name: 'console_session' })
@Index('ix_console_session_expires', ['expiresAt'])
export class ConsoleSession {
  @PrimaryColumn({ name: 'token_sha256', type: 'char', length: 64, primaryKeyConstraintName: 'PK_console_session' })
  tokenSha256: string;

  @Column({ name: 'principal_kind', type: 'varchar', length: 16 })
  principalKind: PrincipalKind;

  /** operator_account.id, county_staff.id or station_manager.id, by principal_kind. */
  @Column({ name: 'principal_id', type: 'integer' })
  principalId: number;

  @Column({ name: 'csrf_token', type: 'char', length: 64 })
  csrfToken: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;
}
