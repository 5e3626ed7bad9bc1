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
import { PRIVATE_CHANNELS, stationAccess } from '../src/bot/station-access';
import { dayOf } from '../src/domain/calendar';
import { describeActivity, parseCorrection, parseWithdraw } from '../src/domain/station-commands';
import { UserError } from '../src/services/group.service';

export default function stationActivityEdit(robot: Robot): void {
  robot.respond(/^修改(?:\s+([\s\S]*))?$/, { id: 'station.activity.correct', channels: [...PRIVATE_CHANNELS] }, async (ctx) => {
    const access = await stationAccess(ctx, 'write');
    if (!access.ok) return access.outcome;
    const parsed = parseCorrection(ctx.match?.[1] ?? '', dayOf(ctx.clock.now()));
    if (!parsed.ok) {
      await ctx.reply(parsed.error);
      return { outcome: 'invalid', detail: parsed.error, stationId: access.stationId };
    }
    try {
      const { after } = await ctx.services.activities.correct(access.stationId, parsed.value);
      await ctx.reply(`已修改编号 ${after.id}：${describeActivity(after)}`);
      return { stationId: access.stationId, detail: `activity ${after.id} ${parsed.value.field}` };
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      await ctx.reply(err.message);
      return { outcome: 'invalid', detail: err.message, stationId: access.stationId };
    }
  });

  robot.respond(/^撤销(?:\s+([\s\S]*))?$/, { id: 'station.activity.withdraw', channels: [...PRIVATE_CHANNELS] }, async (ctx) => {
    const access = await stationAccess(ctx, 'write');
    if (!access.ok) return access.outcome;
    const parsed = parseWithdraw(ctx.match?.[1] ?? '');
    if (!parsed.ok) {
      await ctx.reply(parsed.error);
      return { outcome: 'invalid', detail: parsed.error, stationId: access.stationId };
    }
    try {
      const a = await ctx.services.activities.withdraw(access.stationId, parsed.value);
      await ctx.reply(`已撤销编号 ${a.id}：${describeActivity(a)}`);
      return { stationId: access.stationId, detail: `activity ${a.id} withdrawn` };
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      await ctx.reply(err.message);
      return { outcome: 'invalid', detail: err.message, stationId: access.stationId };
    }
  });
}
