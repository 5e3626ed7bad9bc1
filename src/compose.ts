import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import type { Robot } from './bot/robot';
import type { AccountPool } from './channels/wechat/account-pool';
import type { CoverageMonitor } from './channels/wechat/coverage-monitor';
import type { DemoWorld } from './channels/wechat/demo';
import type { GroupSpeech } from './channels/wechat/group-speech';
import type { WechatChannel } from './channels/wechat/wechat-channel';
import { systemClock, type Clock } from './clock';
import type { AppConfig } from './config';
import type { DatabaseServer } from './db/embedded-postgres';
import type { ReadinessReport } from './http/app';
import { JobRunner } from './jobs/runner';
import type { OutboxWorker } from './jobs/outbox';
import type { Scheduler } from './jobs/scheduler';
import { createLogger, type Logger } from './logger';
import { createMetrics, type Metrics } from './metrics';
import { identityKindsOf } from './channels/registry';
import { createServices, type Services } from './services';
import type { AlertService } from './services/alert.service';
import type { DatabaseMonitor } from './services/database-monitor';
import { startWechat } from './compose/accounts';
import { startAlerts } from './compose/alerts';
import { channelRoutes, wecomApiOf } from './compose/channels';
import { openDatabase, startDatabase } from './compose/database';
import { startPartitions } from './compose/partitions';
import { demoChoice, demoConfig, demoConsoleLink, startDemo, startDemoTraffic } from './compose/demo';
import { startHttp } from './compose/http';
import type { ComposeOverrides, Ground, Started } from './compose/parts';
import { healthCheck, readinessCheck } from './compose/readiness';
import { startScheduler } from './compose/scheduler';
import { startServices } from './compose/services';
import { SHUTDOWN, stopInOrder } from './compose/shutdown';

export { openDatabase, type ComposeOverrides };

/** A running kepubot: what tests and the process entry point hold on to. */
export interface Kepubot {
  robot: Robot;
  log: Logger;
  clock: Clock;
  config: AppConfig;
  ds: DataSource;
  dbServer: DatabaseServer;
  dbMonitor: DatabaseMonitor;
  services: Services;
  metrics: Metrics;
  /** The WeChat accounts this process drives (leases in PostgreSQL). */
  accounts: AccountPool;
  /** Each group's speaker: the election, and replies routed through the speaker. */
  speech: GroupSpeech;
  /** Records when this process's accounts listen; alerts on unheard groups and suspect accounts. */
  coverage: CoverageMonitor;
  /** The send queue's worker (driven by the scheduler when it runs; tests tick it). */
  outbox: OutboxWorker;
  channel: WechatChannel;
  demo: DemoWorld | null;
  /** The HTTP port actually bound (useful with PORT=0); 0 without HTTP. */
  port: number;
  jobs: JobRunner;
  scheduler: Scheduler | null;
  /** Alerts to county staff and the operator (raise/resolve by incident key). */
  alerts: AlertService;
  /** Demo only: the one-time link that opens the console as the operator `demo` (valid a day; a new one each start). */
  consoleLink: string | null;
  /** What GET /readyz answers. */
  readiness(): Promise<ReadinessReport>;
  /** Stops in the order of SHUTDOWN (src/compose/shutdown.ts), whatever has started. Bounded by SHUTDOWN_TIMEOUT_MS. */
  stop(): Promise<void>;
}

/**
 * The composition root: config → database → services and robot → demo → WeChat → alerts →
 * channels and HTTP → send queue and scheduler. Each part builds itself (src/compose/) and
 * records what must be stopped; main.ts, the test harness and the bench build kepubot here,
 * overriding only what they must; stop() takes it down in the order of SHUTDOWN.
 */
export async function compose(config: AppConfig, overrides: ComposeOverrides = {}): Promise<Kepubot> {
  const log = overrides.log ?? createLogger(config.logLevel);
  const clock = overrides.clock ?? systemClock;
  const metrics = overrides.metrics ?? createMetrics({ defaultMetrics: true });
  const parts: Started = {};
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopping ??= stopInOrder(SHUTDOWN, parts, config.resilience.shutdownTimeoutMs, log, !overrides.dataSource));
  try {
    const db = await startDatabase({ config, log, clock, metrics, overrides }, parts, demoChoice(config, overrides));
    const ground: Ground = { config: db.demo ? demoConfig(config) : config, log, clock, metrics, overrides };
    const { ds, dbServer, dbMonitor } = db;
    const { services, robot } = await startServices(ground, parts, ds, db.outage);
    const demo = db.demo ? await startDemo(ground, parts, services, ds) : null;
    const wechat = await startWechat(ground, parts, { ds, services, robot, demo });
    if (demo) await startDemoTraffic(ground, demo, wechat.accounts);
    const probed = { dbServer, dbMonitor, accounts: wechat.accounts, services, demo: demo !== null };
    const readiness = readinessCheck(ground.config, probed);
    const wecomApi = wecomApiOf(ground);
    const { alerts, coverage } = await startAlerts(ground, parts, { ds, services, wechat, dbMonitor, wecomApi });
    const partitions = await startPartitions(ground, services, alerts);
    const routes = channelRoutes(ground, robot, services);
    const jobs = new JobRunner(ds, services, ground.config, log.child({ component: 'jobs' }));
    const health = healthCheck(probed);
    const port = await startHttp(ground, parts, { ds, services, jobs, accounts: wechat.accounts, wecomApi, routes, health, readiness });
    const { outbox, scheduler } = await startScheduler(ground, parts, {
      ds,
      dbServer,
      services,
      jobs,
      wechat,
      alerts,
      wecomApi,
      demo,
      partitions,
    });
    log.info({ url: `http://${config.http.host}:${port}` }, 'kepubot is ready (GET /healthz, GET /readyz, GET /metrics)');
    const consoleLink = demo ? await demoConsoleLink(ground, services, port) : null;
    return {
      ...wechat,
      ...{ config: ground.config, log, clock, metrics, ds, dbServer, dbMonitor, services, robot, demo, port, jobs, scheduler },
      ...{ outbox, alerts, coverage, consoleLink, readiness, stop },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The database part alone: what the CLI and the bench need (no robot, channels, jobs or HTTP). */
export interface Core {
  config: AppConfig;
  log: Logger;
  dbServer: DatabaseServer;
  ds: DataSource;
  services: Services;
  metrics: Metrics;
  /** Closes the connections and leaves the database (the embedded one stops if nobody else uses it). */
  stop(): Promise<void>;
}

/** The composition root's database part, for the CLI and the bench. */
export async function composeCore(
  config: AppConfig,
  overrides: Pick<ComposeOverrides, 'log' | 'metrics' | 'dataSource'> & {
    role?: 'server' | 'cli';
    /** The demo's database (`kepubot --demo`), as the server opens it without a puppet service. */
    demo?: boolean;
  } = {},
): Promise<Core> {
  const log = overrides.log ?? createLogger(config.logLevel);
  const metrics = overrides.metrics ?? createMetrics();
  const { dbServer, ds } = await openDatabase(config, log, overrides.role ?? 'cli', overrides.dataSource, overrides.demo === true);
  const services = createServices(ds, config, metrics, log, identityKindsOf(config));
  return {
    config,
    log,
    dbServer,
    ds,
    services,
    metrics,
    stop: async () => {
      await services.shares.flush();
      if (!overrides.dataSource && ds.isInitialized) await ds.destroy();
      await dbServer.stop();
    },
  };
}
