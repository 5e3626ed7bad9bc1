import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { PrincipalKind } from './console-session.entity';

/**
 * A one-time console sign-in link (`登录` sent to the bot, or the demo link at start-up). Only the
 * SHA-256 of the ticket is stored; redeeming it sets `used_at`, once, before `expires_at`.
 */
@Entity({ name: 'console_login_ticket' })
@Index('ix_console_login_ticket_expires', ['expiresAt'])
export class ConsoleLoginTicket {
  @PrimaryColumn({ name: 'ticket_sha256', type: 'char', length: 64, primaryKeyConstraintName: 'PK_console_login_ticket' })
  ticketSha256: string;

  @Column({ name: 'principal_kind', type: 'varchar', length: 16 })
  principalKind: PrincipalKind;

  /** operator_account.id, county_staff.id or station_manager.id, by principal_kind. */
  @Column({ name: 'principal_id', type: 'integer' })
  principalId: number;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  /** When the ticket was redeemed; null while unused. */
  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt: Date | null;
}
