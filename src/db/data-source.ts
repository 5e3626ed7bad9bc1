import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';
import { createLogger, type Logger } from '../logger';
import { PinoTypeOrmLogger } from './typeorm-logger';

export interface DataSourceOptions {
  url: string;
  poolSize?: number;
  /** Tests only: build the schema from the entities instead of the migrations. */
  synchronize?: boolean;
  logging?: boolean;
  /** Where failed queries are logged (SQL shape and SQLSTATE, never parameters); default: a pino logger at warn. */
  log?: Logger;
  /** The migrations to know (default: all); a restore rebuilds a backup's schema with just its own. */
  migrations?: typeof MIGRATIONS;
}

/** Builds (does not connect) the TypeORM DataSource for kepubot's PostgreSQL. */
export function createDataSource(options: DataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    entities: ENTITIES,
    migrations: options.migrations ?? MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each',
    synchronize: options.synchronize ?? false,
    logging: options.logging ? ['error', 'warn', 'migration'] : ['error'],
    logger: new PinoTypeOrmLogger((options.log ?? createLogger('warn')).child({ component: 'typeorm' })),
    extra: { max: options.poolSize ?? 10, application_name: 'kepubot' },
  });
}

/** Connects and brings the schema up to date with the versioned migrations. */
export async function openDataSource(options: DataSourceOptions): Promise<DataSource> {
  const ds = createDataSource(options);
  await ds.initialize();
  if (!options.synchronize) {
    await ds.runMigrations({ transaction: 'each' });
  }
  return ds;
}
