import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A partial index on the shares of members not on the roster: the console's overview counts them
 * per station without reading every share of the county.
 */
export class UnconfirmedSharesIndex1765200000000 implements MigrationInterface {
  name = 'UnconfirmedSharesIndex1765200000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE INDEX "ix_share_event_unconfirmed" ON "share_event" ("station_id", "talker_id") WHERE "informant_id" IS NULL',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."ix_share_event_unconfirmed"');
  }
}
