import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { Region } from './region.entity';

/** Where an account row came from: the CLI ('db'), WECHATY_PUPPET_SERVICE_* ('env'), the demo, or a test's mock puppet. */
export type BotAccountSource = 'db' | 'env' | 'demo' | 'test';

/**
 * A WeChat account the bot logs in through a puppet service. Accounts are data: added, paused
 * and removed at run time (`kepubot account ...`); each kepubot process drives only the
 * accounts it holds a lease on (bot_account_lease). The status columns are written by the
 * holding process, so every process (and the console) can show them.
 */
@Entity({ name: 'bot_account' })
export class BotAccount {
  @PrimaryGeneratedColumn({ type: 'integer', primaryKeyConstraintName: 'PK_bot_account' })
  id: number;

  /** The operator's name for the account (unique, also after removal: history keeps it). */
  @Index('uq_bot_account_name', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  name: string;

  /** The puppet service, host:port (null: discovered from the token). */
  @Column({ type: 'varchar', length: 255, nullable: true })
  endpoint: string | null;

  /** A secret: never logged, never sent to the browser, never printed. Null for the env account (read from config). */
  @Column({ type: 'varchar', length: 255, nullable: true })
  token: string | null;

  /** TLS to the puppet service (false = `--insecure`). */
  @Column({ type: 'boolean', default: true })
  tls: boolean;

  @Column({ type: 'boolean', default: false })
  paused: boolean;

  /** Soft removal: the row stays so history may refer to it. */
  @Column({ name: 'removed_at', type: 'timestamptz', nullable: true })
  removedAt: Date | null;

  @Column({ type: 'varchar', length: 8, default: 'db' })
  source: BotAccountSource;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** starting / online / reconnecting / stopped, as the holding process last wrote it. */
  @Column({ type: 'varchar', length: 16, default: 'stopped' })
  state: string;

  @Column({ name: 'logged_in', type: 'boolean', default: false })
  loggedIn: boolean;

  /** The logged-in WeChat account's name (personal data: shown in the console and CLI, never logged). */
  @Column({ name: 'wechat_name', type: 'varchar', length: 128, nullable: true })
  wechatName: string | null;

  @Column({ name: 'wechat_user_id', type: 'varchar', length: 128, nullable: true })
  wechatUserId: string | null;

  /** The login QR code payload while the account waits for a scan (whoever scans it takes the account). */
  @Column({ type: 'text', nullable: true })
  qrcode: string | null;

  /** Groups the account is in, as last listed by the holding process. */
  @Column({ name: 'group_count', type: 'integer', nullable: true })
  groupCount: number | null;

  /** When the account last heard a message from someone else. */
  @Column({ name: 'last_event_at', type: 'timestamptz', nullable: true })
  lastEventAt: Date | null;

  /** The first login ever (a new account sends less in its first days). */
  @Column({ name: 'first_login_at', type: 'timestamptz', nullable: true })
  firstLoginAt: Date | null;

  /** When the holding process last wrote the status columns. */
  @Column({ name: 'status_at', type: 'timestamptz', nullable: true })
  statusAt: Date | null;

  /** WeChat restricted the account: it speaks in no group until then (groups move to another speaker). */
  @Column({ name: 'restricted_until', type: 'timestamptz', nullable: true })
  restrictedUntil: Date | null;

  /**
   * Since when the account looks dead although logged in: it heard nothing in its groups for
   * SUSPECT_ACCOUNT_MINUTES while other accounts there did (wechaty issue 2628). Null: not suspect.
   */
  @Column({ name: 'suspect_since', type: 'timestamptz', nullable: true })
  suspectSince: Date | null;
}

/** The counties an account serves (none: all). Their staff may see its login QR code. */
@Entity({ name: 'bot_account_county' })
export class BotAccountCounty {
  @PrimaryColumn({ name: 'account_id', type: 'integer', primaryKeyConstraintName: 'PK_bot_account_county' })
  accountId: number;

  @PrimaryColumn({ name: 'county_id', type: 'integer', primaryKeyConstraintName: 'PK_bot_account_county' })
  countyId: number;

  @ManyToOne(() => BotAccount, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'account_id', foreignKeyConstraintName: 'FK_bot_account_county_account' })
  account?: BotAccount;

  @ManyToOne(() => Region, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'county_id', foreignKeyConstraintName: 'FK_bot_account_county_county' })
  county?: Region;
}

/**
 * Which process drives an account. Times are PostgreSQL's now(), never a process clock. The
 * fencing token grows with every new acquisition; every send checks it in its booking transaction.
 */
@Entity({ name: 'bot_account_lease' })
export class BotAccountLease {
  @PrimaryColumn({ name: 'account_id', type: 'integer', primaryKeyConstraintName: 'PK_bot_account_lease' })
  accountId: number;

  @ManyToOne(() => BotAccount, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'account_id', foreignKeyConstraintName: 'FK_bot_account_lease_account' })
  account?: BotAccount;

  /** hostname:pid:random of the holding process. */
  @Column({ type: 'varchar', length: 128 })
  holder: string;

  @Column({ name: 'fencing_token', type: 'bigint' })
  fencingToken: string;

  @Column({ name: 'heartbeat_at', type: 'timestamptz' })
  heartbeatAt: Date;

  @Column({ name: 'acquired_at', type: 'timestamptz' })
  acquiredAt: Date;
}
