import type Router from '@koa/router';
import type { AppConfig } from '../config';
import { IdentityKinds, WECHAT_CONTACT, type IdentityKindEntry, type IdentityKindSpec } from '../domain/identity-kinds';
import type { ChannelDeps, ChannelPlugin, ChannelRegistration } from './channel';
import { mpChannel } from './mp/mp-callback';
import { wecomChannel } from './wecom/wecom-callback';

/**
 * The manager channels, each built from config (null when not configured). Adding a channel:
 * its folder under src/channels/ exporting a ChannelRegistration (with its identity kind), and
 * one line here; person_identity takes the new kind without a migration.
 */
export const CHANNELS: readonly ChannelRegistration[] = [wecomChannel, mpChannel];

/**
 * The identity kinds of an installation: each registered channel's kind (one entry per kind: two
 * channels may share one, available when either is configured), then the WeChat contact (the
 * WeChat channels, always there).
 */
export function identityKindsOf(config: AppConfig, registry: readonly ChannelRegistration[] = CHANNELS): IdentityKinds {
  const entries: IdentityKindEntry[] = identitySpecs(registry).map((spec) => {
    const channels = registry.filter((c) => c.identity.kind === spec.kind);
    const reasons = channels.map((c) => c.notConfigured(config));
    // Available when any channel of the kind is configured (the WeChat contact: always).
    return { ...spec, unavailable: reasons.length > 0 && reasons.every((r) => r !== null) ? reasons[0] : null };
  });
  return new IdentityKinds(entries);
}

/** The identity kinds' declarations of a registry, whatever the configuration (the API's schemas list them all). */
export function identitySpecs(registry: readonly ChannelRegistration[] = CHANNELS): IdentityKindSpec[] {
  const specs: IdentityKindSpec[] = [];
  for (const spec of [...registry.map((c) => c.identity), WECHAT_CONTACT]) if (!specs.some((s) => s.kind === spec.kind)) specs.push(spec);
  return specs;
}

/** The configured channels of a registry (by default CHANNELS). */
export function buildChannels(config: AppConfig, deps: ChannelDeps, registry: readonly ChannelRegistration[] = CHANNELS): ChannelPlugin[] {
  const built = registry.map((c) => c.build(config, deps)).filter((c): c is ChannelPlugin => c !== null);
  const names = new Set<string>();
  for (const c of built) {
    if (names.has(c.name)) throw new Error(`two channels named ${c.name}`);
    names.add(c.name);
  }
  return built;
}

/** The HTTP routes of every configured channel, for createApp({ routers }). */
export function channelRouters(config: AppConfig, deps: ChannelDeps, registry: readonly ChannelRegistration[] = CHANNELS): Router[] {
  const channels = buildChannels(config, deps, registry);
  deps.log.info({ channels: channels.map((c) => c.name) }, 'manager channels');
  return channels.map((c) => c.router());
}
