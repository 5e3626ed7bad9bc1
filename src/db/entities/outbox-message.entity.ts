import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type OutboxState = 'queued' | 'sending' | 'sent' | 'failed' | 'expired' | 'uncertain';
/** demo: the demo county's inbox; the message is kept here (its payload) and shown in the console, never sent. */
export type OutboxChannel = 'wechat-room' | 'wecom-app' | 'wecom-webhook' | 'wechat-contact' | 'demo';

/**
 * What an outgoing message carries (JSON). A job plans text and file together; the outbox stores
 * them as separate parts (the text part with an empty `file`, the file part with empty `text`).
 */
export interface OutboxPayload {
  /** Empty in a file part. */
  text: string;
  /** WeChat contact ids to @-mention in a room. */
  mentions?: string[];
  /** A file to send after the text (xlsx or png), base64. */
  file?: { name: string; base64: string };
  markdown?: boolean;
}

/**
 * The send queue, in PostgreSQL: one row per (run, round, recipient, part), so a restart neither
 * loses nor repeats a message, a failed file never repeats its text, and several instances share
 * the work (FOR UPDATE SKIP LOCKED).
 */
@Entity({ name: 'outbox_message' })
@Index('uq_outbox_run_part', ['runId', 'round', 'recipient', 'part'], { unique: true })
@Index('ix_outbox_state_due', ['state', 'dueAt'])
export class OutboxMessage {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  /** The job run; null for a reply relayed to the process that holds the group's speaker. */
  @Column({ name: 'run_id', type: 'integer', nullable: true })
  runId: number | null;

  /** The run's round: 0 normally, 1, 2, … for each `--resend`. */
  @Column({ type: 'integer', default: 0 })
  round: number;

  /** 0 the text, 1 the file after it; a part is sent only once the parts before it are settled. */
  @Column({ type: 'smallint', default: 0 })
  part: number;

  @Column({ type: 'varchar', length: 16 })
  channel: OutboxChannel;

  /** Room id, WeCom user list (a|b), webhook URL, contact id, or the demo county's scope (county:<id>). */
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

/** A planned message as stored: its text part, then its file part (each its own outbox entry). */
export function outboxParts(payload: OutboxPayload): OutboxPayload[] {
  const { file, ...text } = payload;
  if (!file) return [text];
  return text.text ? [text, { text: '', file }] : [{ text: '', file }];
}

/** Sends one outgoing message through its channel; throws when it failed. */
export type Deliver = (message: OutboxMessage) => Promise<void>;
