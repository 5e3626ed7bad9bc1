import type { Logger as TypeOrmLogger } from 'typeorm';
import type { Logger } from '../logger';

/**
 * The SQL text of a statement with its literals replaced by `?`: statements are parameterised,
 * but a literal written into the SQL must not carry personal data into the log either.
 */
export function sqlShape(sql: string): string {
  return sql
    .replace(/'(?:[^']|'')*'/g, "'?'")
    .replace(/\$\$[\s\S]*?\$\$/g, '$$?$$')
    .replace(/\b\d{4,}\b/g, '?')
    .replace(/\s+/g, ' ')
    .slice(0, 500);
}

/**
 * TypeORM's logger, writing through pino: a failed or slow query is logged with its SQL shape
 * and SQLSTATE, never with its parameters; TypeORM's own warnings and migration steps at
 * their levels. Successful queries are not logged.
 */
export class PinoTypeOrmLogger implements TypeOrmLogger {
  constructor(private readonly pino: Logger) {}

  logQuery(): void {}

  logQueryError(error: string | Error, query: string): void {
    this.pino.error({ err: typeof error === 'string' ? new Error('query failed') : error, sql: sqlShape(query) }, 'query failed');
  }

  logQuerySlow(time: number, query: string): void {
    this.pino.warn({ ms: time, sql: sqlShape(query) }, 'slow query');
  }

  logSchemaBuild(message: string): void {
    this.pino.debug({ step: message.slice(0, 200) }, 'schema build');
  }

  logMigration(message: string): void {
    this.pino.info({ step: message.slice(0, 200) }, 'migration');
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    const text = typeof message === 'string' ? message.slice(0, 300) : 'typeorm message';
    if (level === 'warn') this.pino.warn({ typeorm: text }, 'typeorm warning');
    else this.pino.debug({ typeorm: text }, 'typeorm');
  }
}
