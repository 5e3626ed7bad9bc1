import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Bot accounts as data: bot_account (puppet service, token, paused/removed, status written by the
 * holding process), bot_account_county (the counties each serves) and bot_account_lease (which
 * process drives it, with a fencing token).
 */
export class BotAccounts1765500000000 implements MigrationInterface {
  name = 'BotAccounts1765500000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "bot_account" ("id" SERIAL NOT NULL, "name" character varying(64) NOT NULL, "endpoint" character varying(255), "token" character varying(255), "tls" boolean NOT NULL DEFAULT true, "paused" boolean NOT NULL DEFAULT false, "removed_at" TIMESTAMP WITH TIME ZONE, "source" character varying(8) NOT NULL DEFAULT 'db', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "state" character varying(16) NOT NULL DEFAULT 'stopped', "logged_in" boolean NOT NULL DEFAULT false, "wechat_name" character varying(128), "wechat_user_id" character varying(128), "qrcode" text, "group_count" integer, "last_event_at" TIMESTAMP WITH TIME ZONE, "first_login_at" TIMESTAMP WITH TIME ZONE, "status_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_bot_account" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query('CREATE UNIQUE INDEX "uq_bot_account_name" ON "bot_account" ("name")');
    await queryRunner.query(
      'CREATE TABLE "bot_account_county" ("account_id" integer NOT NULL, "county_id" integer NOT NULL, CONSTRAINT "PK_bot_account_county" PRIMARY KEY ("account_id", "county_id"))',
    );
    await queryRunner.query(
      'CREATE TABLE "bot_account_lease" ("account_id" integer NOT NULL, "holder" character varying(128) NOT NULL, "fencing_token" bigint NOT NULL, "heartbeat_at" TIMESTAMP WITH TIME ZONE NOT NULL, "acquired_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_bot_account_lease" PRIMARY KEY ("account_id"))',
    );
    await queryRunner.query(
      'ALTER TABLE "bot_account_county" ADD CONSTRAINT "FK_bot_account_county_account" FOREIGN KEY ("account_id") REFERENCES "bot_account"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "bot_account_county" ADD CONSTRAINT "FK_bot_account_county_county" FOREIGN KEY ("county_id") REFERENCES "region"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "bot_account_lease" ADD CONSTRAINT "FK_bot_account_lease_account" FOREIGN KEY ("account_id") REFERENCES "bot_account"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "bot_account_lease"');
    await queryRunner.query('DROP TABLE "bot_account_county"');
    await queryRunner.query('DROP TABLE "bot_account"');
  }
}
