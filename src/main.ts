import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DataSource } from 'typeorm';
import { Robot } from './bot/robot';
import { loadScripts } from './bot/script-loader';
import { DemoWorld } from './channels/wechat/demo';
import { createDeliver } from './channels/outbound';
import { WecomApiClient } from './channels/wecom/wecom-api';
import { channelRouters } from './channels/registry';
import { WechatChannel } from './channels/wechat/wechat-channel';
import { WechatRuntime, createServicePuppet, servicePuppetProbe, wechatReadiness } from './channels/wechat/wechat-runtime';
import { systemClock, type Clock } from './clock';
import { ConfigError, loadConfig, type AppConfig } from './config';
import { openDataSource } from './db/data-source';
import { openDatabaseServer, type DatabaseServer } from './db/embedded-postgres';
import { createApp, type HealthReport, type ReadinessReport } from './http/app';
import { createLogger, type Logger } from './logger';
import { createMetrics, type Metrics } from './metrics';
import { createServices, type Services } from './services';
import { AlertService, DatabaseDownAlarm } from './services/alert.service';
import { seedDemo } from './services/demo-seed.service';
import { JobRunner } from './services/job-runner.service';
import { DatabaseMonitor } from './services/database-monitor';
import { WechatSendLimiter } from './services/wechat-send-limiter';
import { OutageNotices } from './bot/outage-notices';
import { WechatReplies } from './channels/wechat/wechat-replies';
import { OutboxWorker } from './services/outbox.service';
import { ScheduleError, Scheduler } from './services/scheduler';
import { watchWechatForAlerts } from './services/wechat-alerts';

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
  dbServer: DatabaseServer;
  dbMonitor: DatabaseMonitor;
  services: Services;
  metrics: Metrics;
  wechat: WechatRuntime;
  channel: WechatChannel;
  replies: WechatReplies;
  demo: DemoWorld | null;
  /** The HTTP port actually bound (useful with PORT=0). */
  port: number;
  jobs: JobRunner;
  scheduler: Scheduler | null;
  /** Alerts to county staff and the operator (raise/resolve by incident key). */
  alerts: AlertService;
  /** What GET /readyz answers. */
  readiness(): Promise<ReadinessReport>;
  /**
   * Stops in order: intake (WeChat), share batches and the spool, the send in progress, HTTP,
   * the database connections, and the embedded PostgreSQL last. Bounded by SHUTDOWN_TIMEOUT_MS.
   */
  stop(): Promise<void>;
}

/** Runs `step`, but gives up waiting for it at `deadline` (epoch ms). */
async function until(deadline: number, step: () => Promise<unknown>, log: Logger, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const left = Math.max(0, deadline - Date.now());
  const timedOut = await Promise.race([
    step().then(
      () => false,
      (err: unknown) => {
        log.error({ err, step: what }, 'error while stopping');
        return false;
      },
    ),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), left);
    }),
  ]);
  if (timer) clearTimeout(timer);
  if (timedOut) log.warn({ step: what }, 'stopping took too long: going on without waiting for it');
}

/** Wires config → database → services → bot, HTTP server; stop() undoes it in order. */
export async function startKepubot(
  config: AppConfig,
  options: { log?: Logger; clock?: Clock; demoTraffic?: boolean } = {},
): Promise<Kepubot> {
  const log = options.log ?? createLogger(config.logLevel);
  const clock = options.clock ?? systemClock;
  const metrics = createMetrics({ defaultMetrics: true });
  // Filled in as parts start; stop() takes them down in a fixed order, whatever has started.
  const parts: Partial<{
    dbServer: DatabaseServer;
    ds: DataSource;
    dbMonitor: DatabaseMonitor;
    services: Services;
    wechat: WechatRuntime;
    channel: WechatChannel;
    replies: WechatReplies;
    demo: DemoWorld;
    server: Server;
    scheduler: Scheduler;
    wechatAlerts: { stop(): void | Promise<void> };
  }> = {};
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    if (stopping) return stopping;
    stopping = (async () => {
      const deadline = Date.now() + config.resilience.shutdownTimeoutMs;
      // 1. Intake: no new messages; the reply being said finishes, waiting replies are dropped.
      parts.demo?.stop();
      await parts.wechatAlerts?.stop();
      if (parts.replies) await until(deadline - 1000, () => parts.replies!.stop(), log, 'replies');
      if (parts.wechat) await until(deadline - 1000, () => parts.wechat!.stop(), log, 'wechat');
      if (parts.channel) await until(deadline - 1000, () => parts.channel!.idle(), log, 'messages in hand');
      // 2. Shares: batches to PostgreSQL (or the spool), then the spool while time is left.
      if (parts.services) await until(deadline - 500, () => parts.services!.shares.close(deadline - 1000), log, 'shares');
      // 3. Sending: the send in progress finishes.
      if (parts.scheduler) await until(deadline - 500, () => parts.scheduler!.stop(), log, 'send queue');
      // 4. HTTP.
      if (parts.server) {
        const server = parts.server;
        await until(deadline - 300, () => new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }), log, 'http');
      }
      // 5. Database connections, then the embedded PostgreSQL last.
      parts.dbMonitor?.stop();
      if (parts.ds?.isInitialized) await until(deadline, () => parts.ds!.destroy(), log, 'database connections');
      if (parts.dbServer) await parts.dbServer.stop().catch((err: unknown) => log.error({ err }, 'stopping the embedded PostgreSQL failed'));
    })();
    return stopping;
  };

  try {
    const dbServer: DatabaseServer = await openDatabaseServer(config.database, log, 'server');
    parts.dbServer = dbServer;
    const ds = await openDataSource({ url: dbServer.url, poolSize: config.database.poolSize, log });
    parts.ds = ds;
    log.info({ database: dbServer.mode }, 'database ready, migrations applied');
    const dbMonitor = new DatabaseMonitor(ds, clock, config.resilience.dbCheckIntervalMs, log.child({ component: 'database' }));
    parts.dbMonitor = dbMonitor;
    const outage = new OutageNotices();
    dbMonitor.onChange((h) => {
      if (h.up) outage.reset();
    });
    dbMonitor.start();
    if (dbServer.mode !== 'external' && config.resilience.superviseEmbedded) {
      dbServer.supervise(1000, (s) => {
        if (s.state === 'running') void dbMonitor.check();
      });
    }

    const services = createServices(ds, config, metrics, log);
    parts.services = services;
    // Shares a crash or an outage left in the spool are written before any new message.
    await services.shares.start();
    const robot = new Robot({ services, config, clock, log, metrics, outage });
    const scripts = loadScripts(robot);
    log.info({ scripts }, 'bot scripts loaded');

    let demo: DemoWorld | null = null;
    let puppet;
    if (config.wechat.puppetService) {
      puppet = createServicePuppet(config.wechat.puppetService);
    } else {
      const groups = await seedDemo(ds, clock.now());
      demo = new DemoWorld(groups, log.child({ component: 'demo' }), config.wechat.demoShareLog);
      parts.demo = demo;
      puppet = demo.puppet;
      log.warn('no WECHATY_PUPPET_SERVICE_TOKEN: running the demo WeChat (mock puppet, demo county)');
    }
    const throttle = {
      intervalMs: config.schedule.sendIntervalMs,
      jitterMs: config.schedule.sendJitterMs,
      dailyCap: config.schedule.sendDailyCap,
      quiet: config.schedule.quiet,
      zone: config.schedule.zone,
    };
    const replies = new WechatReplies(
      ds,
      new WechatSendLimiter(throttle),
      clock,
      { intervalMs: config.schedule.sendIntervalMs },
      log.child({ component: 'replies' }),
      metrics,
    );
    parts.replies = replies;
    const wechat = new WechatRuntime(puppet, config.wechat.name, log.child({ component: 'wechat' }), {
      clock,
      reconnectMaxMs: config.wechat.reconnectMaxMs,
      probe: config.wechat.puppetService ? servicePuppetProbe(config.wechat.puppetService) : undefined,
    });
    parts.wechat = wechat;
    const channel = new WechatChannel({
      robot,
      rules: config.links,
      clock,
      staleSeconds: config.counting.staleSeconds,
      groups: services.groups,
      metrics,
      log: log.child({ component: 'wechat-channel' }),
      replies,
    });
    parts.channel = channel;
    channel.attach(wechat.bot);
    wechat.start();
    if (demo) {
      await wechat.started;
      demo.login();
      if (options.demoTraffic !== false) demo.startTraffic(config.wechat.demoIntervalMs);
    }

    const health = async (): Promise<HealthReport> => {
      const up = await dbMonitor.check();
      // The login QR code is a secret: never on /healthz.
      const { qrcode: _secret, ...bot } = wechat.status();
      return {
        database: up ? 'up' : 'down',
        bot: { ...bot, mode: demo ? 'demo' : 'puppet-service' },
        version: VERSION,
      };
    };
    const readiness = async (): Promise<ReadinessReport> => {
      const reasons: string[] = [];
      const up = await dbMonitor.check();
      const embedded = dbServer.status();
      if (embedded && embedded.state !== 'running') reasons.push('内置数据库已停止，正在重启');
      else if (!up) reasons.push('数据库无法连接');
      const bot = wechat.status();
      const wechatReady = wechatReadiness(bot);
      if (!wechatReady.ready) reasons.push(wechatReady.reason ?? '微信未就绪');
      const spool = services.shares.state;
      if (spool.spoolDepth > config.resilience.spoolReadyMax) reasons.push(`待写入数据库的转发积压 ${spool.spoolDepth} 条`);
      return {
        ready: reasons.length === 0,
        reasons,
        database: { up, since: dbMonitor.status().since, embedded },
        wechat: { state: bot.state, connected: bot.connected, loggedIn: bot.loggedIn, since: bot.since },
        spool: { depth: spool.spoolDepth, bytes: spool.spoolBytes, mode: spool.mode },
        replies: { waiting: replies.depth },
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
    const alertLog = log.child({ component: 'alerts' });
    const alerts = new AlertService({ ds, config, deliver: createDeliver({ wecom: wecomApi }), log: alertLog, clock });
    await alerts.refreshRecipients().catch((err: unknown) => alertLog.warn({ err: { message: (err as Error).message } }, 'could not read alert recipients'));
    const wechatAlerts = watchWechatForAlerts(wechat, alerts, { log: alertLog, clock, zone: config.schedule.zone });
    parts.wechatAlerts = wechatAlerts;
    // The database down for longer than DB_DOWN_ALERT_AFTER_SECONDS: one direct alert per incident.
    const dbAlarm = new DatabaseDownAlarm(alerts, config.alerts.dbDownAfterSeconds, clock, config.schedule.zone);
    dbMonitor.onCheck((up) => {
      dbAlarm.observe(up).catch((err: unknown) => alertLog.warn({ err }, 'the database alarm failed'));
    });
    const routers = channelRouters(config, { ...callbackDeps, wecomApi });
    const app = createApp({ health, ready: readiness, metrics: metrics.registry, log, routers });
    const server: Server = await new Promise((resolve, reject) => {
      const s = app.listen(config.http.port, config.http.host, () => resolve(s));
      s.once('error', reject);
    });
    parts.server = server;
    const port = (server.address() as AddressInfo).port;

    const jobs = new JobRunner(ds, services, config, log.child({ component: 'jobs' }));
    let scheduler: Scheduler | null = null;
    if (config.schedule.enabled) {
      const worker = new OutboxWorker(ds, createDeliver({ bot: wechat.bot, wecom: wecomApi }), throttle, log.child({ component: 'outbox' }));
      scheduler = new Scheduler(jobs, worker, config, clock, log.child({ component: 'scheduler' }));
      parts.scheduler = scheduler;
      await scheduler.start();
    }
    log.info({ url: `http://${config.http.host}:${port}` }, 'kepubot is ready (GET /healthz, GET /readyz, GET /metrics)');

    return { config, ds, dbServer, dbMonitor, services, metrics, wechat, channel, replies, demo, port, jobs, scheduler, alerts, readiness, stop };
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
    kepubot = await startKepubot(config, { log });
  } catch (err) {
    if (err instanceof ScheduleError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  if (signalled) await kepubot.stop().finally(() => exit());
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error('kepubot failed to start:', err);
    process.exit(1);
  });
}
