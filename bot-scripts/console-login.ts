// Description:
//   A one-time link to the console (管理后台) for county staff and station managers, sent only in
//   a private chat, the WeCom app or the Official Account (the link is a secret: never in a group).
//
// Commands:
//   登录 - 获取管理后台的一次性登录链接（10 分钟内有效，只能使用一次）
//
// Audience:
//   manager, staff

import { identityKindOf, isPrivate } from '../src/bot/context';
import type { Robot } from '../src/bot/robot';
import { ticketLink, TICKET_TTL_MS } from '../src/services/console-auth.service';

const IN_GROUP = '登录链接只在私聊中发送：请在企业微信应用、公众号或与我的微信私聊中发送“登录”。';
const NOT_REGISTERED =
  '只有登记过的旗县区科协工作人员和e站管理员可以登录管理后台。如需开通，请联系旗县区科协登记您的企业微信、公众号或微信。';

export default function consoleLogin(robot: Robot): void {
  robot.respond(/^(登录|登陆)$/, { id: 'console.login' }, async (ctx) => {
    const { message } = ctx;
    if (!isPrivate(message)) {
      await ctx.reply(IN_GROUP);
      return { outcome: 'refused', detail: 'asked in a group' };
    }
    const auth = ctx.services.consoleAuth;
    const principal = await auth.principalByHandle(identityKindOf(message), message.sender.id);
    if (!principal) {
      await ctx.reply(NOT_REGISTERED);
      return { outcome: 'refused', detail: 'not registered' };
    }
    const ticket = await auth.issueTicket(principal, ctx.clock.now());
    const as = principal.kind === 'staff' ? '旗县区科协工作人员' : 'e站管理员';
    await ctx.reply(
      [
        `管理后台登录链接（以${as}身份登录，${TICKET_TTL_MS / 60000} 分钟内有效，只能使用一次，请勿转发）：`,
        ticketLink(ctx.config.console.publicUrl, ticket),
      ].join('\n'),
      // The link signs in: never kept to answer a retry (which gets a fresh link, or a hint in plain mode).
      { secret: true },
    );
    return { detail: `ticket issued for ${principal.kind}:${principal.id}`, stationId: principal.stationId };
  });
}
