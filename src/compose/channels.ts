import type Router from '@koa/router';
import type { Robot } from '../bot/robot';
import { CHANNELS, channelRouters } from '../channels/registry';
import type { WecomApiClient } from '../channels/wecom/wecom-api';
import { wecomClientOf } from '../channels/wecom/wecom-client';
import type { Services } from '../services';
import type { Ground } from './parts';

/** The process's WeCom API client (app messages, sign-in), when WeCom is configured: the WeCom plug-in's own (src/channels/wecom/wecom-client.ts). */
export function wecomApiOf({ config, log }: Ground): WecomApiClient | undefined {
  return wecomClientOf(config, log);
}

/** Every configured channel plug-in (src/channels/registry.ts, or the override's) with its callback routes. */
export function channelRoutes({ config, log, clock, metrics, overrides }: Ground, robot: Robot, services: Services): Router[] {
  const deps = { robot, receipts: services.receipts, clock, log: log.child({ component: 'callbacks' }), metrics };
  return channelRouters(config, deps, overrides.channels ?? CHANNELS);
}
