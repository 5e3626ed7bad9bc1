import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Station names are unique within a county, not across the country (two counties may each have
 * a 城关社区e站). WeChat groups remember when their last message arrived and how many members
 * they had when the bot last listed its rooms.
 */
export class StationNamePerCounty1765100000000 implements MigrationInterface {
  name = 'StationNamePerCounty1765100000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "station" DROP CONSTRAINT "UQ_0c4cf3382f77cddaf304687e95c"');
    await queryRunner.query('CREATE UNIQUE INDEX "uq_station_county_name" ON "station" ("county_id", "name")');
    await queryRunner.query('ALTER TABLE "wechat_group" ADD "last_message_at" TIMESTAMP WITH TIME ZONE');
    await queryRunner.query('ALTER TABLE "wechat_group" ADD "member_count" integer');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "wechat_group" DROP COLUMN "member_count"');
    await queryRunner.query('ALTER TABLE "wechat_group" DROP COLUMN "last_message_at"');
    await queryRunner.query('DROP INDEX "uq_station_county_name"');
    // Fails when two counties have a station of the same name (then the data would not fit).
    await queryRunner.query('ALTER TABLE "station" ADD CONSTRAINT "UQ_0c4cf3382f77cddaf304687e95c" UNIQUE ("name")');
  }
}
