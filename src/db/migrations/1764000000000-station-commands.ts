import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Station managers' commands: county staff, callback receipts (retry dedupe), resource logs, one active activity per station/date/type/title. */
export class StationCommands1764000000000 implements MigrationInterface {
  name = 'StationCommands1764000000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"callback_receipt\" (\"channel\" character varying(16) NOT NULL, \"dedupe_key\" character varying(160) NOT NULL, \"reply\" text, \"received_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"answered_at\" TIMESTAMP WITH TIME ZONE, CONSTRAINT \"PK_46f448268e62f6e445df55f68e9\" PRIMARY KEY (\"channel\", \"dedupe_key\"))");
    await queryRunner.query("CREATE TABLE \"county_staff\" (\"id\" SERIAL NOT NULL, \"county_id\" integer NOT NULL, \"name\" character varying(64), \"wecom_user_id\" character varying(64), \"mp_openid\" character varying(64), \"wechat_contact_id\" character varying(128), \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_defbb83cb100317c5234d7d2135\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE TABLE \"resource_log\" (\"id\" SERIAL NOT NULL, \"station_id\" integer NOT NULL, \"kind\" character varying(16) NOT NULL, \"date\" date NOT NULL, \"topic\" character varying(200), \"hours\" numeric(5,1), \"created_by\" character varying(128) NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_436d193264e89c111da2f6a1535\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"ix_resource_log_station_date\" ON \"resource_log\"  (\"station_id\", \"date\") ");
    await queryRunner.query("ALTER TABLE \"activity\" ADD \"updated_at\" TIMESTAMP WITH TIME ZONE");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_activity_active\" ON \"activity\"  (\"station_id\", \"date\", \"type\", \"title\") WHERE status = 'active'");
    await queryRunner.query("ALTER TABLE \"county_staff\" ADD CONSTRAINT \"FK_2a8e9f374701c7a8ce8c266b9d8\" FOREIGN KEY (\"county_id\") REFERENCES \"region\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"resource_log\" ADD CONSTRAINT \"FK_4dbab12679eaaa72bf54d88b7c3\" FOREIGN KEY (\"station_id\") REFERENCES \"station\"(\"id\") ON DELETE RESTRICT ON UPDATE NO ACTION");
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"resource_log\" DROP CONSTRAINT \"FK_4dbab12679eaaa72bf54d88b7c3\"");
    await queryRunner.query("ALTER TABLE \"county_staff\" DROP CONSTRAINT \"FK_2a8e9f374701c7a8ce8c266b9d8\"");
    await queryRunner.query("DROP INDEX \"public\".\"uq_activity_active\"");
    await queryRunner.query("ALTER TABLE \"activity\" DROP COLUMN \"updated_at\"");
    await queryRunner.query("DROP INDEX \"public\".\"ix_resource_log_station_date\"");
    await queryRunner.query("DROP TABLE \"resource_log\"");
    await queryRunner.query("DROP TABLE \"county_staff\"");
    await queryRunner.query("DROP TABLE \"callback_receipt\"");
  }
}
