import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * callback_signature: each callback's (signature, timestamp, nonce) is accepted once.
 * callback_receipt: `withheld` marks an answer not kept (a console login link); receipts that
 * already hold such a link are deleted; an index on received_at for the periodic clean-up.
 */
export class CallbackReplay1765300000000 implements MigrationInterface {
  name = 'CallbackReplay1765300000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "callback_receipt" ADD "withheld" boolean NOT NULL DEFAULT false');
    await queryRunner.query(`DELETE FROM "callback_receipt" WHERE "reply" LIKE '%/#/login?ticket=%'`);
    await queryRunner.query('CREATE INDEX "ix_callback_receipt_received" ON "callback_receipt" ("received_at")');
    await queryRunner.query(
      'CREATE TABLE "callback_signature" ("channel" character varying(16) NOT NULL, "triple_sha256" character(64) NOT NULL, "body_sha256" character(64) NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_callback_signature" PRIMARY KEY ("channel", "triple_sha256"))',
    );
    await queryRunner.query('CREATE INDEX "ix_callback_signature_expires" ON "callback_signature" ("expires_at")');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "callback_signature"');
    await queryRunner.query('DROP INDEX "ix_callback_receipt_received"');
    await queryRunner.query('ALTER TABLE "callback_receipt" DROP COLUMN "withheld"');
  }
}
