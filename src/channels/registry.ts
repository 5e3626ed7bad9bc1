import type Router from '@koa/router';
import type { AppConfig } from '../config';
import type { ChannelDeps, ChannelFactory, ChannelPlugin } from './channel';
import { mpChannel } from './mp/mp-callback';
import { wecomChannel } from './wecom/wecom-callback';

/**
 * The manager channels, each built from config (null when not configured). Adding a channel:
 * its folder under src/channels/ exporting a ChannelFactory, and one line here.
 */
export const CHANNELS: readonly ChannelFactory[] = [wecomChannel, mpChannel];

/** The configured channels of a registry (by default CHANNELS). */
export function buildChannels(config: AppConfig, deps: ChannelDeps, registry: readonly ChannelFactory[] = CHANNELS): ChannelPlugin[] {
  const built = registry.map((make) => make(config, deps)).filter((c): c is ChannelPlugin => c !== null);
  const names = new Set<string>();
  for (const c of built) {
    if (names.has(c.name)) throw new Error(`two channels named ${c.name}`);
    names.add(c.name);
  }
  return built;
}

/** The HTTP routes of every configured channel, for createApp({ routers }). */
export function channelRouters(config: AppConfig, deps: ChannelDeps, registry: readonly ChannelFactory[] = CHANNELS): Router[] {
  const channels = buildChannels(config, deps, registry);
  deps.log.info({ channels: channels.map((c) => c.name) }, 'manager channels');
  return channels.map((c) => c.router());
}
