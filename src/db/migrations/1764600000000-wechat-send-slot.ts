import type { MigrationInterface, QueryRunner } from 'typeorm';

/** One send budget per WeChat account, shared by immediate replies and the send queue. */
export class WechatSendSlot1764600000000 implements MigrationInterface {
  name = 'WechatSendSlot1764600000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "wechat_send_slot" ("account" character varying(64) NOT NULL, "last_sent_at" TIMESTAMP WITH TIME ZONE, "day" date, "sent_today" integer NOT NULL DEFAULT 0, CONSTRAINT "PK_wechat_send_slot" PRIMARY KEY ("account"))',
    );
    // Carry over what the send queue already sent today, so the spacing and the cap hold across the upgrade.
    await queryRunner.query(
      `INSERT INTO "wechat_send_slot" ("account", "last_sent_at", "day", "sent_today")
       SELECT 'default', max(sent_at), (now() AT TIME ZONE 'Asia/Shanghai')::date,
              count(*) FILTER (WHERE (sent_at AT TIME ZONE 'Asia/Shanghai')::date = (now() AT TIME ZONE 'Asia/Shanghai')::date)::int
       FROM outbox_message WHERE channel IN ('wechat-room', 'wechat-contact') AND sent_at IS NOT NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "wechat_send_slot"');
  }
}
