import { userInfo } from 'node:os';
import type { DataSource } from 'typeorm';
import type { Clock } from '../clock';
import type { AppConfig } from '../config';
import { composeCore } from '../compose';
import { UserError } from '../errors';
import { JobRunner, type ScopeRun } from '../jobs/runner';
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
  /** The job runner over the open database (the one way the CLI builds it). */
  jobRunner(services: Services, ds: DataSource): JobRunner;
  /**
   * After a new recipient or channel: plans the pending runs that can go now and says so (the
   * server retries too, every few minutes); a failure is reported, not thrown.
   */
  retryPending(services: Services, ds: DataSource): Promise<void>;
}

/**
 * The context every command group gets. `demo` tells whether the global `--demo` option was
 * given (read when a command runs, after commander parsed the line).
 */
export function cliContext(config: AppConfig, io: CliIo, clock: Clock, log: Logger, demo: () => boolean): CliContext {
  const withDatabase = async (commandLine: string, action: Action): Promise<void> => {
    // The composition root's database part: the embedded PostgreSQL shared with a running server.
    // --demo: the demo's own database (the one `npm start` without WeChat fills), never the real one.
    const core = await composeCore(config, { log, role: 'cli', demo: demo() });
    try {
      const { services, ds } = core;
      let outcome: 'ok' | 'invalid' | 'error' = 'ok';
      let detail = '';
      try {
        // The URL of the database the DataSource is on (the real one, or another a global option picked).
        await action(services, ds, (ds.options as { url?: string }).url ?? core.dbServer.url);
      } catch (err) {
        outcome = err instanceof UserError ? 'invalid' : 'error';
        detail = err instanceof Error ? err.message : String(err);
        throw err;
      } finally {
        await services.audit.record({
          channel: 'cli',
          senderId: userInfo().username,
          listenerId: `cli.${commandLine.split(' ').slice(0, 2).join('.')}`,
          command: commandLine,
          outcome,
          detail,
        });
      }
    } finally {
      await core.stop();
    }
  };

  const jobRunner = (services: Services, ds: DataSource): JobRunner => new JobRunner(ds, services, config, log);

  const retryPending = async (services: Services, ds: DataSource): Promise<void> => {
    let runs: ScopeRun[];
    try {
      runs = await jobRunner(services, ds).retryPending(clock.now());
    } catch (err) {
      io.err(`补发等待中的定时任务时出错（kepubot 服务每 5 分钟会再试）：${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    for (const r of runs) {
      io.out(
        `已补发等待中的定时任务 ${r.job} ${r.scope} ${r.period}：${r.messages.length} 条消息加入发送队列${r.state === 'pending' ? `（仍有消息在等待：${r.reason}）` : ''}`,
      );
    }
  };

  return { config, io, clock, log, withDatabase, jobRunner, retryPending };
}
