import type { DataSource } from 'typeorm';
import type { Clock } from '../clock';
import type { AppConfig } from '../config';
import type { Logger } from '../logger';
import type { Services } from '../services';

/** Output sinks, so tests can capture what the CLI prints. */
export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** The whole of standard input (for `admin add --password-stdin`); default: process.stdin. */
  stdin?: () => Promise<string>;
}

/** What a command does with the database open: the services, the DataSource and the database URL. */
export type Action = (services: Services, ds: DataSource, url: string) => Promise<void>;

/** What the command groups in src/cli/ get from runCli. */
export interface CliContext {
  config: AppConfig;
  io: CliIo;
  clock: Clock;
  log: Logger;
  /**
   * Opens the database (migrated), runs the action and records it in the audit log as
   * `commandLine`: give a line without personal data (names, phones, WeChat ids).
   */
  withDatabase(commandLine: string, action: Action): Promise<void>;
}
