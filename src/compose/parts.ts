import type { ChannelRegistration } from '../channels/channel';
import type * as PUPPET from 'wechaty-puppet';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Server } from 'node:http';
import type { DataSource } from 'typeorm';
import type { DemoWorld } from '../channels/wechat/demo';
import type { AccountPool } from '../channels/wechat/account-pool';
import type { CoverageMonitor } from '../channels/wechat/coverage-monitor';
import type { GroupSpeech } from '../channels/wechat/group-speech';
import type { WechatChannel } from '../channels/wechat/wechat-channel';
import type { WechatAlertWatch } from '../channels/wechat/wechat-alerts';
import type { Clock } from '../clock';
import type { AppConfig } from '../config';
import type { DatabaseServer } from '../db/embedded-postgres';
import type { NightlyBackup } from '../jobs/nightly-backup';
import type { Scheduler } from '../jobs/scheduler';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { Services } from '../services';
import type { DatabaseMonitor } from '../services/database-monitor';

/** The package version, from package.json (dist/src/compose/parts.js → ../../../package.json). */
export const VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
})();

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

/** What every part is built from: the config (the demo's, once the database part has chosen), the support, the overrides. */
export interface Ground {
  config: AppConfig;
  log: Logger;
  clock: Clock;
  metrics: Metrics;
  overrides: ComposeOverrides;
}

/**
 * The parts that need stopping, filled in by each part as it starts: the shutdown list
 * (shutdown.ts) stops whatever is here, in its order, whatever has started.
 */
export interface Started {
  dbServer?: DatabaseServer;
  ds?: DataSource;
  dbMonitor?: DatabaseMonitor;
  services?: Services;
  demo?: DemoWorld;
  accounts?: AccountPool;
  speech?: GroupSpeech;
  channel?: WechatChannel;
  wechatAlerts?: Map<number, WechatAlertWatch>;
  coverage?: CoverageMonitor;
  server?: Server;
  scheduler?: Scheduler;
  backup?: NightlyBackup;
}
