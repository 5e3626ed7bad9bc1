import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Scheduling exactly once: job runs, the outgoing message queue, per-county schedules and webhooks. */
export class Scheduling1764200000000 implements MigrationInterface {
  name = 'Scheduling1764200000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"job_run\" (\"id\" SERIAL NOT NULL, \"job\" character varying(32) NOT NULL, \"scope\" character varying(160) NOT NULL, \"period\" character varying(16) NOT NULL, \"state\" character varying(16) NOT NULL DEFAULT 'planning', \"messages\" integer NOT NULL DEFAULT '0', \"started_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"finished_at\" TIMESTAMP WITH TIME ZONE, CONSTRAINT \"PK_96fe0b041b8bc157dcec25bd8ef\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_job_run\" ON \"job_run\"  (\"job\", \"scope\", \"period\") ");
    await queryRunner.query("CREATE TABLE \"outbox_message\" (\"id\" BIGSERIAL NOT NULL, \"run_id\" integer NOT NULL, \"channel\" character varying(16) NOT NULL, \"recipient\" character varying(600) NOT NULL, \"payload\" jsonb NOT NULL, \"state\" character varying(16) NOT NULL DEFAULT 'queued', \"attempts\" integer NOT NULL DEFAULT '0', \"due_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"valid_until\" TIMESTAMP WITH TIME ZONE, \"sent_at\" TIMESTAMP WITH TIME ZONE, \"last_error\" text, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_2f36ee5236f2793f3e7bd554589\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"ix_outbox_state_due\" ON \"outbox_message\"  (\"state\", \"due_at\") ");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_outbox_run_recipient\" ON \"outbox_message\"  (\"run_id\", \"recipient\") ");
    await queryRunner.query("ALTER TABLE \"region\" ADD \"schedule\" jsonb NOT NULL DEFAULT '{}'::jsonb");
    await queryRunner.query("ALTER TABLE \"region\" ADD \"digest_webhook_url\" character varying(512)");
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"region\" DROP COLUMN \"digest_webhook_url\"");
    await queryRunner.query("ALTER TABLE \"region\" DROP COLUMN \"schedule\"");
    await queryRunner.query("DROP INDEX \"public\".\"uq_outbox_run_recipient\"");
    await queryRunner.query("DROP INDEX \"public\".\"ix_outbox_state_due\"");
    await queryRunner.query("DROP TABLE \"outbox_message\"");
    await queryRunner.query("DROP INDEX \"public\".\"uq_job_run\"");
    await queryRunner.query("DROP TABLE \"job_run\"");
  }
}
