import type Router from '@koa/router';
import type { Robot } from '../bot/robot';
import { channelRouters } from '../channels/registry';
import { WecomApiClient } from '../channels/wecom/wecom-api';
import type { Services } from '../services';
import type { Ground } from './parts';

/** The process's WeCom API client (app messages, sign-in), when WeCom is configured. */
export function wecomApiOf({ config, log }: Ground): WecomApiClient | undefined {
  return config.wecom
    ? new WecomApiClient({
        baseUrl: config.wecom.apiBase,
        corpId: config.wecom.corpId,
        secret: config.wecom.secret,
        agentId: config.wecom.agentId,
        log: log.child({ component: 'wecom-api' }),
      })
    : undefined;
}

/** Every configured channel plug-in (src/channels/registry.ts) with its callback routes. */
export function channelRoutes(
  { config, log, clock, metrics }: Ground,
  robot: Robot,
  services: Services,
  wecomApi: WecomApiClient | undefined,
): Router[] {
  return channelRouters(config, {
    robot,
    receipts: services.receipts,
    clock,
    log: log.child({ component: 'callbacks' }),
    metrics,
    wecomApi,
  });
}
