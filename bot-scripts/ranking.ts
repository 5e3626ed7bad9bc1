// Description:
//   Today's ranking of the group's station by effective shares.
//
// Commands:
//   #排行 - 查看本站今天的转发排行和达标人数

import type { Robot } from '../src/bot/robot';
import { chineseDayLabel, dayOf } from '../src/domain/calendar';

export default function ranking(robot: Robot): void {
  robot.respond(/^排行榜?$/, { id: 'stats.ranking', channels: ['wechat-group'] }, async (ctx) => {
    const station = await ctx.services.groups.stationOf(ctx.message.room!.id);
    if (!station) {
      await ctx.reply('本群还没有绑定e站，暂无排行。请e站管理员先绑定本群。');
      return { outcome: 'invalid', detail: 'group not bound' };
    }
    const today = dayOf(ctx.clock.now());
    const r = await ctx.services.statistics.stationRanking(station.id, { from: today, to: today }, 10);
    const lines = [`${r.stationName} 今日转发排行（${chineseDayLabel(today)}）`];
    if (r.rows.length === 0) lines.push('今天还没有人转发科普中国内容，快来做第一个吧！');
    r.rows.forEach((row, i) => lines.push(`${i + 1}. ${row.name} ${row.effective} 条`));
    lines.push(`今日达标（≥${r.quota}条）：${r.quotaMet} / ${r.informants} 人`);
    await ctx.reply(lines.join('\n'));
  });
}
