import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { BotAccount } from './bot-account.entity';

/**
 * Which bot accounts are in which WeChat group, and when each last heard it: written when an
 * account lists its rooms, joins or leaves one, and at most once a minute per (group, account)
 * when it hears a message. Every present account listens; the group's speaker is one of them.
 */
@Entity({ name: 'group_account' })
export class GroupAccount {
  @PrimaryColumn({ name: 'room_id', type: 'varchar', length: 128, primaryKeyConstraintName: 'PK_group_account' })
  roomId: string;

  @Index('ix_group_account_account')
  @PrimaryColumn({ name: 'account_id', type: 'integer', primaryKeyConstraintName: 'PK_group_account' })
  accountId: number;

  @ManyToOne(() => BotAccount, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'account_id', foreignKeyConstraintName: 'FK_group_account_account' })
  account?: BotAccount;

  @Column({ name: 'first_seen_at', type: 'timestamptz', default: () => 'now()' })
  firstSeenAt: Date;

  @Column({ name: 'last_heard_at', type: 'timestamptz', nullable: true })
  lastHeardAt: Date | null;

  /** In the group now; false once it left or was removed (left_at says when). */
  @Column({ type: 'boolean', default: true })
  present: boolean;

  @Column({ name: 'left_at', type: 'timestamptz', nullable: true })
  leftAt: Date | null;
}
