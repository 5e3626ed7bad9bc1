import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sending like a careful person (issue 15): each account's send slot remembers the group it last
 * spoke in (a switch to another group waits longer) and the times of its sends in the last
 * minute (at most SEND_PER_MINUTE in any 60 s).
 */
export class SendPacing1765520000000 implements MigrationInterface {
  name = 'SendPacing1765520000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "wechat_send_slot" ADD "last_conversation" character varying(128)');
    await queryRunner.query(`ALTER TABLE "wechat_send_slot" ADD "recent_sent_at" TIMESTAMP WITH TIME ZONE array NOT NULL DEFAULT '{}'`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "wechat_send_slot" DROP COLUMN "recent_sent_at"');
    await queryRunner.query('ALTER TABLE "wechat_send_slot" DROP COLUMN "last_conversation"');
  }
}
