import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * message_claim: a group message heard by several accounts (in one process or several) is acted on
 * once: the first to insert its key answers the command or sends the binding prompt.
 */
export class MessageClaims1765510000000 implements MigrationInterface {
  name = 'MessageClaims1765510000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "message_claim" ("key" character varying(80) NOT NULL, "claimed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_message_claim" PRIMARY KEY ("key"))`,
    );
    await queryRunner.query('CREATE INDEX "ix_message_claim_claimed_at" ON "message_claim" ("claimed_at")');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."ix_message_claim_claimed_at"');
    await queryRunner.query('DROP TABLE "message_claim"');
  }
}
