// Description:
//   Station managers keep the informant roster: add or disable an informant, list group members
//   who share but are not bound to the roster, and confirm them.
//
// Commands:
//   添加信息员 姓名 [手机号] - 把一位信息员加入本站名册
//   停用信息员 姓名 [手机尾号] - 停用一位信息员（今后不再计入名册和统计，以往统计期保留）
//   未确认 - 列出本站群里转发了但还没绑定名册的成员
//   确认 序号 [姓名] - 把“未确认”名单中的成员绑定到名册（名册中没有则新增）
//
// Audience:
//   manager

import type { Robot } from '../src/bot/robot';
import { PRIVATE_CHANNELS, stationCommand } from '../src/bot/station-access';
import { maskPhone } from '../src/domain/privacy';
import { parseAddInformant, parseConfirm, parseDisableInformant } from '../src/domain/station-commands';

export default function stationInformants(robot: Robot): void {
  const channels = [...PRIVATE_CHANNELS];
  robot.respond(
    /^添加信息员(?:\s+([\s\S]*))?$/,
    { id: 'station.informants.add', channels },
    stationCommand(parseAddInformant, async (ctx, station, v) => {
      const i = await ctx.services.informants.addToRoster(station.id, v.name, v.phone, ctx.clock.now());
      return `已把“${i.name}”${i.phone ? `（${maskPhone(i.phone)}）` : ''}加入本站名册。请他在本站群里发“#绑定 ${i.name}”完成绑定。`;
    }),
  );
  robot.respond(
    /^停用信息员(?:\s+([\s\S]*))?$/,
    { id: 'station.informants.disable', channels },
    stationCommand(parseDisableInformant, async (ctx, station, v) => {
      const i = await ctx.services.informants.disable(station.id, v.name, v.phoneTail, ctx.clock.now());
      return `已停用“${i.name}”，今后不再计入本站名册和统计。`;
    }),
  );
  robot.respond(
    /^未确认()$/,
    { id: 'station.informants.unconfirmed', channels },
    stationCommand(
      () => ({ ok: true, value: null }) as const,
      async (ctx, station) => {
        const list = await ctx.services.informants.unconfirmed(station.id);
        if (list.length === 0) return '本站群里没有未确认的转发者，所有转发都已计入名册中的信息员。';
        return [
          '以下成员在本站群里转发了科普中国内容，但还没绑定名册：',
          ...list.map((x) => `${x.index}. ${x.talkerName}（${x.shares} 条）`),
          '发“确认 序号 姓名”把他绑定到名册，例如：确认 1 张三',
        ].join('\n');
      },
    ),
  );
  robot.respond(
    /^确认(?:\s+([\s\S]*))?$/,
    { id: 'station.informants.confirm', channels },
    stationCommand(parseConfirm, async (ctx, station, v) => {
      const r = await ctx.services.informants.confirm(station.id, v.index, v.name, ctx.clock.now());
      return `已确认：该成员绑定为“${r.informant.name}”，之前的 ${r.adoptedShares} 条转发（有效 ${r.adoptedEffective} 条）已计入。`;
    }),
  );
}
