import type { MigrationInterface, QueryRunner } from 'typeorm';

/** console_login_ticket: one-time console sign-in links (only the ticket's SHA-256 is stored). */
export class ConsoleLoginTickets1765000000000 implements MigrationInterface {
  name = 'ConsoleLoginTickets1765000000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "console_login_ticket" ("ticket_sha256" character(64) NOT NULL, "principal_kind" character varying(16) NOT NULL, "principal_id" integer NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "used_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_console_login_ticket" PRIMARY KEY ("ticket_sha256"))',
    );
    await queryRunner.query('CREATE INDEX "ix_console_login_ticket_expires" ON "console_login_ticket" ("expires_at")');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "console_login_ticket"');
  }
}
