import 'reflect-metadata';
import type * as PUPPET from 'wechaty-puppet';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DataSource } from 'typeorm';
import { Robot } from './bot/robot';
import { loadScripts } from './bot/script-loader';
import type { ChannelRegistration } from './channels/channel';
import { CHANNELS, channelRouters, identityKindsOf } from './channels/registry';
import { DemoWorld } from './channels/wechat/demo';
import { createDeliver } from './channels/outbound';
import { wecomClientOf } from './channels/wecom/wecom-client';
import { WechatChannel } from './channels/wechat/wechat-channel';
import { AccountPool, type PuppetFactory, type WechatAccount } from './channels/wechat/account-pool';
import { CoverageMonitor } from './channels/wechat/coverage-monitor';
import { SendRestrictions } from './channels/wechat/send-restrictions';
import { GroupSpeech } from './channels/wechat/group-speech';
import { mockAccountPuppet } from './channels/wechat/kepu-puppet-mock';
import { createServicePuppet, servicePuppetProbe } from './channels/wechat/wechat-runtime';
import { systemClock, type Clock } from './clock';
import type { AppConfig } from './config';
import { openDataSource } from './db/data-source';
import { demoDatabaseUrl, hasAddedAccounts } from './db/demo-database';
import type { BotAccount, BotAccountSource } from './db/entities';
import { openDatabaseServer, type DatabaseServer } from './db/embedded-postgres';
import { createApp, createHttpServer, type HealthReport, type ReadinessReport, type SystemReadiness } from './http/app';
import { createApiRouter } from './http/api/router';
import { consoleStatic } from './http/console-static';
import { createLogger, type Logger } from './logger';
import { createMetrics, type Metrics } from './metrics';
import { createServices, type Services } from './services';
import { AlertService, DatabaseDownAlarm } from './services/alert.service';
import { seedDemo } from './services/demo-seed.service';
import { ticketLink } from './services/console-auth.service';
import { JobRunner } from './jobs/runner';
import { DatabaseMonitor } from './services/database-monitor';
import { OutageNotices } from './bot/outage-notices';
import { OutboxWorker } from './jobs/outbox';
import { Scheduler } from './jobs/scheduler';
import { NightlyBackup } from './jobs/nightly-backup';
import { PartitionUpkeep } from './jobs/partition-upkeep';
import { watchWechatForAlerts, type WechatAlertWatch } from './channels/wechat/wechat-alerts';

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

/** What a caller may put in place of the real thing; everything else is built from the config. */
export interface ComposeOverrides {
  log?: Logger;
  clock?: Clock;
  metrics?: Metrics;
  /** An open DataSource (tests, bench): no database server is opened, and stop() leaves it open. */
  dataSource?: DataSource;
  /**
   * One WeChat account on this puppet (tests: a KepuPuppetMock), named WECHATY_NAME (source 'test');
   * default: WECHATY_PUPPET_SERVICE_* and the accounts added with `kepubot account add`, or the demo without any.
   */
  puppet?: PUPPET.Puppet;
  /** The puppets of the accounts added with `kepubot account add` (tests: mocks by account name) instead of puppet services. */
  puppetFactory?: (account: { id: number; name: string }) => PUPPET.Puppet;
  /** Account pool timing (tests): heartbeat + scan interval and lease TTL. */
  pool?: { tickMs?: number; ttlSeconds?: number };
  /** Demo only: send the demo's messages (default true). */
  demoTraffic?: boolean;
  /** Serve HTTP (default true). */
  http?: boolean;
  /** Run the scheduler and the send queue (default: SCHEDULER_ENABLED). */
  scheduler?: boolean;
  /** Watch PostgreSQL, restart the embedded one, open the share spool (default true). */
  resilience?: boolean;
  /** The manager channel plug-ins (default src/channels/registry.ts CHANNELS; tests add one). */
  channels?: readonly ChannelRegistration[];
}

/**
 * The composition root: config → database → services → robot and scripts → channels → jobs →
 * HTTP. main.ts, the CLI, the test harness and the bench all build kepubot here, overriding only
 * what they must; stop() takes it down in order.
 */
export async function compose(config: AppConfig, overrides: ComposeOverrides = {}): Promise<Kepubot> {
  const log = overrides.log ?? createLogger(config.logLevel);
  const clock = overrides.clock ?? systemClock;
  const metrics = overrides.metrics ?? createMetrics({ defaultMetrics: true });
  const resilient = overrides.resilience !== false;
  // Filled in as parts start; stop() takes them down in a fixed order, whatever has started.
  const parts: Partial<{
    dbServer: DatabaseServer;
    ds: DataSource;
    dbMonitor: DatabaseMonitor;
    services: Services;
    accounts: AccountPool;
    speech: GroupSpeech;
    channel: WechatChannel;
    demo: DemoWorld;
    server: Server;
    scheduler: Scheduler;
    backup: NightlyBackup;
    wechatAlerts: Map<number, WechatAlertWatch>;
    coverage: CoverageMonitor;
  }> = {};
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    if (stopping) return stopping;
    stopping = (async () => {
      const limit = config.resilience.shutdownTimeoutMs;
      const deadline = Date.now() + limit;
      // Messages in hand (a command waiting on a lock) get at most a third of the time: the shares
      // and the spool need the rest.
      const intakeDeadline = Date.now() + Math.floor(limit / 3);
      // 1. Intake: no new messages; the reply being said finishes, waiting replies are dropped.
      parts.demo?.stop();
      for (const watch of parts.wechatAlerts?.values() ?? []) watch.stop();
      await parts.speech?.stop();
      await parts.coverage?.stop();
      // Every account: its waiting replies dropped, the one being said finished, its runtime stopped, its lease let go.
      if (parts.accounts) await until(intakeDeadline, () => parts.accounts!.stop(), log, 'wechat accounts');
      if (parts.channel) await until(intakeDeadline, () => parts.channel!.idle(), log, 'messages in hand');
      // 2. Shares: batches to PostgreSQL (or the spool), then the spool while time is left.
      if (parts.services) await until(deadline - 500, () => parts.services!.shares.close(deadline - 1000), log, 'shares');
      // 3. Sending: the send in progress finishes.
      if (parts.scheduler) await until(deadline - 500, () => parts.scheduler!.stop(), log, 'send queue');
      if (parts.backup) await until(deadline - 500, () => parts.backup!.stop(), log, 'backup');
      // 4. HTTP.
      if (parts.server) {
        const server = parts.server;
        await until(
          deadline - 300,
          () =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections();
            }),
          log,
          'http',
        );
      }
      // 5. Database connections, then the embedded PostgreSQL last.
      parts.dbMonitor?.stop();
      if (parts.ds?.isInitialized && !overrides.dataSource) await until(deadline, () => parts.ds!.destroy(), log, 'database connections');
      if (parts.dbServer) await until(deadline + 2000, () => parts.dbServer!.stop(), log, 'embedded PostgreSQL');
    })();
    return stopping;
  };

  try {
    // The demo (no puppet service, no account added) never touches real data: a database and a spool of its own.
    const maybeDemo = !overrides.puppet && !overrides.puppetFactory && !config.wechat.puppetService;
    const {
      dbServer,
      ds,
      demo: demoMode,
    } = await openDatabase(config, log, 'server', overrides.dataSource, maybeDemo ? 'unless-accounts' : false);
    if (demoMode)
      config = { ...config, resilience: { ...config.resilience, spoolDir: path.join(config.database.dataDir, 'demo', 'spool') } };
    parts.dbServer = dbServer;
    parts.ds = ds;
    const dbMonitor = new DatabaseMonitor(ds, clock, config.resilience.dbCheckIntervalMs, log.child({ component: 'database' }));
    parts.dbMonitor = dbMonitor;
    const outage = new OutageNotices();
    dbMonitor.onChange((h) => {
      if (h.up) outage.reset();
    });
    if (resilient) dbMonitor.start();
    if (resilient && dbServer.mode !== 'external' && config.resilience.superviseEmbedded) {
      dbServer.supervise(1000, (s) => {
        if (s.state === 'running') void dbMonitor.check();
      });
    }

    const channels = overrides.channels ?? CHANNELS;
    const services = createServices(ds, config, metrics, log, identityKindsOf(config, channels));
    parts.services = services;
    // Shares a crash or an outage left in the spool are written before any new message.
    if (resilient) await services.shares.start();
    const robot = new Robot({ services, config, clock, log, metrics, outage });
    const scripts = loadScripts(robot);
    log.info({ scripts }, 'bot scripts loaded');

    let demo: DemoWorld | null = null;
    // Which account rows this process drives, and how each reaches WeChat.
    const sources: BotAccountSource[] = [];
    const wechatName = config.wechat.name;
    if (overrides.puppet) {
      await services.accounts.ensure(wechatName, 'test');
      sources.push('test');
    } else if (demoMode) {
      const seeded = await seedDemo(services, ds, clock.now(), log.child({ component: 'demo' }), config.wechat.demoHistoryDays);
      demo = new DemoWorld(seeded.groups, log.child({ component: 'demo' }), config.wechat.demoShareLog);
      parts.demo = demo;
      await services.accounts.ensure(wechatName, 'demo');
      sources.push('demo');
      log.warn('no WECHATY_PUPPET_SERVICE_TOKEN and no account added: running the demo WeChat (mock puppet, demo county)');
    } else if (config.wechat.puppetService) {
      await services.accounts.ensure(wechatName, 'env');
      // WECHAT_ACCOUNT_COUNTIES: the counties the env account serves (whose staff may scan its QR code).
      const skipped = await services.accounts.setCounties(wechatName, config.wechat.accountCounties, { skipUnknown: true });
      if (skipped.length > 0) log.warn({ counties: skipped }, 'WECHAT_ACCOUNT_COUNTIES names counties that do not exist (yet): ignored');
      sources.push('env');
    }
    if (!demoMode) sources.push('db');
    const puppetFor: PuppetFactory = (account: BotAccount) => {
      switch (account.source) {
        case 'test':
          return { puppet: overrides.puppet!, wechatyName: wechatName };
        case 'demo':
          return { puppet: demo!.puppet, wechatyName: wechatName, afterStart: () => demo!.login() };
        case 'env':
          return {
            puppet: createServicePuppet(config.wechat.puppetService!),
            wechatyName: wechatName,
            probe: servicePuppetProbe(config.wechat.puppetService!),
          };
        case 'db': {
          const wechatyName = `${wechatName}-${account.id}`;
          if (overrides.puppetFactory) return { puppet: overrides.puppetFactory(account), wechatyName };
          if (config.wechat.accountPuppet === 'mock') return mockAccountPuppet(account, wechatyName);
          const settings = {
            token: account.token ?? undefined,
            endpoint: account.endpoint ?? undefined,
            noTlsInsecureClient: !account.tls,
          };
          return { puppet: createServicePuppet(settings), wechatyName, probe: servicePuppetProbe(settings) };
        }
      }
    };
    const throttle = {
      intervalMs: config.schedule.sendIntervalMs,
      jitterMs: config.schedule.sendJitterMs,
      dailyCap: config.schedule.sendDailyCap,
      perMinute: config.schedule.sendPerMinute,
      switchIntervalMs: config.schedule.sendSwitchIntervalMs,
      newAccountDays: config.schedule.sendNewAccountDays,
      quiet: config.schedule.quiet,
      zone: config.schedule.zone,
    };
    const accounts = new AccountPool({
      ds,
      accounts: services.accounts,
      sources,
      ownName: wechatName,
      puppetFor,
      maxAccounts: config.wechat.maxAccountsPerProcess,
      throttle,
      clock,
      log: log.child({ component: 'wechat' }),
      metrics,
      reconnectMaxMs: config.wechat.reconnectMaxMs,
      batchWindowMs: config.schedule.sendBatchWindowMs,
      batchMax: config.schedule.sendBatchMax,
      ...overrides.pool,
    });
    parts.accounts = accounts;
    const speech = new GroupSpeech({ ds, pool: accounts, speakers: services.speakers, clock, log: log.child({ component: 'speakers' }) });
    parts.speech = speech;
    const channel = new WechatChannel({
      robot,
      rules: config.links,
      clock,
      staleSeconds: config.counting.staleSeconds,
      groups: services.groups,
      metrics,
      log: log.child({ component: 'wechat-channel' }),
      roomsListed: (id, count) => accounts.groupsListed(id, count),
      claims: services.claims,
      speakers: services.speakers,
      groupReply: (roomId, talker, text, heardBy, room, priority) => speech.reply(roomId, talker, text, heardBy, room, priority),
    });
    parts.channel = channel;
    accounts.on('attached', (account) => channel.attach(account));
    // The accounts this process can take now are attached before start-up goes on; more later.
    // (The logout alerts below watch these too.)
    await accounts.start();
    // Every group's speaker, elected now and every couple of seconds (and when an account comes or goes).
    await speech.start();
    if (demo) {
      await accounts.list()[0]?.runtime.started;
      if (overrides.demoTraffic !== false) demo.startTraffic(config.wechat.demoIntervalMs);
    }

    const health = async (): Promise<HealthReport> => {
      const up = await dbMonitor.check();
      // The login QR code is a secret: never on /healthz.
      const { qrcode: _secret, ...bot } = accounts.summary();
      return {
        database: up ? 'up' : 'down',
        bot: {
          ...bot,
          mode: demo ? 'demo' : 'puppet-service',
          holder: accounts.holder,
          accounts: accounts.list().map((a) => {
            const s = a.runtime.status();
            return { id: a.id, name: a.name, state: s.state, loggedIn: s.loggedIn, connected: s.connected };
          }),
        },
        version: VERSION,
      };
    };
    const readiness = async (): Promise<SystemReadiness> => {
      const reasons: string[] = [];
      const up = await dbMonitor.check();
      const embedded = dbServer.status();
      if (embedded && embedded.state !== 'running') reasons.push('内置数据库已停止，正在重启');
      else if (!up) reasons.push('数据库无法连接');
      const bot = accounts.summary();
      const wechatReady = await accounts.readiness();
      reasons.push(...wechatReady.reasons);
      const spool = services.shares.state;
      if (spool.spoolDepth > config.resilience.spoolReadyMax) reasons.push(`待写入数据库的转发积压 ${spool.spoolDepth} 条`);
      return {
        ready: reasons.length === 0,
        reasons,
        database: { up, since: dbMonitor.status().since, embedded },
        wechat: { state: bot.state, connected: bot.connected, loggedIn: bot.loggedIn, since: bot.since },
        spool: { depth: spool.spoolDepth, bytes: spool.spoolBytes, mode: spool.mode },
        replies: { waiting: accounts.repliesWaiting },
        version: VERSION,
      };
    };
    const callbackDeps = { robot, receipts: services.receipts, clock, log: log.child({ component: 'callbacks' }), metrics };
    const wecomApi = wecomClientOf(config, log);
    const alertLog = log.child({ component: 'alerts' });
    const alerts = new AlertService({ ds, config, deliver: createDeliver({ wecom: wecomApi }), log: alertLog, clock });
    await alerts.refreshRecipients().catch((err: unknown) => alertLog.warn({ err }, 'could not read alert recipients'));
    // The raw tables' months ahead (and retention) now, then daily with the scheduler's housekeeping.
    const partitions = new PartitionUpkeep(services.partitions, alerts, config, log.child({ component: 'partitions' }));
    await partitions.run(clock.now());
    accounts.restrictions = new SendRestrictions({
      speakers: services.speakers,
      speech,
      alerts,
      clock,
      log: log.child({ component: 'send-restrictions' }),
      zone: config.schedule.zone,
      backoffMs: config.schedule.restrictedBackoffMs,
      backoffMaxMs: config.schedule.restrictedBackoffMaxMs,
    });
    // Each account's logout is its own incident, watched while this process drives it.
    const wechatAlerts = new Map<number, WechatAlertWatch>();
    parts.wechatAlerts = wechatAlerts;
    const watchAccount = (account: WechatAccount): void => {
      wechatAlerts.set(
        account.id,
        watchWechatForAlerts(account.runtime, alerts, {
          log: alertLog,
          clock,
          zone: config.schedule.zone,
          account: { id: account.id, name: account.name, counties: () => services.accounts.countiesOf(account.id) },
        }),
      );
    };
    accounts.list().forEach(watchAccount);
    accounts.on('attached', watchAccount);
    accounts.on('detached', (id) => {
      wechatAlerts.get(id)?.stop();
      wechatAlerts.delete(id);
    });
    // When each account here listens (intervals extended every few seconds); unheard groups and suspect accounts every minute.
    const coverage = new CoverageMonitor({
      pool: accounts,
      coverage: services.coverage,
      alerts,
      clock,
      log: log.child({ component: 'coverage' }),
      metrics,
      alertMinutes: config.alerts.coverageMinutes,
      suspectMinutes: config.alerts.suspectMinutes,
    });
    parts.coverage = coverage;
    coverage.start();
    // The database down for longer than DB_DOWN_ALERT_AFTER_SECONDS: one direct alert per incident.
    const dbAlarm = new DatabaseDownAlarm(alerts, config.alerts.dbDownAfterSeconds, clock, config.schedule.zone);
    dbMonitor.onCheck((up) => {
      dbAlarm.observe(up).catch((err: unknown) => alertLog.warn({ err }, 'the database alarm failed'));
    });
    // Every configured channel plug-in (src/channels/registry.ts) mounts its callback routes.
    const routers = channelRouters(config, callbackDeps, channels);
    const jobs = new JobRunner(ds, services, config, log.child({ component: 'jobs' }));
    // The console's API (/api/v1): sign-in, reads over the services, its OpenAPI document.
    routers.push(
      createApiRouter({
        ds,
        services,
        jobs,
        clock,
        log: log.child({ component: 'api' }),
        config,
        readiness,
        wechat: () => accounts.summary(),
        version: VERSION,
        wecomApi,
      }),
    );
    const app = createApp({
      health,
      ready: readiness,
      metrics: metrics.registry,
      log,
      routers,
      console: consoleStatic(),
      trustProxy: config.http.trustProxy,
    });
    let port = 0;
    if (overrides.http !== false) {
      const server: Server = await new Promise((resolve, reject) => {
        const s = createHttpServer(app, config.http);
        s.listen(config.http.port, config.http.host, () => resolve(s));
        s.once('error', reject);
      });
      parts.server = server;
      port = (server.address() as AddressInfo).port;
    }

    // The send queue: a group's entries go out only through its speaker, claimed only by the
    // process that holds it; a contact's through an account here that knows the contact.
    const outbox = new OutboxWorker(
      ds,
      createDeliver({ wecom: wecomApi }),
      throttle,
      log.child({ component: 'outbox' }),
      Math.random,
      async (msg) => {
        const account =
          msg.channel === 'wechat-room'
            ? (speech.speakerHere(msg.recipient) ?? accounts.get((await services.speakers.speakerOf(msg.recipient)) ?? -1) ?? null)
            : await accounts.senderFor('wechat-contact', msg.recipient);
        return account ? { limiter: account.limiter, deliver: createDeliver({ bot: account.bot, wecom: wecomApi }) } : null;
      },
      () => accounts.list().map((a) => a.id),
    );
    let scheduler: Scheduler | null = null;
    if (overrides.scheduler ?? config.schedule.enabled) {
      const worker = outbox;
      // Housekeeping: callback receipts and used signatures past their retry window.
      const housekeeping = [
        (now: Date) => partitions.daily(now),
        async (now: Date) => {
          const pruned = await services.receipts.prune(now);
          if (pruned.receipts + pruned.signatures > 0) log.debug(pruned, 'old callback receipts deleted');
        },
      ];
      scheduler = new Scheduler(jobs, worker, config, clock, log.child({ component: 'scheduler' }), housekeeping);
      parts.scheduler = scheduler;
      await scheduler.start();
      // The nightly backup is of the real database: the demo's own database is not backed up.
      if (!demoMode && !overrides.dataSource) {
        const backup = new NightlyBackup(dbServer.url, config, alerts, clock, log.child({ component: 'backup' }));
        parts.backup = backup;
        backup.start();
      }
    }
    log.info({ url: `http://${config.http.host}:${port}` }, 'kepubot is ready (GET /healthz, GET /readyz, GET /metrics)');
    // The demo's own operator account and link (its data is the demo county only).
    // Without CONSOLE_PUBLIC_URL the link names the port actually listened on (PORT=0 picks one).
    const consoleBase = config.console.publicUrlSet || port === 0 ? config.console.publicUrl : `http://localhost:${port}`;
    const consoleLink = demo ? ticketLink(consoleBase, await services.consoleAuth.demoTicket(clock.now())) : null;
    if (consoleLink) log.info({ url: consoleLink }, 'open the console (demo county) with this one-time link');

    return {
      config,
      log,
      clock,
      ds,
      dbServer,
      dbMonitor,
      services,
      metrics,
      robot,
      accounts,
      speech,
      coverage,
      outbox,
      channel,
      demo,
      port,
      jobs,
      scheduler,
      alerts,
      consoleLink,
      readiness,
      stop,
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

/**
 * Opens the database (DATABASE_URL, or the embedded PostgreSQL shared with other kepubot
 * processes) and brings the schema up to date; an open `existing` DataSource is used as it is.
 */
export async function openDatabase(
  config: AppConfig,
  log: Logger,
  role: 'server' | 'cli',
  existing?: DataSource,
  /** The demo's own database (db/demo-database.ts) instead of the real one; 'unless-accounts': unless accounts were added. */
  demo: boolean | 'unless-accounts' = false,
): Promise<{ dbServer: DatabaseServer; ds: DataSource; demo: boolean }> {
  if (existing) {
    const added: unknown[] =
      demo === 'unless-accounts'
        ? await existing.query(`SELECT 1 FROM bot_account WHERE source = 'db' AND removed_at IS NULL LIMIT 1`)
        : [];
    return {
      dbServer: { url: '', mode: 'external', status: () => null, supervise: () => undefined, stop: async () => undefined },
      ds: existing,
      demo: demo === true || (demo === 'unless-accounts' && added.length === 0),
    };
  }
  const dbServer = await openDatabaseServer(config.database, log, role);
  try {
    const isDemo = demo === 'unless-accounts' ? !(await hasAddedAccounts(dbServer.url)) : demo;
    const url = isDemo ? await demoDatabaseUrl(dbServer.url, config.database.demoUrl, log) : dbServer.url;
    const ds = await openDataSource({ url, poolSize: role === 'cli' ? 2 : config.database.poolSize, log });
    log.info({ database: dbServer.mode }, 'database ready, migrations applied');
    return { dbServer, ds, demo: isDemo };
  } catch (err) {
    await dbServer.stop();
    throw err;
  }
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
