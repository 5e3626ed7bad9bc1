import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Summaries for fast rankings: station_day, informant_period (weeks, months), and their watermark. */
export class Summaries1764400000000 implements MigrationInterface {
  name = 'Summaries1764400000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"station_day\" (\"station_id\" integer NOT NULL, \"day\" date NOT NULL, \"active_informants\" integer NOT NULL, \"raw_shares\" integer NOT NULL, \"effective_shares\" integer NOT NULL, \"quota_met\" integer NOT NULL, CONSTRAINT \"PK_d90dcf45c25f6e12c727c1acb36\" PRIMARY KEY (\"station_id\", \"day\"))");
    await queryRunner.query("CREATE TABLE \"informant_period\" (\"informant_id\" integer NOT NULL, \"kind\" character(1) NOT NULL, \"period_start\" date NOT NULL, \"station_id\" integer NOT NULL, \"effective_shares\" integer NOT NULL, CONSTRAINT \"PK_b736d0cbd34b5aa3c4f6dc6348f\" PRIMARY KEY (\"informant_id\", \"kind\", \"period_start\"))");
    await queryRunner.query("CREATE INDEX \"ix_informant_period_station\" ON \"informant_period\"  (\"station_id\", \"kind\", \"period_start\") ");
    await queryRunner.query("CREATE TABLE \"station_period\" (\"station_id\" integer NOT NULL, \"kind\" character(1) NOT NULL, \"period_start\" date NOT NULL, \"active_informants\" integer NOT NULL, CONSTRAINT \"PK_station_period\" PRIMARY KEY (\"station_id\", \"kind\", \"period_start\"))");
    await queryRunner.query("CREATE TABLE \"summary_watermark\" (\"id\" integer NOT NULL, \"refreshed_to\" TIMESTAMP WITH TIME ZONE NOT NULL, \"refreshed_at\" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT \"PK_0a49cae8aacc3e767e20be1315d\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"ix_daily_rollup_updated_at\" ON \"daily_rollup\"  (\"updated_at\") ");
    await queryRunner.query("INSERT INTO \"summary_watermark\" (\"id\", \"refreshed_to\", \"refreshed_at\") VALUES (1, '-infinity', '-infinity')");
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"public\".\"ix_daily_rollup_updated_at\"");
    await queryRunner.query("DROP TABLE \"summary_watermark\"");
    await queryRunner.query("DROP TABLE \"station_period\"");
    await queryRunner.query("DROP INDEX \"public\".\"ix_informant_period_station\"");
    await queryRunner.query("DROP TABLE \"informant_period\"");
    await queryRunner.query("DROP TABLE \"station_day\"");
  }
}
