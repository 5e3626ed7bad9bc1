// Description:
//   Lists the station's activities of this month (or last month), with their record numbers.
//
// Commands:
//   活动列表 [上月] [e站名称] - 查看本月（或上月）已登记的活动及编号
//
// Audience:
//   manager, staff

import type { Robot } from '../src/bot/robot';
import { PRIVATE_CHANNELS, stationAccess } from '../src/bot/station-access';
import { chineseDayLabel, dayOf, monthOf, previousMonthOf } from '../src/domain/calendar';

export default function stationActivityList(robot: Robot): void {
  robot.respond(
    /^(?:活动列表|本月活动|活动记录)(?:\s+(上月))?(?:\s+(\S+))?$/,
    { id: 'station.activity.list', channels: [...PRIVATE_CHANNELS] },
    async (ctx) => {
      const access = await stationAccess(ctx, 'read', ctx.match?.[2]);
      if (!access.ok) return access.outcome;
      const today = dayOf(ctx.clock.now());
      const month = ctx.match?.[1] ? previousMonthOf(today) : monthOf(today);
      const list = await ctx.services.activities.list(access.stationId, month);
      const label = `${Number(month.from.slice(5, 7))}月`;
      if (list.length === 0) {
        await ctx.reply(`${access.stationName}${label}还没有登记活动。登记示例：活动 11月20日 讲座 冬季防火知识 65人 文化站`);
      } else {
        const lines = list.map(
          (a) => `${a.id}. ${chineseDayLabel(a.date)} ${a.type}「${a.title}」${a.participants}人${a.place ? ` ${a.place}` : ''}`,
        );
        await ctx.reply([`${access.stationName}${label}的活动（共 ${list.length} 次）：`, ...lines].join('\n'));
      }
      return { stationId: access.stationId };
    },
  );
}
