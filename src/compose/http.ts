import type Router from '@koa/router';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DataSource } from 'typeorm';
import type { AccountPool } from '../channels/wechat/account-pool';
import type { WecomApiClient } from '../channels/wecom/wecom-api';
import { createApp, createHttpServer, type HealthReport, type SystemReadiness } from '../http/app';
import { createApiRouter } from '../http/api/router';
import { consoleStatic } from '../http/console-static';
import type { JobRunner } from '../jobs/runner';
import type { Services } from '../services';
import { VERSION, type Ground, type Started } from './parts';

/**
 * The Koa app: the probes, /metrics, the channels' callbacks, the console's API (/api/v1: sign-in,
 * reads over the services, its OpenAPI document) and its pages; listening unless told not to.
 * Returns the port actually bound (0 without HTTP).
 */
export async function startHttp(
  { config, log, clock, metrics, overrides }: Ground,
  parts: Started,
  deps: {
    ds: DataSource;
    services: Services;
    jobs: JobRunner;
    accounts: AccountPool;
    wecomApi?: WecomApiClient;
    /** The channels' callback routes (compose/channels.ts). */
    routes: Router[];
    health: () => Promise<HealthReport>;
    readiness: () => Promise<SystemReadiness>;
  },
): Promise<number> {
  const api = createApiRouter({
    ds: deps.ds,
    services: deps.services,
    jobs: deps.jobs,
    clock,
    log: log.child({ component: 'api' }),
    config,
    readiness: deps.readiness,
    wechat: () => deps.accounts.summary(),
    version: VERSION,
    wecomApi: deps.wecomApi,
  });
  const app = createApp({
    health: deps.health,
    ready: deps.readiness,
    metrics: metrics.registry,
    log,
    routers: [...deps.routes, api],
    console: consoleStatic(),
    trustProxy: config.http.trustProxy,
  });
  if (overrides.http === false) return 0;
  const server: Server = await new Promise((resolve, reject) => {
    const s = createHttpServer(app, config.http);
    s.listen(config.http.port, config.http.host, () => resolve(s));
    s.once('error', reject);
  });
  parts.server = server;
  return (server.address() as AddressInfo).port;
}
