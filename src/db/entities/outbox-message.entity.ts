import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type OutboxState = 'queued' | 'sending' | 'sent' | 'failed' | 'expired' | 'uncertain';
export type OutboxChannel = 'wechat-room' | 'wecom-app' | 'wecom-webhook' | 'wechat-contact';

/** What an outgoing message carries (JSON). */
export interface OutboxPayload {
  text: string;
  /** WeChat contact ids to @-mention in a room. */
  mentions?: string[];
  /** A file to send after the text (xlsx or png), base64. */
  file?: { name: string; base64: string };
  markdown?: boolean;
}

/**
 * The send queue, in PostgreSQL: one row per (run, recipient), so a restart neither loses nor
 * repeats a message, and several instances share the work (FOR UPDATE SKIP LOCKED).
 */
@Entity({ name: 'outbox_message' })
@Index('uq_outbox_run_recipient', ['runId', 'recipient'], { unique: true })
@Index('ix_outbox_state_due', ['state', 'dueAt'])
export class OutboxMessage {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'run_id', type: 'integer' })
  runId: number;

  @Column({ type: 'varchar', length: 16 })
  channel: OutboxChannel;

  /** Room id, WeCom user list (a|b), webhook URL or contact id. */
  @Column({ type: 'varchar', length: 600 })
  recipient: string;

  @Column({ type: 'jsonb' })
  payload: OutboxPayload;

  @Column({ type: 'varchar', length: 16, default: 'queued' })
  state: OutboxState;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'due_at', type: 'timestamptz' })
  dueAt: Date;

  /** After this instant the message is no longer useful (a reminder for a past evening). */
  @Column({ name: 'valid_until', type: 'timestamptz', nullable: true })
  validUntil: Date | null;

  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true })
  sentAt: Date | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
