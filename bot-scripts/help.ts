// Description:
//   Lists the commands this person may run, read from the headers of the bot scripts.
//
// Commands:
//   #帮助 - 列出我可以使用的命令
//
// Audience:
//   informant, manager, staff

import type { Robot } from '../src/bot/robot';
import { identityKindOf, isPrivate, type Audience } from '../src/bot/context';

export default function help(robot: Robot): void {
  robot.respond(/^(帮助|菜单|help)$/i, { id: 'help' }, async (ctx) => {
    const { message } = ctx;
    let audience: Audience = 'informant';
    let intro = '科普e站助手可以帮您：';
    if (isPrivate(message)) {
      const who = await ctx.services.people.whoIs(identityKindOf(message), message.sender.id);
      if (who.role === 'manager') {
        audience = 'manager';
        intro = `您是“${who.station.name}”的管理员，可以发送：`;
      } else if (who.role === 'staff') {
        audience = 'staff';
        intro = `您是${who.county.name}的工作人员，可以查看本旗县区各e站：`;
      } else if (identityKindOf(message) !== 'wechat-contact') {
        await ctx.reply('您还没有登记为e站管理员。如需开通，请联系旗县区科协登记您的账号。');
        return { outcome: 'refused', detail: 'not registered' };
      }
    }
    const entries = ctx.help.filter((h) => h.audience.includes(audience) && !h.command.startsWith('('));
    // In private chats the # is optional; in groups it is needed.
    const show = (c: string) => (!isPrivate(message) || audience === 'informant' ? c : c.replace(/^#/, ''));
    const lines = [intro, ...entries.map((e) => `${show(e.command)}：${e.description}`)];
    if (audience === 'informant') lines.push('转发科普中国链接会自动计数，无需命令。');
    await ctx.reply(lines.join('\n'));
  });
}
