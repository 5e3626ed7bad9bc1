// Description:
//   Counts every Kepu China share (link card, mini-program card or link in text) in groups bound
//   to a station: raw shares and effective shares (one per informant, item and day).
//
// Commands:
//   (转发科普中国链接) - 自动计数，无需命令；未绑定的成员会收到一次绑定提示
//
// Configuration:
//   KEPU_EXTRA_DOMAINS, KEPU_MINIPROGRAM_NAMES, KEPU_MINIPROGRAM_APPIDS, STALE_MESSAGE_SECONDS

import type { Robot } from '../src/bot/robot';
import { dayOf } from '../src/domain/calendar';

export default function shareCounter(robot: Robot): void {
  const hinted = new Set<string>();

  robot.hear((m) => m.channel === 'wechat-group' && m.links.length > 0, { id: 'shares.count' }, async (ctx) => {
    const { message } = ctx;
    const result = await ctx.services.shares.record({
      messageId: message.id,
      roomId: message.room!.id,
      talkerId: message.sender.id,
      talkerName: message.sender.name,
      link: message.links[0],
      sentAt: message.sentAt,
    });
    ctx.log.debug({ outcome: result.outcome, key: message.links[0].contentKey }, 'share');
    if (result.outcome !== 'effective' || result.informantId !== null) return;

    const hintKey = `${message.sender.id}|${dayOf(ctx.clock.now())}`;
    if (hinted.has(hintKey)) return;
    if (hinted.size > 10_000) hinted.clear();
    hinted.add(hintKey);
    await ctx.reply('已记录您的科普转发。您还没有绑定信息员身份，请发送“#绑定 您的姓名”，之前的转发也会计入您的名下。');
  });
}
