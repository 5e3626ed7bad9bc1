/**
 * The TypeORM DataSource for the TypeORM CLI (e.g. `npx typeorm migration:show -d dist/ormconfig.js`).
 * kepubot itself opens the database in src/main.ts and runs the migrations at start-up.
 * Needs DATABASE_URL, or the embedded PostgreSQL of a running kepubot (see data/embedded-postgres.json).
 */
import 'reflect-metadata';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from './src/config';
import { createDataSource } from './src/db/data-source';

const config = loadConfig(process.env);

function embeddedUrl(): string {
  const file = path.resolve(config.database.dataDir, 'embedded-postgres.json');
  if (!existsSync(file)) {
    throw new Error('DATABASE_URL is not set and no embedded PostgreSQL was found: start kepubot once (npm start) or set DATABASE_URL');
  }
  const c = JSON.parse(readFileSync(file, 'utf8')) as { user: string; password: string; port: number; database: string };
  return `postgres://${encodeURIComponent(c.user)}:${encodeURIComponent(c.password)}@127.0.0.1:${c.port}/${c.database}`;
}

export const AppDataSource = createDataSource({ url: config.database.url ?? embeddedUrl(), poolSize: 2 });
export default AppDataSource;
