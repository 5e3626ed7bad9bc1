import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A province's data (issue 18): the county on every large table, leading every primary and unique
 * key (the distribution column Citus needs), and the raw tables as monthly RANGE partitions.
 * Converts an existing database in place, in one transaction; SQL inline (a landed migration must
 * not depend on code that may change; src/db/partitioning.ts is today's copy of the naming).
 *
 * - county_id comes from the station (station.county_id): of the row's own station_id, and for
 *   effective_share of its informant's station, else (an unconfirmed sender) of its share's
 *   (message_id) station: one person's item counts once a day in whatever county's group it was
 *   shared, as before (the share counter keys new rows the same way). Summary rows of a
 *   station that does not exist (only hand-written SQL makes them; no figure shows them) are
 *   deleted; a raw share of one stops the upgrade with a message.
 * - share_event and effective_share become PARTITION BY RANGE (day), one partition per month present
 *   plus the current month (Asia/Shanghai) and two ahead; no DEFAULT partition. The rows are copied
 *   (INSERT … SELECT), the old table dropped, the new one renamed, the indexes built after the copy.
 * - Uniqueness across partitions: a unique key of a partitioned table must contain the partition
 *   column. One row per share id: (county_id, day, message_id). A share id is the message key
 *   (a hash of the room, sender, send second, type and content, src/domain/message-key.ts) or
 *   `<key>#<n>`; its send second fixes its day and its room fixes its station and county, so a
 *   replayed message or one heard by a second account lands on the same (county_id, day) and the
 *   key is as strict as message_id alone was. One effective share per sender/item/day: the day was
 *   already in the key, now (county_id, talker_id, content_key, day).
 * - informant: one WeChat contact = one informant stays: unique (county_id, wechat_contact_id) in
 *   the schema, and across counties the bind (InformantService.bind, the only writer of the
 *   column) checks the contact is bound nowhere else while it holds the exclusive share lock, so
 *   no two binds race. A plain index on wechat_contact_id serves that check and the counting path's
 *   lookup by contact.
 * - The one foreign key between large tables (informant_roster → informant) becomes composite,
 *   (county_id, informant_id) → informant (county_id, id), which Citus keeps between co-located
 *   tables. Foreign keys to station stay (station is a reference table).
 * - A BEFORE INSERT trigger fills a missing county_id from the station (or, for effective_share, the
 *   informant): kepubot's writers name it, the trigger serves the previous version's processes during
 *   a rolling upgrade and hand-written SQL. It never overrides a given county_id.
 */
/** PostgreSQL 18 names NOT NULL constraints after the table they were made on; older versions keep none. */
async function renameNotNull(q: QueryRunner, from: string, table: string, to: string): Promise<void> {
  await q.query(`DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM pg_constraint WHERE conname = '${from}' AND conrelid = '"${table}"'::regclass) THEN
      ALTER TABLE "${table}" RENAME CONSTRAINT "${from}" TO "${to}";
    END IF;
  END $$`);
}

export class CountyKeysPartitions1765700000000 implements MigrationInterface {
  name = 'CountyKeysPartitions1765700000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`SET LOCAL maintenance_work_mem = '256MB'`);
    await q.query(`CREATE FUNCTION "county_from_station"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.county_id IS NULL THEN
    SELECT s.county_id INTO NEW.county_id FROM station s WHERE s.id = NEW.station_id;
  END IF;
  RETURN NEW;
END $$`);
    await q.query(`CREATE FUNCTION "county_from_informant"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.county_id IS NULL THEN
    SELECT i.county_id INTO NEW.county_id FROM informant i WHERE i.id = NEW.informant_id;
  END IF;
  RETURN NEW;
END $$`);

    // Rows of a station that does not exist belong to no county. Summaries are derived (every figure
    // joins station, so no figure shows them): they go. Raw shares are not thrown away: stop and say.
    for (const t of ['daily_rollup', 'station_day', 'informant_period', 'station_period', 'station_roster_day']) {
      await q.query(`DELETE FROM "${t}" x WHERE NOT EXISTS (SELECT 1 FROM "station" s WHERE s."id" = x."station_id")`);
    }
    await q.query(`DO $$ DECLARE n bigint; BEGIN
      SELECT count(*) INTO n FROM "share_event" e WHERE NOT EXISTS (SELECT 1 FROM "station" s WHERE s."id" = e."station_id");
      IF n > 0 THEN
        RAISE EXCEPTION 'share_event has % row(s) of a station that does not exist: give them a station or delete them, then upgrade again', n;
      END IF;
    END $$`);

    // --- informant and informant_roster (the one foreign key between large tables) ---
    await q.query(`ALTER TABLE "informant_roster" DROP CONSTRAINT "FK_f9e0d092aea24bdbd15c31a231c"`);
    for (const t of ['informant', 'informant_roster', 'daily_rollup', 'station_day', 'informant_period', 'station_period', 'station_roster_day']) {
      await q.query(`ALTER TABLE "${t}" ADD "county_id" integer`);
      await q.query(`UPDATE "${t}" x SET "county_id" = s."county_id" FROM "station" s WHERE s."id" = x."station_id"`);
      await q.query(`ALTER TABLE "${t}" ALTER COLUMN "county_id" SET NOT NULL`);
      await q.query(
        `CREATE TRIGGER "${t}_county" BEFORE INSERT ON "${t}" FOR EACH ROW EXECUTE FUNCTION "county_from_station"()`,
      );
    }
    await q.query(`ALTER TABLE "informant" DROP CONSTRAINT "PK_94eb2c5bcfa24d8ca2e9f865aeb"`);
    await q.query(`ALTER TABLE "informant" ADD CONSTRAINT "PK_informant" PRIMARY KEY ("county_id", "id")`);
    await q.query(`DROP INDEX "uq_informant_wechat_contact"`);
    await q.query(`CREATE UNIQUE INDEX "uq_informant_wechat_contact" ON "informant" ("county_id", "wechat_contact_id")`);
    await q.query(`CREATE INDEX "ix_informant_wechat_contact" ON "informant" ("wechat_contact_id")`);
    await q.query(`ALTER TABLE "informant_roster" DROP CONSTRAINT "PK_4073553e4d21b439425050017dd"`);
    await q.query(`ALTER TABLE "informant_roster" ADD CONSTRAINT "PK_informant_roster" PRIMARY KEY ("county_id", "id")`);
    await q.query(`DROP INDEX "uq_informant_roster_open"`);
    await q.query(`CREATE UNIQUE INDEX "uq_informant_roster_open" ON "informant_roster" ("county_id", "informant_id") WHERE "to_day" IS NULL`);
    await q.query(
      `ALTER TABLE "informant_roster" ADD CONSTRAINT "FK_informant_roster_informant" FOREIGN KEY ("county_id", "informant_id") REFERENCES "informant"("county_id", "id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );

    // --- the summaries ---
    await q.query(`ALTER TABLE "daily_rollup" DROP CONSTRAINT "PK_b990c8f6e4a42f554d33c273a64"`);
    await q.query(`ALTER TABLE "daily_rollup" ADD CONSTRAINT "PK_daily_rollup" PRIMARY KEY ("county_id", "informant_id", "day")`);
    await q.query(`ALTER TABLE "station_day" DROP CONSTRAINT "PK_d90dcf45c25f6e12c727c1acb36"`);
    await q.query(`ALTER TABLE "station_day" ADD CONSTRAINT "PK_station_day" PRIMARY KEY ("county_id", "station_id", "day")`);
    await q.query(`ALTER TABLE "informant_period" DROP CONSTRAINT "PK_b736d0cbd34b5aa3c4f6dc6348f"`);
    await q.query(
      `ALTER TABLE "informant_period" ADD CONSTRAINT "PK_informant_period" PRIMARY KEY ("county_id", "informant_id", "kind", "period_start")`,
    );
    await q.query(`ALTER TABLE "station_period" DROP CONSTRAINT "PK_station_period"`);
    await q.query(
      `ALTER TABLE "station_period" ADD CONSTRAINT "PK_station_period" PRIMARY KEY ("county_id", "station_id", "kind", "period_start")`,
    );
    await q.query(`ALTER TABLE "station_roster_day" DROP CONSTRAINT "PK_station_roster_day"`);
    await q.query(`ALTER TABLE "station_roster_day" ADD CONSTRAINT "PK_station_roster_day" PRIMARY KEY ("county_id", "station_id", "day")`);

    // --- the raw tables, as monthly partitions ---
    // The months: every month with rows, and the current month (Asia/Shanghai) and two ahead.
    const months: Array<{ m: string }> = await q.query(
      `SELECT DISTINCT to_char(d, 'YYYY-MM') AS m FROM (
         SELECT "day" AS d FROM "share_event" UNION SELECT "day" FROM "effective_share"
         UNION SELECT (date_trunc('month', (now() AT TIME ZONE 'Asia/Shanghai')) + make_interval(months => n))::date
           FROM generate_series(0, 2) AS n
       ) x ORDER BY 1`,
    );
    const partitions = async (table: string): Promise<void> => {
      for (const { m } of months) {
        await q.query(
          `CREATE TABLE "${table}_y${m.slice(0, 4)}m${m.slice(5, 7)}" PARTITION OF "${table}_p"
             FOR VALUES FROM ('${m}-01') TO ('${m}-01'::date + interval '1 month')`,
        );
      }
    };

    // effective_share first: its county comes from its informant, else its share's station (the share_event of message_id).
    await q.query(`CREATE TABLE "effective_share_p" (LIKE "effective_share" INCLUDING DEFAULTS) PARTITION BY RANGE ("day")`);
    await q.query(`ALTER TABLE "effective_share_p" ADD "county_id" integer NOT NULL`);
    await partitions('effective_share');
    await q.query(
      `INSERT INTO "effective_share_p" ("talker_id", "content_key", "day", "informant_id", "message_id", "county_id")
       SELECT e."talker_id", e."content_key", e."day", e."informant_id", e."message_id", coalesce(si."county_id", ss."county_id")
       FROM "effective_share" e
       LEFT JOIN "share_event" se ON se."message_id" = e."message_id"
       LEFT JOIN "station" ss ON ss."id" = se."station_id"
       LEFT JOIN "informant" i ON i."id" = e."informant_id"
       LEFT JOIN "station" si ON si."id" = i."station_id"`,
    );
    await q.query(`DROP TABLE "effective_share"`);
    await q.query(`ALTER TABLE "effective_share_p" RENAME TO "effective_share"`);
    await renameNotNull(q, 'effective_share_p_county_id_not_null', 'effective_share', 'effective_share_county_id_not_null');
    await q.query(
      `ALTER TABLE "effective_share" ADD CONSTRAINT "PK_effective_share" PRIMARY KEY ("county_id", "talker_id", "content_key", "day")`,
    );
    await q.query(`CREATE INDEX "ix_effective_share_informant_day" ON "effective_share" ("informant_id", "day")`);
    await q.query(`CREATE TRIGGER "effective_share_county" BEFORE INSERT ON "effective_share" FOR EACH ROW EXECUTE FUNCTION "county_from_informant"()`);

    await q.query(`CREATE TABLE "share_event_p" (LIKE "share_event" INCLUDING DEFAULTS) PARTITION BY RANGE ("day")`);
    await q.query(`ALTER TABLE "share_event_p" ADD "county_id" integer NOT NULL`);
    await partitions('share_event');
    await q.query(
      `INSERT INTO "share_event_p" ("id", "message_id", "room_id", "station_id", "talker_id", "talker_name", "informant_id", "content_key",
                                    "url", "title", "message_type", "sent_at", "day", "effective", "created_at", "county_id")
       SELECT e."id", e."message_id", e."room_id", e."station_id", e."talker_id", e."talker_name", e."informant_id", e."content_key",
              e."url", e."title", e."message_type", e."sent_at", e."day", e."effective", e."created_at", s."county_id"
       FROM "share_event" e LEFT JOIN "station" s ON s."id" = e."station_id"`,
    );
    // The id sequence stays (ids go on from where they were); it now belongs to the new table.
    await q.query(`ALTER SEQUENCE "share_event_id_seq" OWNED BY "share_event_p"."id"`);
    await q.query(`DROP TABLE "share_event"`);
    await q.query(`ALTER TABLE "share_event_p" RENAME TO "share_event"`);
    await renameNotNull(q, 'share_event_p_county_id_not_null', 'share_event', 'share_event_county_id_not_null');
    await q.query(`ALTER TABLE "share_event" ADD CONSTRAINT "PK_share_event" PRIMARY KEY ("county_id", "day", "id")`);
    await q.query(`CREATE UNIQUE INDEX "uq_share_event_message" ON "share_event" ("county_id", "day", "message_id")`);
    await q.query(`CREATE INDEX "ix_share_event_talker_day" ON "share_event" ("talker_id", "day")`);
    await q.query(`CREATE INDEX "ix_share_event_station_day" ON "share_event" ("station_id", "day")`);
    await q.query(`CREATE INDEX "ix_share_event_unconfirmed" ON "share_event" ("station_id", "talker_id") WHERE "informant_id" IS NULL`);
    await q.query(`CREATE TRIGGER "share_event_county" BEFORE INSERT ON "share_event" FOR EACH ROW EXECUTE FUNCTION "county_from_station"()`);
    await q.query(`ANALYZE "share_event"`);
    await q.query(`ANALYZE "effective_share"`);
  }

  public async down(q: QueryRunner): Promise<void> {
    // share_event and effective_share back to single tables (rows copied), keys as before.
    await q.query(`CREATE TABLE "share_event_u" (LIKE "share_event" INCLUDING DEFAULTS)`);
    await q.query(`ALTER TABLE "share_event_u" DROP COLUMN "county_id"`);
    await q.query(
      `INSERT INTO "share_event_u" ("id", "message_id", "room_id", "station_id", "talker_id", "talker_name", "informant_id", "content_key",
                                    "url", "title", "message_type", "sent_at", "day", "effective", "created_at")
       SELECT "id", "message_id", "room_id", "station_id", "talker_id", "talker_name", "informant_id", "content_key",
              "url", "title", "message_type", "sent_at", "day", "effective", "created_at" FROM "share_event"`,
    );
    await q.query(`ALTER SEQUENCE "share_event_id_seq" OWNED BY "share_event_u"."id"`);
    await q.query(`DROP TABLE "share_event"`);
    await q.query(`ALTER TABLE "share_event_u" RENAME TO "share_event"`);
    await q.query(`ALTER TABLE "share_event" ADD CONSTRAINT "PK_b4f5a2cf294bb88f7ba6ec53b38" PRIMARY KEY ("id")`);
    await q.query(`ALTER TABLE "share_event" ADD CONSTRAINT "UQ_b87f5f47ed9296d940df306007f" UNIQUE ("message_id")`);
    await q.query(`CREATE INDEX "ix_share_event_talker_day" ON "share_event" ("talker_id", "day")`);
    await q.query(`CREATE INDEX "ix_share_event_station_day" ON "share_event" ("station_id", "day")`);
    await q.query(`CREATE INDEX "ix_share_event_unconfirmed" ON "share_event" ("station_id", "talker_id") WHERE "informant_id" IS NULL`);

    await q.query(`CREATE TABLE "effective_share_u" (LIKE "effective_share" INCLUDING DEFAULTS)`);
    await q.query(`ALTER TABLE "effective_share_u" DROP COLUMN "county_id"`);
    await q.query(
      `INSERT INTO "effective_share_u" ("talker_id", "content_key", "day", "informant_id", "message_id")
       SELECT "talker_id", "content_key", "day", "informant_id", "message_id" FROM "effective_share"`,
    );
    await q.query(`DROP TABLE "effective_share"`);
    await q.query(`ALTER TABLE "effective_share_u" RENAME TO "effective_share"`);
    await q.query(`ALTER TABLE "effective_share" ADD CONSTRAINT "PK_f08d476771ac001a6b3ae0c5456" PRIMARY KEY ("talker_id", "content_key", "day")`);
    await q.query(`CREATE INDEX "ix_effective_share_informant_day" ON "effective_share" ("informant_id", "day")`);

    await q.query(`ALTER TABLE "station_roster_day" DROP CONSTRAINT "PK_station_roster_day"`);
    await q.query(`ALTER TABLE "station_roster_day" ADD CONSTRAINT "PK_station_roster_day" PRIMARY KEY ("station_id", "day")`);
    await q.query(`ALTER TABLE "station_period" DROP CONSTRAINT "PK_station_period"`);
    await q.query(`ALTER TABLE "station_period" ADD CONSTRAINT "PK_station_period" PRIMARY KEY ("station_id", "kind", "period_start")`);
    await q.query(`ALTER TABLE "informant_period" DROP CONSTRAINT "PK_informant_period"`);
    await q.query(
      `ALTER TABLE "informant_period" ADD CONSTRAINT "PK_b736d0cbd34b5aa3c4f6dc6348f" PRIMARY KEY ("informant_id", "kind", "period_start")`,
    );
    await q.query(`ALTER TABLE "station_day" DROP CONSTRAINT "PK_station_day"`);
    await q.query(`ALTER TABLE "station_day" ADD CONSTRAINT "PK_d90dcf45c25f6e12c727c1acb36" PRIMARY KEY ("station_id", "day")`);
    await q.query(`ALTER TABLE "daily_rollup" DROP CONSTRAINT "PK_daily_rollup"`);
    await q.query(`ALTER TABLE "daily_rollup" ADD CONSTRAINT "PK_b990c8f6e4a42f554d33c273a64" PRIMARY KEY ("informant_id", "day")`);

    await q.query(`ALTER TABLE "informant_roster" DROP CONSTRAINT "FK_informant_roster_informant"`);
    await q.query(`DROP INDEX "uq_informant_roster_open"`);
    await q.query(`CREATE UNIQUE INDEX "uq_informant_roster_open" ON "informant_roster" ("informant_id") WHERE "to_day" IS NULL`);
    await q.query(`ALTER TABLE "informant_roster" DROP CONSTRAINT "PK_informant_roster"`);
    await q.query(`ALTER TABLE "informant_roster" ADD CONSTRAINT "PK_4073553e4d21b439425050017dd" PRIMARY KEY ("id")`);
    await q.query(`DROP INDEX "ix_informant_wechat_contact"`);
    await q.query(`DROP INDEX "uq_informant_wechat_contact"`);
    await q.query(`CREATE UNIQUE INDEX "uq_informant_wechat_contact" ON "informant" ("wechat_contact_id")`);
    await q.query(`ALTER TABLE "informant" DROP CONSTRAINT "PK_informant"`);
    await q.query(`ALTER TABLE "informant" ADD CONSTRAINT "PK_94eb2c5bcfa24d8ca2e9f865aeb" PRIMARY KEY ("id")`);
    await q.query(
      `ALTER TABLE "informant_roster" ADD CONSTRAINT "FK_f9e0d092aea24bdbd15c31a231c" FOREIGN KEY ("informant_id") REFERENCES "informant"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    for (const t of ['informant', 'informant_roster', 'daily_rollup', 'station_day', 'informant_period', 'station_period', 'station_roster_day']) {
      await q.query(`DROP TRIGGER "${t}_county" ON "${t}"`);
      await q.query(`ALTER TABLE "${t}" DROP COLUMN "county_id"`);
    }
    await q.query(`DROP FUNCTION "county_from_informant"()`);
    await q.query(`DROP FUNCTION "county_from_station"()`);
  }
}
