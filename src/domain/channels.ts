/** Where a message came from: a WeChat group, a private WeChat chat, the WeCom app, the Official Account. */
export type ChannelName = 'wechat-group' | 'wechat-private' | 'wecom' | 'mp';
