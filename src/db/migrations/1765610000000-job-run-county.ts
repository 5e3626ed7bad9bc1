import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Typed job scopes (issue 17): job_run.county_id, the county a run belongs to, stored when the run
 * is claimed, so queries filter runs by county without reading it out of the scope's text. Existing
 * rows get it from their scope here, once (county:<id>, a station's county, a bound group's county);
 * alerts and runs whose station or group is gone stay NULL (only the operator sees them, as before).
 */
export class JobRunCounty1765610000000 implements MigrationInterface {
  name = 'JobRunCounty1765610000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "job_run" ADD "county_id" integer');
    await queryRunner.query(
      `UPDATE job_run r SET county_id = CASE
         WHEN r.scope LIKE 'county:%' THEN (SELECT c.id FROM region c WHERE c.id::text = substring(r.scope FROM 8))
         WHEN r.scope LIKE 'station:%' THEN (SELECT s.county_id FROM station s WHERE s.id::text = substring(r.scope FROM 9))
         WHEN r.scope LIKE 'room:%' THEN (SELECT s.county_id FROM wechat_group g JOIN station s ON s.id = g.station_id
                                          WHERE g.room_id = substring(r.scope FROM 6))
       END`,
    );
    await queryRunner.query('CREATE INDEX "ix_job_run_county" ON "job_run" ("county_id", "id")');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."ix_job_run_county"');
    await queryRunner.query('ALTER TABLE "job_run" DROP COLUMN "county_id"');
  }
}
