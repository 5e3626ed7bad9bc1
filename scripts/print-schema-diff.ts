/**
 * Developer tool: prints the SQL that would bring DATABASE_URL's schema in line with the
 * entities, to paste into a new migration under src/db/migrations/.
 * Usage: npm run build && DATABASE_URL=... node dist/scripts/print-schema-diff.js
 */
import { createDataSource } from '../src/db/data-source';
import { loadConfig } from '../src/config';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  if (!config.database.url) throw new Error('DATABASE_URL must be set');
  const ds = createDataSource({ url: config.database.url });
  await ds.initialize();
  await ds.runMigrations();
  const sql = await ds.driver.createSchemaBuilder().log();
  for (const q of sql.upQueries) console.log(`await queryRunner.query(${JSON.stringify(q.query)});`);
  console.log('--- down');
  for (const q of sql.downQueries.reverse()) console.log(`await queryRunner.query(${JSON.stringify(q.query)});`);
  await ds.destroy();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
