import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A group message acted on once, whichever account heard it first: the key is the message key
 * (src/domain/message-key.ts) and what is claimed (`<key>:command`, `<key>:prompt`). Rows older
 * than a day are deleted (a message that old is stale and never handled again).
 */
@Entity({ name: 'message_claim' })
export class MessageClaim {
  @PrimaryColumn({ type: 'varchar', length: 80, primaryKeyConstraintName: 'PK_message_claim' })
  key: string;

  @Index('ix_message_claim_claimed_at')
  @Column({ name: 'claimed_at', type: 'timestamptz', default: () => 'now()' })
  claimedAt: Date;
}
