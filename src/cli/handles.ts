import type { Command } from 'commander';

/** A person's handles as the `manager add` and `staff add` options give them. */
export type HandleOpts = { name?: string; wecomUser?: string; openid?: string; wechatContact?: string };

/** Adds the handle options to a command. */
export const handleOptions = (cmd: Command): Command =>
  cmd
    .option('--name <name>', '姓名')
    .option('--wecom-user <userid>', '企业微信 UserID')
    .option('--openid <openid>', '公众号 OpenID')
    .option('--wechat-contact <id>', '微信联系人 ID（与机器人私聊时）');

/** The handles given, in Chinese ("企业微信 zhangsan、公众号 o-1"). */
export const describeHandles = (h: HandleOpts): string =>
  [h.wecomUser && `企业微信 ${h.wecomUser}`, h.openid && `公众号 ${h.openid}`, h.wechatContact && `微信 ${h.wechatContact}`]
    .filter(Boolean)
    .join('、');
