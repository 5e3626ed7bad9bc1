import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The first schema: regions, stations, managers, informants, groups, shares, rollups, activities, audit log. */
export class InitialSchema1763800000000 implements MigrationInterface {
  name = 'InitialSchema1763800000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"region\" (\"id\" SERIAL NOT NULL, \"name\" character varying(64) NOT NULL, \"level\" character varying(16) NOT NULL, \"parent_id\" integer, \"daily_quota\" integer, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_5f48ffc3af96bc486f5f3f3a6da\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_region_parent_name\" ON \"region\"  (\"parent_id\", \"name\") ");
    await queryRunner.query("CREATE TABLE \"station\" (\"id\" SERIAL NOT NULL, \"name\" character varying(128) NOT NULL, \"type\" character varying(16) NOT NULL DEFAULT 'other', \"county_id\" integer NOT NULL, \"status\" character varying(16) NOT NULL DEFAULT 'active', \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"UQ_0c4cf3382f77cddaf304687e95c\" UNIQUE (\"name\"), CONSTRAINT \"PK_cad1b3e7182ef8df1057b82f6aa\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE TABLE \"activity\" (\"id\" SERIAL NOT NULL, \"station_id\" integer NOT NULL, \"date\" date NOT NULL, \"type\" character varying(16) NOT NULL, \"title\" character varying(200) NOT NULL, \"participants\" integer NOT NULL, \"place\" character varying(200), \"status\" character varying(16) NOT NULL DEFAULT 'active', \"created_by\" character varying(128) NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_24625a1d6b1b089c8ae206fe467\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"ix_activity_station_date\" ON \"activity\"  (\"station_id\", \"date\") ");
    await queryRunner.query("CREATE TABLE \"audit_log\" (\"id\" BIGSERIAL NOT NULL, \"at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"channel\" character varying(16) NOT NULL, \"sender_id\" character varying(128) NOT NULL, \"sender_name\" character varying(128) NOT NULL DEFAULT '', \"station_id\" integer, \"listener_id\" character varying(64) NOT NULL, \"command\" text NOT NULL, \"outcome\" character varying(16) NOT NULL, \"detail\" text NOT NULL DEFAULT '', CONSTRAINT \"PK_07fefa57f7f5ab8fc3f52b3ed0b\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"ix_audit_log_at\" ON \"audit_log\"  (\"at\") ");
    await queryRunner.query("CREATE TABLE \"daily_rollup\" (\"informant_id\" integer NOT NULL, \"day\" date NOT NULL, \"station_id\" integer NOT NULL, \"raw_shares\" integer NOT NULL DEFAULT '0', \"effective_shares\" integer NOT NULL DEFAULT '0', \"updated_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_b990c8f6e4a42f554d33c273a64\" PRIMARY KEY (\"informant_id\", \"day\"))");
    await queryRunner.query("CREATE INDEX \"ix_daily_rollup_station_day\" ON \"daily_rollup\"  (\"station_id\", \"day\") ");
    await queryRunner.query("CREATE TABLE \"effective_share\" (\"talker_id\" character varying(128) NOT NULL, \"content_key\" character varying(512) NOT NULL, \"day\" date NOT NULL, \"informant_id\" integer, \"message_id\" character varying(128) NOT NULL, CONSTRAINT \"PK_f08d476771ac001a6b3ae0c5456\" PRIMARY KEY (\"talker_id\", \"content_key\", \"day\"))");
    await queryRunner.query("CREATE INDEX \"ix_effective_share_informant_day\" ON \"effective_share\"  (\"informant_id\", \"day\") ");
    await queryRunner.query("CREATE TABLE \"informant\" (\"id\" SERIAL NOT NULL, \"station_id\" integer NOT NULL, \"name\" character varying(64) NOT NULL, \"phone\" character varying(20), \"note\" character varying(200), \"wechat_contact_id\" character varying(128), \"status\" character varying(16) NOT NULL DEFAULT 'active', \"bound_at\" TIMESTAMP WITH TIME ZONE, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_94eb2c5bcfa24d8ca2e9f865aeb\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_informant_wechat_contact\" ON \"informant\"  (\"wechat_contact_id\") ");
    await queryRunner.query("CREATE INDEX \"ix_informant_station_name\" ON \"informant\"  (\"station_id\", \"name\") ");
    await queryRunner.query("CREATE TABLE \"share_event\" (\"id\" BIGSERIAL NOT NULL, \"message_id\" character varying(128) NOT NULL, \"room_id\" character varying(128) NOT NULL, \"station_id\" integer NOT NULL, \"talker_id\" character varying(128) NOT NULL, \"talker_name\" character varying(128) NOT NULL DEFAULT '', \"informant_id\" integer, \"content_key\" character varying(512) NOT NULL, \"url\" text NOT NULL, \"title\" text, \"message_type\" character varying(16) NOT NULL, \"sent_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"day\" date NOT NULL, \"effective\" boolean NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"UQ_b87f5f47ed9296d940df306007f\" UNIQUE (\"message_id\"), CONSTRAINT \"PK_b4f5a2cf294bb88f7ba6ec53b38\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"ix_share_event_station_day\" ON \"share_event\"  (\"station_id\", \"day\") ");
    await queryRunner.query("CREATE INDEX \"ix_share_event_talker_day\" ON \"share_event\"  (\"talker_id\", \"day\") ");
    await queryRunner.query("CREATE TABLE \"station_manager\" (\"id\" SERIAL NOT NULL, \"station_id\" integer NOT NULL, \"name\" character varying(64), \"wecom_user_id\" character varying(64), \"mp_openid\" character varying(64), \"wechat_contact_id\" character varying(128), \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_63e244dab9ac932bbd4495f1619\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE TABLE \"wechat_group\" (\"id\" SERIAL NOT NULL, \"room_id\" character varying(128) NOT NULL, \"topic\" character varying(128) NOT NULL DEFAULT '', \"station_id\" integer, \"bound_at\" TIMESTAMP WITH TIME ZONE, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"UQ_5ce43928653131497590c7e1c08\" UNIQUE (\"room_id\"), CONSTRAINT \"PK_de214116bfaadef791611baa080\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("ALTER TABLE \"region\" ADD CONSTRAINT \"FK_2547f55866c0274d35fdd9a29c0\" FOREIGN KEY (\"parent_id\") REFERENCES \"region\"(\"id\") ON DELETE RESTRICT ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"station\" ADD CONSTRAINT \"FK_51cfe5ca92bd9f122b355d5ace0\" FOREIGN KEY (\"county_id\") REFERENCES \"region\"(\"id\") ON DELETE RESTRICT ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"activity\" ADD CONSTRAINT \"FK_eb8b69915537ccc9b5dc7c070e0\" FOREIGN KEY (\"station_id\") REFERENCES \"station\"(\"id\") ON DELETE RESTRICT ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"informant\" ADD CONSTRAINT \"FK_28a5bff4dad46ea19089dc82618\" FOREIGN KEY (\"station_id\") REFERENCES \"station\"(\"id\") ON DELETE RESTRICT ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"station_manager\" ADD CONSTRAINT \"FK_5539806a20ea2e38b471a3767db\" FOREIGN KEY (\"station_id\") REFERENCES \"station\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"wechat_group\" ADD CONSTRAINT \"FK_2be0b42d540d2cf95e41a1be71a\" FOREIGN KEY (\"station_id\") REFERENCES \"station\"(\"id\") ON DELETE SET NULL ON UPDATE NO ACTION");
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"wechat_group\" DROP CONSTRAINT \"FK_2be0b42d540d2cf95e41a1be71a\"");
    await queryRunner.query("ALTER TABLE \"station_manager\" DROP CONSTRAINT \"FK_5539806a20ea2e38b471a3767db\"");
    await queryRunner.query("ALTER TABLE \"informant\" DROP CONSTRAINT \"FK_28a5bff4dad46ea19089dc82618\"");
    await queryRunner.query("ALTER TABLE \"activity\" DROP CONSTRAINT \"FK_eb8b69915537ccc9b5dc7c070e0\"");
    await queryRunner.query("ALTER TABLE \"station\" DROP CONSTRAINT \"FK_51cfe5ca92bd9f122b355d5ace0\"");
    await queryRunner.query("ALTER TABLE \"region\" DROP CONSTRAINT \"FK_2547f55866c0274d35fdd9a29c0\"");
    await queryRunner.query("DROP TABLE \"wechat_group\"");
    await queryRunner.query("DROP TABLE \"station_manager\"");
    await queryRunner.query("DROP INDEX \"public\".\"ix_share_event_talker_day\"");
    await queryRunner.query("DROP INDEX \"public\".\"ix_share_event_station_day\"");
    await queryRunner.query("DROP TABLE \"share_event\"");
    await queryRunner.query("DROP INDEX \"public\".\"ix_informant_station_name\"");
    await queryRunner.query("DROP INDEX \"public\".\"uq_informant_wechat_contact\"");
    await queryRunner.query("DROP TABLE \"informant\"");
    await queryRunner.query("DROP INDEX \"public\".\"ix_effective_share_informant_day\"");
    await queryRunner.query("DROP TABLE \"effective_share\"");
    await queryRunner.query("DROP INDEX \"public\".\"ix_daily_rollup_station_day\"");
    await queryRunner.query("DROP TABLE \"daily_rollup\"");
    await queryRunner.query("DROP INDEX \"public\".\"ix_audit_log_at\"");
    await queryRunner.query("DROP TABLE \"audit_log\"");
    await queryRunner.query("DROP INDEX \"public\".\"ix_activity_station_date\"");
    await queryRunner.query("DROP TABLE \"activity\"");
    await queryRunner.query("DROP TABLE \"station\"");
    await queryRunner.query("DROP INDEX \"public\".\"uq_region_parent_name\"");
    await queryRunner.query("DROP TABLE \"region\"");
  }
}
