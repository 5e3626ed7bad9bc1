import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * station_period was added to 1764400000000-summaries after that migration had landed, so a
 * database that ran the earlier version has the migration recorded but not the table. This
 * creates it where it is missing and fills it from informant_period (what the summary refresh
 * would have written: informants with at least one effective share per station and period).
 * Where the table already exists (every database migrated since), it does nothing.
 *
 * `down` does nothing: the table belongs to 1764400000000-summaries, whose `down` drops it.
 */
export class StationPeriodRepair1764700000000 implements MigrationInterface {
  name = 'StationPeriodRepair1764700000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    if (await queryRunner.hasTable('station_period')) return;
    await queryRunner.query(
      'CREATE TABLE "station_period" ("station_id" integer NOT NULL, "kind" character(1) NOT NULL, "period_start" date NOT NULL, "active_informants" integer NOT NULL, CONSTRAINT "PK_station_period" PRIMARY KEY ("station_id", "kind", "period_start"))',
    );
    await queryRunner.query(
      `INSERT INTO "station_period" ("station_id", "kind", "period_start", "active_informants")
       SELECT "station_id", "kind", "period_start", (count(*) FILTER (WHERE "effective_shares" > 0))::int
       FROM "informant_period" GROUP BY "station_id", "kind", "period_start"`,
    );
  }

  public async down(): Promise<void> {
    // Nothing to undo: see the class comment.
  }
}
