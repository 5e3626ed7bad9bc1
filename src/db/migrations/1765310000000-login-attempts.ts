import type { MigrationInterface, QueryRunner } from 'typeorm';

/** login_attempt: console sign-in attempts per name and per address, counted before the check (only the key's SHA-256). */
export class LoginAttempts1765310000000 implements MigrationInterface {
  name = 'LoginAttempts1765310000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "login_attempt" ("key_sha256" character(64) NOT NULL, "window_start" TIMESTAMP WITH TIME ZONE NOT NULL, "attempts" integer NOT NULL, "slow_until" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_login_attempt" PRIMARY KEY ("key_sha256"))',
    );
    await queryRunner.query('CREATE INDEX "ix_login_attempt_window" ON "login_attempt" ("window_start")');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "login_attempt"');
  }
}
