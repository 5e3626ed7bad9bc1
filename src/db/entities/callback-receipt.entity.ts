import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One WeCom / Official Account callback, keyed by sender and MsgId (events: sender + CreateTime),
 * so a retried callback is answered with the same reply and never runs its command twice. Deleted
 * once its retry window is over (CallbackReceiptService.prune).
 */
@Entity({ name: 'callback_receipt' })
@Index('ix_callback_receipt_received', ['receivedAt'])
export class CallbackReceipt {
  @PrimaryColumn({ type: 'varchar', length: 16 })
  channel: string;

  @PrimaryColumn({ name: 'dedupe_key', type: 'varchar', length: 160 })
  dedupeKey: string;

  /** Null while the command is still running; '' when the answer was withheld. */
  @Column({ type: 'text', nullable: true })
  reply: string | null;

  /**
   * The answer carried a secret (a one-time console link) and is not kept: a retry runs the
   * command again and gets a fresh one.
   */
  @Column({ type: 'boolean', default: false })
  withheld: boolean;

  @CreateDateColumn({ name: 'received_at', type: 'timestamptz' })
  receivedAt: Date;

  @Column({ name: 'answered_at', type: 'timestamptz', nullable: true })
  answeredAt: Date | null;
}
