import { CHANNEL_GROUPS, type AppConfig } from '../config';
import { IdentityKinds, MP_OPENID, WECHAT_CONTACT, WECOM_USER } from '../domain/identity-kinds';

/** The manager channels that need configuration before anyone can be reached through them. */
export type ConfigurableChannel = 'wecom' | 'mp';

/** What is missing for a channel, in Chinese, naming the environment variables to set. */
export const NOT_CONFIGURED: Record<ConfigurableChannel, string> = {
  wecom: `企业微信未配置：需要在 .env 中设置 ${CHANNEL_GROUPS.WeCom.join('、')}（见 README 配置表）`,
  mp: `公众号未配置：需要在 .env 中设置 ${CHANNEL_GROUPS['Official Account'].join('、')}（见 README 配置表）`,
};

/** Why the WeCom app or the Official Account cannot be used here, or null when it is configured. */
export function notConfigured(config: AppConfig, channel: ConfigurableChannel): string | null {
  return config[channel] ? null : NOT_CONFIGURED[channel];
}

/**
 * The identity kinds of the built-in channels, for services built without the channel registry
 * (tests, the bench). The server and the CLI pass `identityKindsOf(config)` from
 * src/channels/registry.ts, which a test checks gives the same kinds.
 */
export function builtInIdentityKinds(config: AppConfig): IdentityKinds {
  return new IdentityKinds([
    { ...WECOM_USER, unavailable: notConfigured(config, 'wecom') },
    { ...MP_OPENID, unavailable: notConfigured(config, 'mp') },
    { ...WECHAT_CONTACT, unavailable: null },
  ]);
}
