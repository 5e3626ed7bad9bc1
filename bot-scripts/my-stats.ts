// Description:
//   Shows an informant their own effective shares against the daily quota.
//
// Commands:
//   #我的 - 查看我今天、本周、本月的有效转发和达标情况

import type { Robot } from '../src/bot/robot';
import { dayOf } from '../src/domain/calendar';

export default function myStats(robot: Robot): void {
  robot.respond(/^我的$/, { id: 'stats.mine', channels: ['wechat-group', 'wechat-private'] }, async (ctx) => {
    const informant = await ctx.services.informants.findByContact(ctx.message.sender.id);
    if (!informant) {
      await ctx.reply('您还没有绑定信息员身份。请在本站的群里发送：#绑定 您的姓名');
      return { outcome: 'invalid', detail: 'not bound' };
    }
    const today = dayOf(ctx.clock.now());
    const s = await ctx.services.statistics.informantSummary(informant.id, today);
    if (!s) throw new Error(`informant ${informant.id} vanished`);
    const missing = Math.max(0, s.quota - s.today.effective);
    const todayLine =
      missing === 0
        ? `今天 ${s.today.effective} 条，已达标（每天 ${s.quota} 条）`
        : `今天 ${s.today.effective} / ${s.quota} 条，还差 ${missing} 条`;
    await ctx.reply(
      [
        `${s.name}（${s.stationName}）的有效转发：`,
        todayLine,
        `本周 ${s.week.effective} 条（已过 ${s.week.days} 天）`,
        `本月 ${s.month.effective} 条，达标 ${s.month.quotaMetDays} / ${s.month.days} 天`,
      ].join('\n'),
    );
  });
}
