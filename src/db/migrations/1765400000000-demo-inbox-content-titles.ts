import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The demo county's inbox (its scheduled messages are kept in the console instead of sent) and the
 * cache of Kepu China page titles (items seen only as a bare URL), fetched once per item.
 */
export class DemoInboxContentTitles1765400000000 implements MigrationInterface {
  name = 'DemoInboxContentTitles1765400000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "region" ADD "demo_inbox" boolean NOT NULL DEFAULT false');
    await queryRunner.query(
      'CREATE TABLE "content_title" ("content_key" character varying(512) NOT NULL, "url" text NOT NULL, "title" character varying(200), ' +
        '"outcome" character varying(16) NOT NULL, "fetched_at" TIMESTAMP WITH TIME ZONE NOT NULL, ' +
        'CONSTRAINT "PK_content_title" PRIMARY KEY ("content_key"))',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "content_title"');
    await queryRunner.query('ALTER TABLE "region" DROP COLUMN "demo_inbox"');
  }
}
