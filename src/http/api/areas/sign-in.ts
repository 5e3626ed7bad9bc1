import createHttpError from 'http-errors';
import { z } from 'zod';
import type { ActiveSession } from '../../../services/console-auth.service';
import { LoginLimiter } from '../../../services/login-limiter.service';
import { bodyOf, parse, type ApiDeps, type ApiRoute, type Handlers } from '../route';
import { meBody, meOf, startSession, tooManyAttempts } from './session';
import { WECOM_LOGIN_ERRORS, type LoginErrorCode } from './wecom-login';

/** What a used, expired or unknown link answers. */
export const BAD_TICKET = '登录链接无效或已过期，请重新发送“登录”获取';

export const ticketBody = z.object({
  ticket: z.string().trim().min(1, '缺少登录链接中的 ticket').max(128, 'ticket 太长').describe('一次性登录链接中的 ticket'),
});

export const authOptionsBody = z.object({
  wecom: z.boolean().describe('可以用企业微信登录（已配置企业微信自建应用）'),
  password: z.literal(true).describe('操作员可以用用户名和密码登录'),
  demo: z.boolean().describe('演示模式（没有配置 puppet 服务，运行演示旗县区）'),
  error: z.string().nullable().describe('登录页要显示的错误说明：按 error 代码给出，不认识的代码给通用说明；没有 error 时为 null'),
});

/** What the login page says for an `?error=<code>` that is none of WECOM_LOGIN_ERRORS. */
export const UNKNOWN_LOGIN_ERROR = '登录没有完成，请重新登录';

export const authOptionsQuery = z.object({
  error: z.string().max(64).optional().describe('登录页地址中的错误代码（?error=<代码>）'),
});

/**
 * The login page's message for the `error` code of its address: a known code's message, a generic
 * one for anything else; never the text of the address, so a link cannot put words on the page.
 */
export function loginErrorMessage(code: string | undefined): string | null {
  if (!code) return null;
  return Object.hasOwn(WECOM_LOGIN_ERRORS, code) ? WECOM_LOGIN_ERRORS[code as LoginErrorCode] : UNKNOWN_LOGIN_ERROR;
}

/** The ways to sign in, and sign-in with a one-time link. */
export const SIGN_IN_ROUTES = {
  authOptions: {
    method: 'get',
    path: '/auth/options',
    summary: '登录页可用的登录方式，及登录页地址中错误代码的说明',
    auth: false,
    query: authOptionsQuery,
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
    authOptions: async (ctx) => ({
      wecom: Boolean(deps.config.wecom),
      password: true as const,
      demo: !deps.config.wechat.puppetService,
      // Any value is answered (a malformed one with the generic message): the login page always has something to show.
      error: loginErrorMessage(authOptionsQuery.safeParse(ctx.query).data?.error ?? (ctx.query.error === undefined ? undefined : '?')),
    }),
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
