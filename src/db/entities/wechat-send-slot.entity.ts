import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The bot's WeChat account's send budget, shared by every kepubot instance: when it last said
 * something (immediate replies and queued messages alike) and how much it said today.
 */
@Entity({ name: 'wechat_send_slot' })
export class WechatSendSlot {
  /** One row per WeChat account ('default': the account this deployment logs in). */
  @PrimaryColumn({ type: 'varchar', length: 64, primaryKeyConstraintName: 'PK_wechat_send_slot' })
  account: string;

  @Column({ name: 'last_sent_at', type: 'timestamptz', nullable: true })
  lastSentAt: Date | null;

  /** The day (Asia/Shanghai) `sentToday` counts. */
  @Column({ type: 'date', nullable: true })
  day: string | null;

  @Column({ name: 'sent_today', type: 'integer', default: 0 })
  sentToday: number;

  /** The conversation (room or contact id) of the last send: a switch to another waits longer. */
  @Column({ name: 'last_conversation', type: 'varchar', length: 128, nullable: true })
  lastConversation: string | null;

  /** The account's sends of the last minute (at most SEND_PER_MINUTE in any 60 s). */
  @Column({ name: 'recent_sent_at', type: 'timestamptz', array: true, default: () => "'{}'" })
  recentSentAt: Date[];
}
