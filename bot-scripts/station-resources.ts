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
import { PRIVATE_CHANNELS, stationCommand } from '../src/bot/station-access';
import { chineseDayLabel } from '../src/domain/calendar';
import { parseBulletin, parseScreen } from '../src/domain/station-commands';

export default function stationResources(robot: Robot): void {
  robot.respond(
    /^宣传栏(?:\s+([\s\S]*))?$/,
    { id: 'station.resources.bulletin', channels: [...PRIVATE_CHANNELS] },
    stationCommand(parseBulletin, async (ctx, station, v) => {
      const log = await ctx.services.activities.logBulletin(station.id, v.date, v.topic, station.by);
      return `已登记（编号 ${log.id}）：${chineseDayLabel(log.date)} 宣传栏更换为「${log.topic}」`;
    }),
  );

  robot.respond(
    /^大屏(?:\s+([\s\S]*))?$/,
    { id: 'station.resources.screen', channels: [...PRIVATE_CHANNELS] },
    stationCommand(parseScreen, async (ctx, station, v) => {
      const log = await ctx.services.activities.logScreen(station.id, v.date, v.hours, station.by);
      return `已登记（编号 ${log.id}）：${chineseDayLabel(log.date)} 大屏播放 ${v.hours} 小时`;
    }),
  );
}
