import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * One WeCom / Official Account callback, keyed by MsgId (events: FromUserName + CreateTime), so a
 * retried callback is answered with the same reply and never runs its command twice.
 */
@Entity({ name: 'callback_receipt' })
export class CallbackReceipt {
  @PrimaryColumn({ type: 'varchar', length: 16 })
  channel: string;

  @PrimaryColumn({ name: 'dedupe_key', type: 'varchar', length: 160 })
  dedupeKey: string;

  /** Null while the command is still running. */
  @Column({ type: 'text', nullable: true })
  reply: string | null;

  @CreateDateColumn({ name: 'received_at', type: 'timestamptz' })
  receivedAt: Date;

  @Column({ name: 'answered_at', type: 'timestamptz', nullable: true })
  answeredAt: Date | null;
}
