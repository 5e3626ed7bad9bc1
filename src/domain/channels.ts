/**
 * Where a message came from: the built-in channels (a WeChat group, a private WeChat chat, the
 * WeCom app, the Official Account), or the name of a channel plug-in (src/channels/registry.ts).
 * Every channel but 'wechat-group' is one to one.
 */
export type ChannelName = 'wechat-group' | 'wechat-private' | 'wecom' | 'mp' | (string & {});

/** Which of a person's identities a sender id is (src/domain/identity-kinds.ts). */
export type { IdentityKind } from './identity-kinds';
