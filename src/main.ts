import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DataSource } from 'typeorm';
import { Robot } from './bot/robot';
import { loadScripts } from './bot/script-loader';
import { mpCallback } from './channels/mp/mp-callback';
import { DemoWorld } from './channels/wechat/demo';
import { createDeliver } from './channels/outbound';
import { WecomApiClient } from './channels/wecom/wecom-api';
import { wecomCallback } from './channels/wecom/wecom-callback';
import { WechatChannel } from './channels/wechat/wechat-channel';
import { WechatRuntime, createServicePuppet } from './channels/wechat/wechat-runtime';
import { systemClock, type Clock } from './clock';
import { ConfigError, loadConfig, type AppConfig } from './config';
import { openDataSource } from './db/data-source';
import { openDatabaseServer, type DatabaseServer } from './db/embedded-postgres';
import { createApp, type HealthReport } from './http/app';
import { createLogger, type Logger } from './logger';
import { createMetrics, type Metrics } from './metrics';
import { createServices, type Services } from './services';
import { seedDemo } from './services/demo-seed.service';
import { JobRunner } from './services/job-runner.service';
import { OutboxWorker } from './services/outbox.service';
import { ScheduleError, Scheduler } from './services/scheduler';

/** The package version, from package.json (dist/src/main.js → ../../package.json). */
const VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
})();

/** A running kepubot: what tests and the process entry point hold on to. */
export interface Kepubot {
  config: AppConfig;
  ds: DataSource;
  services: Services;
  metrics: Metrics;
  wechat: WechatRuntime;
  channel: WechatChannel;
  demo: DemoWorld | null;
  /** The HTTP port actually bound (useful with PORT=0). */
  port: number;
  jobs: JobRunner;
  scheduler: Scheduler | null;
  stop(): Promise<void>;
}

/** Wires config → database → services → bot, HTTP server; stop() undoes it in reverse order. */
export async function startKepubot(
  config: AppConfig,
  options: { log?: Logger; clock?: Clock; demoTraffic?: boolean } = {},
): Promise<Kepubot> {
  const log = options.log ?? createLogger(config.logLevel);
  const clock = options.clock ?? systemClock;
  const metrics = createMetrics({ defaultMetrics: true });
  const stack: Array<() => Promise<void>> = [];
  const stop = async (): Promise<void> => {
    while (stack.length > 0) {
      const step = stack.pop()!;
      await step().catch((err: unknown) => log.error({ err }, 'error while stopping'));
    }
  };

  try {
    const dbServer: DatabaseServer = await openDatabaseServer(config.database, log);
    stack.push(() => dbServer.stop());
    const ds = await openDataSource({ url: dbServer.url, poolSize: config.database.poolSize, log });
    stack.push(() => ds.destroy());
    log.info({ database: dbServer.mode }, 'database ready, migrations applied');

    const services = createServices(ds, config, metrics, log);
    stack.push(() => services.shares.flush());
    const robot = new Robot({ services, config, clock, log, metrics });
    const scripts = loadScripts(robot);
    log.info({ scripts }, 'bot scripts loaded');

    let demo: DemoWorld | null = null;
    let puppet;
    if (config.wechat.puppetService) {
      puppet = createServicePuppet(config.wechat.puppetService);
    } else {
      const groups = await seedDemo(ds, clock.now());
      demo = new DemoWorld(groups, log.child({ component: 'demo' }));
      puppet = demo.puppet;
      log.warn('no WECHATY_PUPPET_SERVICE_TOKEN: running the demo WeChat (mock puppet, demo county)');
    }
    const wechat = new WechatRuntime(puppet, config.wechat.name, log.child({ component: 'wechat' }));
    const channel = new WechatChannel({
      robot,
      rules: config.links,
      clock,
      staleSeconds: config.counting.staleSeconds,
      groups: services.groups,
      metrics,
      log: log.child({ component: 'wechat-channel' }),
    });
    channel.attach(wechat.bot);
    wechat.start();
    stack.push(async () => {
      demo?.stop();
      await wechat.stop();
      await channel.idle();
    });
    if (demo) {
      await wechat.started;
      demo.login();
      if (options.demoTraffic !== false) demo.startTraffic(config.wechat.demoIntervalMs);
    }

    const health = async (): Promise<HealthReport> => {
      let database: HealthReport['database'] = 'up';
      try {
        await ds.query('SELECT 1');
      } catch {
        database = 'down';
      }
      return {
        database,
        bot: { ...wechat.status(), mode: demo ? 'demo' : 'puppet-service' },
        version: VERSION,
      };
    };
    const callbackDeps = { robot, receipts: services.receipts, clock, log: log.child({ component: 'callbacks' }), metrics };
    const wecomApi = config.wecom
      ? new WecomApiClient({
          baseUrl: config.wecom.apiBase,
          corpId: config.wecom.corpId,
          secret: config.wecom.secret,
          agentId: config.wecom.agentId,
          log: log.child({ component: 'wecom-api' }),
        })
      : undefined;
    const routers = [];
    if (config.wecom) routers.push(wecomCallback(config.wecom, config.callbacks, callbackDeps, wecomApi));
    if (config.mp) routers.push(mpCallback(config.mp, config.callbacks, callbackDeps));
    log.info({ wecom: Boolean(config.wecom), mp: Boolean(config.mp) }, 'manager channels');
    const app = createApp({ health, metrics: metrics.registry, log, routers });
    const server: Server = await new Promise((resolve, reject) => {
      const s = app.listen(config.http.port, config.http.host, () => resolve(s));
      s.once('error', reject);
    });
    stack.push(
      () => new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    );
    const port = (server.address() as AddressInfo).port;

    const jobs = new JobRunner(ds, services, config, log.child({ component: 'jobs' }));
    let scheduler: Scheduler | null = null;
    if (config.schedule.enabled) {
      const worker = new OutboxWorker(ds, createDeliver({ bot: wechat.bot, wecom: wecomApi }), {
        intervalMs: config.schedule.sendIntervalMs,
        jitterMs: config.schedule.sendJitterMs,
        dailyCap: config.schedule.sendDailyCap,
        quiet: config.schedule.quiet,
        zone: config.schedule.zone,
      }, log.child({ component: 'outbox' }));
      scheduler = new Scheduler(jobs, worker, config, clock, log.child({ component: 'scheduler' }));
      await scheduler.start();
      const running = scheduler;
      stack.push(() => running.stop());
    }
    log.info({ url: `http://${config.http.host}:${port}` }, 'kepubot is ready (GET /healthz, GET /metrics)');

    return { config, ds, services, metrics, wechat, channel, demo, port, jobs, scheduler, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

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
  let kepubot: Kepubot;
  try {
    kepubot = await startKepubot(config, { log });
  } catch (err) {
    if (err instanceof ScheduleError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping');
      kepubot.stop().finally(() => process.exit(0));
    });
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error('kepubot failed to start:', err);
    process.exit(1);
  });
}
