import createHttpError from 'http-errors';
import { z } from 'zod';
import type { ActiveSession } from '../../../services/console-auth.service';
import { LoginLimiter } from '../../../services/login-limiter.service';
import { bodyOf, parse, type ApiDeps, type ApiRoute, type Handlers } from '../route';
import { meBody, meOf, startSession, tooManyAttempts } from './session';

/** What a used, expired or unknown link answers. */
export const BAD_TICKET = '登录链接无效或已过期，请重新发送“登录”获取';

export const ticketBody = z.object({
  ticket: z.string().trim().min(1, '缺少登录链接中的 ticket').max(128, 'ticket 太长').describe('一次性登录链接中的 ticket'),
});

export const authOptionsBody = z.object({
  wecom: z.boolean().describe('可以用企业微信登录（已配置企业微信自建应用）'),
  password: z.literal(true).describe('操作员可以用用户名和密码登录'),
  demo: z.boolean().describe('演示模式（没有配置 puppet 服务，运行演示旗县区）'),
});

/** The ways to sign in, and sign-in with a one-time link. */
export const SIGN_IN_ROUTES = {
  authOptions: {
    method: 'get',
    path: '/auth/options',
    summary: '登录页可用的登录方式',
    auth: false,
    status: 200,
    response: authOptionsBody,
  },
  signInTicket: {
    method: 'post',
    path: '/auth/ticket',
    summary: '用一次性登录链接登录（向机器人发送“登录”获取，10 分钟内有效、只能用一次），设置会话 Cookie',
    auth: false,
    body: ticketBody,
    status: 201,
    response: meBody,
  },
} as const satisfies Record<string, ApiRoute>;

export function signInHandlers(deps: ApiDeps): Handlers<typeof SIGN_IN_ROUTES> {
  // Redemptions are counted per client address only (a ticket has no name to count by).
  const limiter = new LoginLimiter(deps.ds, deps.loginLimits);
  return {
    authOptions: async () => ({ wecom: Boolean(deps.config.wecom), password: true as const, demo: !deps.config.wechat.puppetService }),
    signInTicket: async (ctx) => {
      const body = parse(ticketBody, bodyOf(ctx));
      const attempt = await limiter.reserve({ scope: 'ticket', address: ctx.ip }, deps.clock.now());
      if (!attempt.ok) tooManyAttempts(ctx, attempt);
      const result = await deps.services.consoleAuth.redeemTicket(body.ticket, deps.clock.now());
      if (!result) throw createHttpError(401, BAD_TICKET);
      await limiter.succeeded(attempt);
      await startSession(ctx, deps, result.token);
      // The audit of this write names who signed in.
      (ctx.state as { session?: ActiveSession }).session = result.session;
      return meOf(result.session);
    },
  };
}
