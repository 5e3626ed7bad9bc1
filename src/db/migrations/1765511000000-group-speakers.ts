import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Groups and accounts (issue 15): group_account (which accounts are in which group, when each last
 * heard it), each group's speaker (the one account that speaks in it, and the operator's pin),
 * bot_account.restricted_until (an account WeChat restricted speaks nowhere until then), and
 * outbox entries without a job run (a reply relayed to the process that holds the speaker).
 */
export class GroupSpeakers1765511000000 implements MigrationInterface {
  name = 'GroupSpeakers1765511000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "group_account" ("room_id" character varying(128) NOT NULL, "account_id" integer NOT NULL, "first_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_heard_at" TIMESTAMP WITH TIME ZONE, "present" boolean NOT NULL DEFAULT true, "left_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_group_account" PRIMARY KEY ("room_id", "account_id"))`,
    );
    await queryRunner.query('CREATE INDEX "ix_group_account_account" ON "group_account" ("account_id")');
    await queryRunner.query(
      'ALTER TABLE "group_account" ADD CONSTRAINT "FK_group_account_account" FOREIGN KEY ("account_id") REFERENCES "bot_account"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query('ALTER TABLE "wechat_group" ADD "speaker_account_id" integer');
    await queryRunner.query('ALTER TABLE "wechat_group" ADD "speaker_pinned_account_id" integer');
    await queryRunner.query('ALTER TABLE "wechat_group" ADD "speaker_since" TIMESTAMP WITH TIME ZONE');
    await queryRunner.query(
      'ALTER TABLE "wechat_group" ADD CONSTRAINT "FK_wechat_group_speaker" FOREIGN KEY ("speaker_account_id") REFERENCES "bot_account"("id") ON DELETE SET NULL ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "wechat_group" ADD CONSTRAINT "FK_wechat_group_speaker_pinned" FOREIGN KEY ("speaker_pinned_account_id") REFERENCES "bot_account"("id") ON DELETE SET NULL ON UPDATE NO ACTION',
    );
    await queryRunner.query('ALTER TABLE "bot_account" ADD "restricted_until" TIMESTAMP WITH TIME ZONE');
    await queryRunner.query('ALTER TABLE "outbox_message" ALTER COLUMN "run_id" DROP NOT NULL');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DELETE FROM "outbox_message" WHERE "run_id" IS NULL');
    await queryRunner.query('ALTER TABLE "outbox_message" ALTER COLUMN "run_id" SET NOT NULL');
    await queryRunner.query('ALTER TABLE "bot_account" DROP COLUMN "restricted_until"');
    await queryRunner.query('ALTER TABLE "wechat_group" DROP CONSTRAINT "FK_wechat_group_speaker_pinned"');
    await queryRunner.query('ALTER TABLE "wechat_group" DROP CONSTRAINT "FK_wechat_group_speaker"');
    await queryRunner.query('ALTER TABLE "wechat_group" DROP COLUMN "speaker_since"');
    await queryRunner.query('ALTER TABLE "wechat_group" DROP COLUMN "speaker_pinned_account_id"');
    await queryRunner.query('ALTER TABLE "wechat_group" DROP COLUMN "speaker_account_id"');
    await queryRunner.query('DROP TABLE "group_account"');
  }
}
