import 'reflect-metadata';
import { compose, type Kepubot } from './compose';
import { ConfigError, loadConfig, type AppConfig } from './config';
import { ScheduleError } from './jobs/scheduler';
import { createLogger } from './logger';

/** The process: reads the config once, composes kepubot, and stops it in order on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  (await import('dotenv')).config({ quiet: true });
  let config: AppConfig;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection (kept running)'));
  process.on('uncaughtException', (err) => log.error({ err }, 'uncaught exception (kept running)'));
  // Signals during start-up: stop as soon as start-up is done (or failed).
  let kepubot: Kepubot | null = null;
  let signalled: NodeJS.Signals | null = null;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (signalled) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    signalled = signal;
    log.info({ signal, limitMs: config.resilience.shutdownTimeoutMs }, 'stopping');
    if (kepubot) void kepubot.stop().finally(() => exit());
  };
  const exit = (): void => {
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  try {
    kepubot = await compose(config, { log });
  } catch (err) {
    if (err instanceof ScheduleError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  // Plainly on stdout too, so `npm start` shows it between the JSON log lines.
  if (kepubot.consoleLink) console.log(`\n管理后台（演示旗县区）一次性登录链接，24 小时内有效：\n${kepubot.consoleLink}\n`);
  if (signalled) await kepubot.stop().finally(() => exit());
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error('kepubot failed to start:', err);
    process.exit(1);
  });
}
