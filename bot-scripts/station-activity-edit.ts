// Description:
//   Corrects or withdraws one of the station's own activity records.
//
// Commands:
//   修改 编号 项目 新内容 - 更正一条活动记录，例如：修改 12 人数 70（项目：人数、日期、类型、标题、地点）
//   撤销 编号 - 撤销一条本站的活动记录，例如：撤销 12
//
// Audience:
//   manager

import type { Robot } from '../src/bot/robot';
import { PRIVATE_CHANNELS, stationCommand } from '../src/bot/station-access';
import { describeActivity, parseCorrection, parseWithdraw } from '../src/domain/station-commands';

export default function stationActivityEdit(robot: Robot): void {
  robot.respond(
    /^修改(?:\s+([\s\S]*))?$/,
    { id: 'station.activity.correct', channels: [...PRIVATE_CHANNELS] },
    stationCommand(parseCorrection, async (ctx, station, correction) => {
      const { after } = await ctx.services.activities.correct(station.id, correction);
      return `已修改编号 ${after.id}：${describeActivity(after)}`;
    }),
  );

  robot.respond(
    /^撤销(?:\s+([\s\S]*))?$/,
    { id: 'station.activity.withdraw', channels: [...PRIVATE_CHANNELS] },
    stationCommand(parseWithdraw, async (ctx, station, id) => {
      const a = await ctx.services.activities.withdraw(station.id, id);
      return `已撤销编号 ${a.id}：${describeActivity(a)}`;
    }),
  );
}
