import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Coverage (issue 15): account_listen_interval (each account's listening as intervals the
 * holding process extends with every heartbeat; a group's unheard windows are the complement of
 * the union of its accounts' intervals) and bot_account.suspect_since (logged in, hearing nothing
 * while other accounts in its groups do).
 */
export class ListenIntervals1765530000000 implements MigrationInterface {
  name = 'ListenIntervals1765530000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "account_listen_interval" ("id" BIGSERIAL NOT NULL, "account_id" integer NOT NULL, "started_at" TIMESTAMP WITH TIME ZONE NOT NULL, "ended_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_account_listen_interval" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query('CREATE INDEX "ix_account_listen_interval_account" ON "account_listen_interval" ("account_id", "ended_at")');
    await queryRunner.query(
      'ALTER TABLE "account_listen_interval" ADD CONSTRAINT "FK_account_listen_interval_account" FOREIGN KEY ("account_id") REFERENCES "bot_account"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query('ALTER TABLE "bot_account" ADD "suspect_since" TIMESTAMP WITH TIME ZONE');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "bot_account" DROP COLUMN "suspect_since"');
    await queryRunner.query('DROP TABLE "account_listen_interval"');
  }
}
