import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { BotAccount } from './bot-account.entity';

/**
 * An account listened from `startedAt` to `endedAt`: connected to its puppet service, logged in,
 * and driven by a process holding a fresh lease. The holding process opens an interval when the
 * account starts listening and moves `endedAt` forward with every heartbeat; when the account
 * stops listening (reconnect, logout, pause) or its process dies, the interval simply stops
 * growing. A group's unheard windows are the complement of the union of its accounts' intervals.
 */
@Entity({ name: 'account_listen_interval' })
@Index('ix_account_listen_interval_account', ['accountId', 'endedAt'])
export class AccountListenInterval {
  @PrimaryGeneratedColumn({ type: 'bigint', primaryKeyConstraintName: 'PK_account_listen_interval' })
  id: string;

  @Column({ name: 'account_id', type: 'integer' })
  accountId: number;

  @ManyToOne(() => BotAccount, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'account_id', foreignKeyConstraintName: 'FK_account_listen_interval_account' })
  account?: BotAccount;

  @Column({ name: 'started_at', type: 'timestamptz' })
  startedAt: Date;

  @Column({ name: 'ended_at', type: 'timestamptz' })
  endedAt: Date;
}
