// Description:
//   Station managers log an offline activity (date, type, title, participants, place).
//
// Commands:
//   活动 日期 类型 标题 人数 地点 - 登记一次活动，例如：活动 11月20日 讲座 冬季防火知识 65人 文化站
//
// Audience:
//   manager

import type { Robot } from '../src/bot/robot';
import { PRIVATE_CHANNELS, stationCommand } from '../src/bot/station-access';
import { TARGETS } from '../src/domain/figures';
import { describeActivity, parseActivity } from '../src/domain/station-commands';

export default function stationActivityLog(robot: Robot): void {
  robot.respond(
    /^活动(?:\s+([\s\S]*))?$/,
    { id: 'station.activity.log', channels: [...PRIVATE_CHANNELS] },
    stationCommand(parseActivity, async (ctx, station, input) => {
      const a = await ctx.services.activities.log(station.id, input, station.by);
      const { activitiesPerMonth: perMonth, participantsPerActivity: least } = TARGETS;
      const small =
        a.participants < least ? `\n提示：参加人数不足 ${least} 人，不计入“每月至少 ${perMonth} 次 ${least} 人以上活动”的要求。` : '';
      return `已登记（编号 ${a.id}）：${station.name} ${describeActivity(input)}。${small}\n如有误，发“修改 ${a.id} 人数 70”或“撤销 ${a.id}”。`;
    }),
  );
}
