// Description:
//   Lists the commands, read from the headers of the bot scripts.
//
// Commands:
//   #帮助 - 列出所有命令

import type { Robot } from '../src/bot/robot';

export default function help(robot: Robot): void {
  robot.respond(/^(帮助|菜单|help)$/i, { id: 'help' }, async (ctx) => {
    const lines = ['科普e站助手可以帮您：'];
    for (const entry of ctx.help) lines.push(`${entry.command}：${entry.description}`);
    await ctx.reply(lines.join('\n'));
  });
}
