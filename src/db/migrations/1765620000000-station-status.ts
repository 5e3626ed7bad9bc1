import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Station status in one vocabulary (issue 17): the values the console and the CLI always spoke of,
 * active and disabled, are now what is stored ('revoked' becomes 'disabled'); 'rectifying', which
 * nothing ever set, is dropped (the annual evaluation computes its rectification list from the
 * figures each year instead of storing a flag); a CHECK keeps any other value out.
 */
export class StationStatus1765620000000 implements MigrationInterface {
  name = 'StationStatus1765620000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`UPDATE "station" SET "status" = 'disabled' WHERE "status" = 'revoked'`);
    await queryRunner.query(`UPDATE "station" SET "status" = 'active' WHERE "status" NOT IN ('active', 'disabled')`);
    await queryRunner.query(`ALTER TABLE "station" ADD CONSTRAINT "chk_station_status" CHECK ("status" IN ('active', 'disabled'))`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "station" DROP CONSTRAINT "chk_station_status"`);
    await queryRunner.query(`UPDATE "station" SET "status" = 'revoked' WHERE "status" = 'disabled'`);
  }
}
