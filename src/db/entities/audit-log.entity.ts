import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type AuditOutcome = 'ok' | 'invalid' | 'refused' | 'error';

/** Every command run through the bot or the CLI, accepted or not. */
@Entity({ name: 'audit_log' })
@Index('ix_audit_log_at', ['at'])
export class AuditLog {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @CreateDateColumn({ type: 'timestamptz' })
  at: Date;

  /** wechat-group, wechat-private, wecom, mp or cli. */
  @Column({ type: 'varchar', length: 16 })
  channel: string;

  @Column({ name: 'sender_id', type: 'varchar', length: 128 })
  senderId: string;

  @Column({ name: 'sender_name', type: 'varchar', length: 128, default: '' })
  senderName: string;

  @Column({ name: 'station_id', type: 'integer', nullable: true })
  stationId: number | null;

  @Column({ name: 'listener_id', type: 'varchar', length: 64 })
  listenerId: string;

  @Column({ type: 'text' })
  command: string;

  @Column({ type: 'varchar', length: 16 })
  outcome: AuditOutcome;

  @Column({ type: 'text', default: '' })
  detail: string;

  /** SHA-256 (hex) of the full sender id when it was longer than the column; null when stored whole. */
  @Column({ name: 'sender_id_sha256', type: 'char', length: 64, nullable: true })
  senderIdSha256: string | null;

  /** SHA-256 (hex) of the full command text when it was shortened; null when stored whole. */
  @Column({ name: 'command_sha256', type: 'char', length: 64, nullable: true })
  commandSha256: string | null;
}
