import type { AccountPool } from '../channels/wechat/account-pool';
import type { AppConfig } from '../config';
import type { DatabaseServer } from '../db/embedded-postgres';
import type { HealthReport, SystemReadiness } from '../http/app';
import type { Services } from '../services';
import type { DatabaseMonitor } from '../services/database-monitor';
import { VERSION } from './parts';

/** What the probes look at. */
interface Probed {
  dbServer: DatabaseServer;
  dbMonitor: DatabaseMonitor;
  accounts: AccountPool;
  services: Services;
  demo: boolean;
}

/** What GET /healthz answers: the database up or down, the WeChat accounts, the version. */
export function healthCheck({ dbMonitor, accounts, demo }: Probed): () => Promise<HealthReport> {
  return async () => {
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
}

/** What GET /readyz answers: ready, or the reasons (in Chinese) why not. */
export function readinessCheck(config: AppConfig, { dbServer, dbMonitor, accounts, services }: Probed): () => Promise<SystemReadiness> {
  return async () => {
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
}
