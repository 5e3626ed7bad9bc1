import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Counting periods (docs/统计口径.md 统计开始日, 在册区间): station.counting_from, the
 * informants' roster intervals (informant_roster) and their summary per station and day
 * (station_roster_day), and the ledger's columns of informant_period (active_days, quota_met_days).
 *
 * Back-fill for existing rows: a station counts from the day its first bound group was bound;
 * each informant gets one interval from the earliest of the day it was created, bound, or first
 * had a rollup (so every share already counted stays counted), open while the informant is
 * active; a disabled informant's interval closes on the latest of those days (the day it was
 * disabled was not recorded). The summaries are rebuilt at the next refresh (watermark reset),
 * counting only counted informant-days.
 */
export class CountingPeriods1764800000000 implements MigrationInterface {
  name = 'CountingPeriods1764800000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "informant_roster" ("id" SERIAL NOT NULL, "informant_id" integer NOT NULL, "station_id" integer NOT NULL, "from_day" date NOT NULL, "to_day" date, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_4073553e4d21b439425050017dd" PRIMARY KEY ("id"))',
    );
    await queryRunner.query('CREATE UNIQUE INDEX "uq_informant_roster_open" ON "informant_roster" ("informant_id") WHERE "to_day" IS NULL');
    await queryRunner.query('CREATE INDEX "ix_informant_roster_informant" ON "informant_roster" ("informant_id", "from_day")');
    await queryRunner.query('CREATE INDEX "ix_informant_roster_station" ON "informant_roster" ("station_id", "from_day")');
    await queryRunner.query('CREATE INDEX "ix_informant_roster_updated_at" ON "informant_roster" ("updated_at")');
    await queryRunner.query('ALTER TABLE "station" ADD "counting_from" date');
    await queryRunner.query(
      'CREATE TABLE "station_roster_day" ("station_id" integer NOT NULL, "day" date NOT NULL, "joins" integer NOT NULL, "leaves" integer NOT NULL, CONSTRAINT "PK_station_roster_day" PRIMARY KEY ("station_id", "day"))',
    );
    await queryRunner.query('ALTER TABLE "informant_period" ADD "active_days" integer NOT NULL DEFAULT \'0\'');
    await queryRunner.query('ALTER TABLE "informant_period" ADD "quota_met_days" integer NOT NULL DEFAULT \'0\'');
    await queryRunner.query(
      'ALTER TABLE "informant_roster" ADD CONSTRAINT "FK_f9e0d092aea24bdbd15c31a231c" FOREIGN KEY ("informant_id") REFERENCES "informant"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "informant_roster" ADD CONSTRAINT "FK_df157e71145a202fdd8536835d9" FOREIGN KEY ("station_id") REFERENCES "station"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      `UPDATE "station" s SET "counting_from" = g.first
       FROM (SELECT "station_id", min(("bound_at" AT TIME ZONE 'Asia/Shanghai')::date) AS first
             FROM "wechat_group" WHERE "station_id" IS NOT NULL AND "bound_at" IS NOT NULL GROUP BY "station_id") g
       WHERE g."station_id" = s."id"`,
    );
    await queryRunner.query(
      `INSERT INTO "informant_roster" ("informant_id", "station_id", "from_day", "to_day")
       SELECT i."id", i."station_id",
              least(("created_at" AT TIME ZONE 'Asia/Shanghai')::date, ("bound_at" AT TIME ZONE 'Asia/Shanghai')::date, r.first),
              CASE WHEN i."status" = 'active' THEN NULL
                   ELSE greatest(("created_at" AT TIME ZONE 'Asia/Shanghai')::date, ("bound_at" AT TIME ZONE 'Asia/Shanghai')::date, r.last) END
       FROM "informant" i
       LEFT JOIN (SELECT "informant_id", min("day") AS first, max("day") AS last FROM "daily_rollup" GROUP BY "informant_id") r
         ON r."informant_id" = i."id"`,
    );
    // The summaries are rebuilt from the rollups at the next refresh: counted days only, and the new columns.
    await queryRunner.query(`UPDATE "summary_watermark" SET "refreshed_to" = '-infinity', "refreshed_at" = '-infinity'`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "informant_roster" DROP CONSTRAINT "FK_df157e71145a202fdd8536835d9"');
    await queryRunner.query('ALTER TABLE "informant_roster" DROP CONSTRAINT "FK_f9e0d092aea24bdbd15c31a231c"');
    await queryRunner.query('ALTER TABLE "informant_period" DROP COLUMN "quota_met_days"');
    await queryRunner.query('ALTER TABLE "informant_period" DROP COLUMN "active_days"');
    await queryRunner.query('DROP TABLE "station_roster_day"');
    await queryRunner.query('ALTER TABLE "station" DROP COLUMN "counting_from"');
    await queryRunner.query('DROP INDEX "public"."ix_informant_roster_updated_at"');
    await queryRunner.query('DROP INDEX "public"."ix_informant_roster_station"');
    await queryRunner.query('DROP INDEX "public"."ix_informant_roster_informant"');
    await queryRunner.query('DROP INDEX "public"."uq_informant_roster_open"');
    await queryRunner.query('DROP TABLE "informant_roster"');
  }
}
