import type { MigrationInterface, QueryRunner } from 'typeorm';

/** operator_account and console_session: the console's operator sign-in and its sessions. */
export class ConsoleSessions1764900000000 implements MigrationInterface {
  name = 'ConsoleSessions1764900000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "operator_account" ("id" SERIAL NOT NULL, "name" character varying(64) NOT NULL, "password_hash" character varying(255) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_operator_account_name" UNIQUE ("name"), CONSTRAINT "PK_operator_account" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE TABLE "console_session" ("token_sha256" character(64) NOT NULL, "principal_kind" character varying(16) NOT NULL, "principal_id" integer NOT NULL, "csrf_token" character(64) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_console_session" PRIMARY KEY ("token_sha256"))',
    );
    await queryRunner.query('CREATE INDEX "ix_console_session_expires" ON "console_session" ("expires_at")');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "console_session"');
    await queryRunner.query('DROP TABLE "operator_account"');
  }
}
