// Description:
//   Logs the use of the station's resources (see the seeds): bulletin board changes and
//   big-screen hours; both appear in 本月.
//
// Commands:
//   宣传栏 更换 主题 [日期] - 登记宣传栏更换，例如：宣传栏 更换 冬季防火
//   大屏 小时数 [日期] - 登记大屏播放时长，例如：大屏 5小时
//
// Audience:
//   manager

import type { Robot } from '../src/bot/robot';
import { PRIVATE_CHANNELS, stationAccess } from '../src/bot/station-access';
import { chineseDayLabel, dayOf } from '../src/domain/calendar';
import { parseBulletin, parseScreen } from '../src/domain/station-commands';

export default function stationResources(robot: Robot): void {
  robot.respond(/^宣传栏(?:\s+([\s\S]*))?$/, { id: 'station.resources.bulletin', channels: [...PRIVATE_CHANNELS] }, async (ctx) => {
    const access = await stationAccess(ctx, 'write');
    if (!access.ok) return access.outcome;
    const parsed = parseBulletin(ctx.match?.[1] ?? '', dayOf(ctx.clock.now()));
    if (!parsed.ok) {
      await ctx.reply(parsed.error);
      return { outcome: 'invalid', detail: parsed.error, stationId: access.stationId };
    }
    const log = await ctx.services.activities.logBulletin(access.stationId, parsed.value.date, parsed.value.topic, access.by);
    await ctx.reply(`已登记（编号 ${log.id}）：${chineseDayLabel(log.date)} 宣传栏更换为「${log.topic}」`);
    return { stationId: access.stationId };
  });

  robot.respond(/^大屏(?:\s+([\s\S]*))?$/, { id: 'station.resources.screen', channels: [...PRIVATE_CHANNELS] }, async (ctx) => {
    const access = await stationAccess(ctx, 'write');
    if (!access.ok) return access.outcome;
    const parsed = parseScreen(ctx.match?.[1] ?? '', dayOf(ctx.clock.now()));
    if (!parsed.ok) {
      await ctx.reply(parsed.error);
      return { outcome: 'invalid', detail: parsed.error, stationId: access.stationId };
    }
    const log = await ctx.services.activities.logScreen(access.stationId, parsed.value.date, parsed.value.hours, access.by);
    await ctx.reply(`已登记（编号 ${log.id}）：${chineseDayLabel(log.date)} 大屏播放 ${parsed.value.hours} 小时`);
    return { stationId: access.stationId };
  });
}
