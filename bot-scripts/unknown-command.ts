// Description:
//   Answers a private message that is no command: suggests the nearest command, or the help.
//
// Commands:
//   (其他内容) - 提示最接近的命令

import type { Robot } from '../src/bot/robot';
import { commandWords } from '../src/bot/script-loader';
import { PRIVATE_CHANNELS } from '../src/bot/station-access';
import { suggestCommand } from '../src/domain/station-commands';

export default function unknownCommand(robot: Robot): void {
  robot.fallback({ id: 'station.unknown', channels: [...PRIVATE_CHANNELS] }, async (ctx) => {
    const text = ctx.match?.[0] ?? '';
    const nearest = suggestCommand(text, commandWords(ctx.help));
    const entry = nearest ? ctx.help.find((h) => h.command.replace(/^#/, '').startsWith(nearest)) : undefined;
    await ctx.reply(
      nearest
        ? `没有“${text.split(/\s+/)[0]}”这个命令，您是不是要用“${nearest}”？${entry ? `\n${entry.command}：${entry.description}` : ''}\n发“帮助”查看全部命令。`
        : '没看懂这条消息。发“帮助”查看您可以使用的命令。',
    );
    return { outcome: 'invalid', detail: nearest ? `unknown command, suggested ${nearest}` : 'unknown command' };
  });
}
