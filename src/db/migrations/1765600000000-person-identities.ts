import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The identity columns of station_manager and county_staff before this migration, with their kinds and widths. */
const COLUMNS: ReadonlyArray<[column: string, kind: string, width: number]> = [
  ['wecom_user_id', 'wecom-user', 64],
  ['mp_openid', 'openid', 64],
  ['wechat_contact_id', 'wechat-contact', 128],
];

/**
 * Identities as data (issue 17): a person's ids on the channels move from a column per channel
 * on station_manager and county_staff into person_identity (kind, external_id), one id naming one
 * person. An id that older rows gave to several people (the registration commands refused that,
 * rows from before could have it) stays with the one the bot recognised: a manager before county
 * staff, the lowest id first; the others keep their other ids. Empty ids are dropped.
 */
export class PersonIdentities1765600000000 implements MigrationInterface {
  name = 'PersonIdentities1765600000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "person_identity" ("id" SERIAL NOT NULL, "manager_id" integer, "staff_id" integer, "kind" character varying(32) NOT NULL, "external_id" character varying(128) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_person_identity_kind_external_id" UNIQUE ("kind", "external_id"), CONSTRAINT "UQ_person_identity_manager_kind" UNIQUE ("manager_id", "kind"), CONSTRAINT "UQ_person_identity_staff_kind" UNIQUE ("staff_id", "kind"), CONSTRAINT "CHK_person_identity_one_person" CHECK (num_nonnulls("manager_id", "staff_id") = 1), CONSTRAINT "PK_person_identity" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      'ALTER TABLE "person_identity" ADD CONSTRAINT "FK_person_identity_manager" FOREIGN KEY ("manager_id") REFERENCES "station_manager"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "person_identity" ADD CONSTRAINT "FK_person_identity_staff" FOREIGN KEY ("staff_id") REFERENCES "county_staff"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    const old = COLUMNS.flatMap(([column, kind]) => [
      `SELECT id AS manager_id, NULL::integer AS staff_id, '${kind}' AS kind, ${column} AS external_id, created_at, 0 AS rank, id AS n FROM station_manager WHERE ${column} <> ''`,
      `SELECT NULL, id, '${kind}', ${column}, created_at, 1, id FROM county_staff WHERE ${column} <> ''`,
    ]);
    await queryRunner.query(
      `INSERT INTO person_identity (manager_id, staff_id, kind, external_id, created_at)
       SELECT DISTINCT ON (kind, external_id) manager_id, staff_id, kind, external_id, created_at
       FROM (${old.join(' UNION ALL ')}) o
       ORDER BY kind, external_id, rank, n`,
    );
    for (const table of ['station_manager', 'county_staff']) {
      for (const [column] of COLUMNS) await queryRunner.query(`ALTER TABLE "${table}" DROP COLUMN "${column}"`);
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const [table, ref] of [
      ['station_manager', 'manager_id'],
      ['county_staff', 'staff_id'],
    ]) {
      for (const [column, kind, width] of COLUMNS) {
        await queryRunner.query(`ALTER TABLE "${table}" ADD "${column}" character varying(${width})`);
        await queryRunner.query(
          `UPDATE "${table}" t SET "${column}" = i.external_id FROM person_identity i WHERE i.${ref} = t.id AND i.kind = '${kind}'`,
        );
      }
    }
    await queryRunner.query('DROP TABLE "person_identity"');
  }
}
