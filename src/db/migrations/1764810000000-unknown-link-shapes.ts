import type { MigrationInterface, QueryRunner } from 'typeorm';

/** unknown_link_shape: Kepu China URL shapes no rule recognises, counted per shape with one example. */
export class UnknownLinkShapes1764810000000 implements MigrationInterface {
  name = 'UnknownLinkShapes1764810000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "unknown_link_shape" ("shape" character varying(512) NOT NULL, "seen" integer NOT NULL DEFAULT 0, "example" text NOT NULL, "first_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL, "last_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_unknown_link_shape" PRIMARY KEY ("shape"))',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "unknown_link_shape"');
  }
}
