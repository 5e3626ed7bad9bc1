import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A callback signature already used: the (signature, timestamp, nonce) triple of one channel,
 * accepted once. A second delivery with the same triple is a retry only when its body is the same
 * (same SHA-256); any other body is refused. Deleted once the timestamp has left the window.
 */
@Entity({ name: 'callback_signature' })
@Index('ix_callback_signature_expires', ['expiresAt'])
export class CallbackSignature {
  @PrimaryColumn({ type: 'varchar', length: 16, primaryKeyConstraintName: 'PK_callback_signature' })
  channel: string;

  /** SHA-256 of the triple (signature, timestamp, nonce), so any nonce fits the key. */
  @PrimaryColumn({ name: 'triple_sha256', type: 'char', length: 64, primaryKeyConstraintName: 'PK_callback_signature' })
  tripleSha256: string;

  /** SHA-256 of the request body first sent with the triple. */
  @Column({ name: 'body_sha256', type: 'char', length: 64 })
  bodySha256: string;

  /** When the triple's timestamp leaves the window (after that the envelope refuses it anyway). */
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;
}
