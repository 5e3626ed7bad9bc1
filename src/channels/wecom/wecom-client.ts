import type { AppConfig } from '../../config';
import type { Logger } from '../../logger';
import { WecomApiClient, type WecomApiOptions } from './wecom-api';

type WecomConfig = NonNullable<AppConfig['wecom']>;

/** One client per WeCom configuration: one access token per process, shared by the channel, sign-in, alerts and the send queue. */
const clients = new WeakMap<WecomConfig, WecomApiClient>();

/**
 * The WeCom API client of this configuration (config.wecom), built on first use: the WeCom
 * app's plug-in, WeCom sign-in, alerts and the send queue all ask here, so the process keeps one
 * access token. `options` (retry timing, for tests) apply when this call builds it.
 */
export function wecomClient(
  wecom: WecomConfig,
  log?: Logger,
  options: Partial<Pick<WecomApiOptions, 'sleep' | 'now' | 'maxAttempts' | 'requestTimeoutMs'>> = {},
): WecomApiClient {
  let client = clients.get(wecom);
  if (!client) {
    client = new WecomApiClient({
      baseUrl: wecom.apiBase,
      corpId: wecom.corpId,
      secret: wecom.secret,
      agentId: wecom.agentId,
      log: log?.child({ component: 'wecom-api' }),
      ...options,
    });
    clients.set(wecom, client);
  }
  return client;
}

/** The client when WeCom is configured, else undefined (alerts, the send queue and sign-in then say it is not configured). */
export function wecomClientOf(config: AppConfig, log?: Logger): WecomApiClient | undefined {
  return config.wecom ? wecomClient(config.wecom, log) : undefined;
}
