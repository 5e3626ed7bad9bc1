// Description:
//   Station managers log an offline activity (date, type, title, participants, place).
//
// Commands:
//   活动 日期 类型 标题 人数 地点 - 登记一次活动，例如：活动 11月20日 讲座 冬季防火知识 65人 文化站
//
// Audience:
//   manager

import type { Robot } from '../src/bot/robot';
import { PRIVATE_CHANNELS, stationAccess } from '../src/bot/station-access';
import { dayOf } from '../src/domain/calendar';
import { describeActivity, parseActivity } from '../src/domain/station-commands';
import { UserError } from '../src/services/group.service';

export default function stationActivityLog(robot: Robot): void {
  robot.respond(/^活动(?:\s+([\s\S]*))?$/, { id: 'station.activity.log', channels: [...PRIVATE_CHANNELS] }, async (ctx) => {
    const access = await stationAccess(ctx, 'write');
    if (!access.ok) return access.outcome;
    const parsed = parseActivity(ctx.match?.[1] ?? '', dayOf(ctx.clock.now()));
    if (!parsed.ok) {
      await ctx.reply(parsed.error);
      return { outcome: 'invalid', detail: parsed.error, stationId: access.stationId };
    }
    try {
      const a = await ctx.services.activities.log(access.stationId, parsed.value, access.by);
      const small = a.participants < 50 ? '\n提示：参加人数不足 50 人，不计入“每月至少一次 50 人以上活动”的要求。' : '';
      await ctx.reply(`已登记（编号 ${a.id}）：${access.stationName} ${describeActivity(parsed.value)}。${small}\n如有误，发“修改 ${a.id} 人数 70”或“撤销 ${a.id}”。`);
      return { stationId: access.stationId, detail: `activity ${a.id}` };
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      await ctx.reply(err.message);
      return { outcome: 'invalid', detail: err.message, stationId: access.stationId };
    }
  });
}
