import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Scheduled messages never vanish: a job run may wait ('pending', with its reason) for a recipient
 * or channel, may be sent again on purpose (round), and each part of a message (text, file) is
 * its own outbox entry. Queued entries that still carry text and file together are split.
 */
export class OutboxParts1764630000000 implements MigrationInterface {
  name = 'OutboxParts1764630000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"job_run\" ADD \"round\" integer NOT NULL DEFAULT '0'");
    await queryRunner.query("ALTER TABLE \"job_run\" ADD \"pending_reason\" text");
    await queryRunner.query("CREATE INDEX \"ix_job_run_pending\" ON \"job_run\" (\"id\") WHERE \"state\" = 'pending'");
    await queryRunner.query("ALTER TABLE \"outbox_message\" ADD \"round\" integer NOT NULL DEFAULT '0'");
    await queryRunner.query("ALTER TABLE \"outbox_message\" ADD \"part\" smallint NOT NULL DEFAULT '0'");
    await queryRunner.query("DROP INDEX \"public\".\"uq_outbox_run_recipient\"");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_outbox_run_part\" ON \"outbox_message\" (\"run_id\", \"round\", \"recipient\", \"part\")");
    await queryRunner.query(
      `INSERT INTO "outbox_message" ("run_id", "round", "recipient", "part", "channel", "payload", "state", "due_at", "valid_until")
       SELECT "run_id", "round", "recipient", 1, "channel", jsonb_build_object('text', '', 'file', "payload" -> 'file'), 'queued', "due_at", "valid_until"
       FROM "outbox_message" WHERE "state" = 'queued' AND "part" = 0 AND "payload" ? 'file' AND coalesce("payload" ->> 'text', '') <> ''`,
    );
    await queryRunner.query(
      `UPDATE "outbox_message" SET "payload" = "payload" - 'file'
       WHERE "state" = 'queued' AND "part" = 0 AND "payload" ? 'file' AND coalesce("payload" ->> 'text', '') <> ''`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DELETE FROM \"outbox_message\" WHERE \"part\" > 0 OR \"round\" > 0");
    await queryRunner.query("DROP INDEX \"public\".\"uq_outbox_run_part\"");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_outbox_run_recipient\" ON \"outbox_message\" (\"run_id\", \"recipient\")");
    await queryRunner.query("ALTER TABLE \"outbox_message\" DROP COLUMN \"part\"");
    await queryRunner.query("ALTER TABLE \"outbox_message\" DROP COLUMN \"round\"");
    await queryRunner.query("DROP INDEX \"public\".\"ix_job_run_pending\"");
    await queryRunner.query("ALTER TABLE \"job_run\" DROP COLUMN \"pending_reason\"");
    await queryRunner.query("ALTER TABLE \"job_run\" DROP COLUMN \"round\"");
  }
}
