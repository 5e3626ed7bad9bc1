/**
 * Where a message came from: the built-in channels (a WeChat group, a private WeChat chat, the
 * WeCom app, the Official Account), or the name of a channel plug-in (src/channels/registry.ts).
 * Every channel but 'wechat-group' is one to one.
 */
export type ChannelName = 'wechat-group' | 'wechat-private' | 'wecom' | 'mp' | (string & {});

/**
 * Which of a person's registered handles a sender id is: a WeCom user id, an Official Account
 * openid, or a WeChat contact id (the columns of station_manager and county_staff).
 */
export type IdentityKind = 'wecom-user' | 'openid' | 'wechat-contact';
