import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Audit entries keep a SHA-256 of a sender id or command text that had to be shortened to fit. */
export class AuditHashes1764610000000 implements MigrationInterface {
  name = 'AuditHashes1764610000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "audit_log" ADD "sender_id_sha256" character(64)');
    await queryRunner.query('ALTER TABLE "audit_log" ADD "command_sha256" character(64)');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "audit_log" DROP COLUMN "command_sha256"');
    await queryRunner.query('ALTER TABLE "audit_log" DROP COLUMN "sender_id_sha256"');
  }
}
