import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Alert incidents: one open row per incident key (wechat-logout, database-down, …) so an alert
 * goes out once per incident, across restarts and instances; resolved_at ends the incident.
 */
export class AlertIncidents1764650000000 implements MigrationInterface {
  name = 'AlertIncidents1764650000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "alert_incident" ("id" SERIAL NOT NULL, "incident_key" character varying(64) NOT NULL, "opened_at" TIMESTAMP WITH TIME ZONE NOT NULL, "resolved_at" TIMESTAMP WITH TIME ZONE, "run_id" integer, "recipients" integer NOT NULL DEFAULT 0, CONSTRAINT "PK_alert_incident" PRIMARY KEY ("id"))',
    );
    await queryRunner.query('CREATE UNIQUE INDEX "uq_alert_incident_open" ON "alert_incident" ("incident_key") WHERE "resolved_at" IS NULL');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."uq_alert_incident_open"');
    await queryRunner.query('DROP TABLE "alert_incident"');
  }
}
