// Description:
//   Links a group member's WeChat to their entry on the station's informant roster; shares they
//   made before binding are counted from then on.
//
// Commands:
//   #绑定 姓名 - 把我的微信绑定到本站名册中的信息员（同名时加手机尾号：#绑定 张三 1234）

import type { Robot } from '../src/bot/robot';
import { UserError } from '../src/errors';

const USAGE = '请按格式发送：#绑定 您的姓名（例如：#绑定 张三；同名时加手机尾号：#绑定 张三 1234）';

export default function bind(robot: Robot): void {
  robot.respond(/^绑定(?:\s+(.*))?$/, { id: 'informants.bind', channels: ['wechat-group'] }, async (ctx) => {
    const args = (ctx.match?.[1] ?? '').trim().split(/\s+/).filter(Boolean);
    const [name, phoneTail] = args;
    if (!name || args.length > 2 || (phoneTail !== undefined && !/^\d{4}$/.test(phoneTail))) {
      await ctx.reply(USAGE);
      return { outcome: 'invalid', detail: 'bad arguments' };
    }
    try {
      const r = await ctx.services.informants.bindMember(ctx.message.room!.id, ctx.message.sender.id, name, ctx.clock.now(), phoneTail);
      if (r.alreadyBound) {
        await ctx.reply(`您已绑定为“${r.informant.name}”，无需重复绑定。`);
        return;
      }
      const adopted = r.adoptedShares > 0 ? `之前的 ${r.adoptedShares} 条转发（有效 ${r.adoptedEffective} 条）已计入。` : '';
      await ctx.reply(`绑定成功：您是“${r.informant.name}”。${adopted}发送 #我的 查看转发情况。`);
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      await ctx.reply(err.message);
      return { outcome: 'invalid', detail: err.message };
    }
  });
}
