import { CHANNEL_GROUPS, type AppConfig } from '../config';

/** The manager channels that need configuration before anyone can be reached through them. */
export type ConfigurableChannel = 'wecom' | 'mp';

/** Which configurable channels this process has (from the loaded config). */
export type ConfiguredChannels = Record<ConfigurableChannel, boolean>;

export function configuredChannels(config: AppConfig): ConfiguredChannels {
  return { wecom: Boolean(config.wecom), mp: Boolean(config.mp) };
}

/** What is missing for a channel, in Chinese, naming the environment variables to set. */
export const NOT_CONFIGURED: Record<ConfigurableChannel, string> = {
  wecom: `企业微信未配置：需要在 .env 中设置 ${CHANNEL_GROUPS.WeCom.join('、')}（见 README 配置表）`,
  mp: `公众号未配置：需要在 .env 中设置 ${CHANNEL_GROUPS['Official Account'].join('、')}（见 README 配置表）`,
};
