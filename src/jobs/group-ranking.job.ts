import { DateTime } from 'luxon';
import { monthOf, upTo } from '../domain/calendar';
import { renderRankingCard } from '../services/ranking-card';
import type { JobDefinition } from './job';
import { boundRoomScopes, roomOf } from './job';

/** Evening ranking in each bound group: today's and this month's top informants, how many met the quota, and a PNG card. */
export const groupRanking: JobDefinition = {
  name: 'group-ranking',
  scopes: boundRoomScopes,
  async plan(ctx, scope, period) {
    const room = await roomOf(ctx, scope);
    if (!room) return [];
    const { roomId, station } = room;
    const day = await ctx.services.statistics.stationRanking(station.id, { from: period.from, to: period.to }, 10);
    const month = await ctx.services.statistics.stationRanking(station.id, upTo(monthOf(period.from), period.from), 5);
    const [, m, d] = period.from.split('-').map(Number);
    const lines = [`${station.name} ${m}月${d}日科普转发排行`];
    if (day.rows.length === 0) lines.push('今天还没有人转发科普中国内容。');
    else day.rows.forEach((r, i) => lines.push(`${i + 1}. ${r.name} ${r.effective} 条`));
    lines.push(`今天 ${day.quotaMet} / ${day.informants} 人完成每天 ${day.quota} 条。`);
    if (month.rows.length > 0)
      lines.push(`本月前 ${month.rows.length} 名：${month.rows.map((r) => `${r.name} ${r.effective}`).join('、')}`);
    const png = renderRankingCard(
      `${station.name} 今日排行`,
      `${m}月${d}日 · ${day.quotaMet}/${day.informants} 人达标`,
      day.rows.map((r) => ({ name: r.name, value: r.effective })),
      day.quota,
    );
    const midnight = DateTime.fromISO(period.from, { zone: ctx.config.schedule.zone }).endOf('day').toJSDate();
    return [
      {
        channel: 'wechat-room',
        recipient: roomId,
        payload: { text: lines.join('\n'), file: { name: `ranking-${period.from}.png`, base64: png.toString('base64') } },
        validUntil: midnight,
      },
    ];
  },
};
