import createHttpError from 'http-errors';
import type { Context } from 'koa';
import { z } from 'zod';
import { operatorNameSchema, SESSION_TTL_MS, type ActiveSession } from '../../../services/console-auth.service';
import { instant } from '../schemas';
import { bodyOf, parse, type ApiDeps, type ApiRoute, type Handlers } from '../route';
import { LoginLimiter, type Refused } from '../../../services/login-limiter.service';

/** The session cookie: HttpOnly, SameSite=Strict, Secure over HTTPS. */
export const SESSION_COOKIE = 'kepubot_session';

export const signInBody = z.object({
  name: operatorNameSchema.describe('操作员用户名'),
  password: z.string().min(1, '请填写密码').max(256, '密码最多 256 个字符').describe('密码'),
});

export const meBody = z.object({
  kind: z.enum(['operator', 'staff', 'manager']).describe('身份：operator 运维操作员 / staff 旗县区科协工作人员 / manager e站管理员'),
  name: z.string(),
  countyId: z.number().int().nullable().describe('旗县区工作人员与e站管理员所在的旗县区'),
  stationId: z.number().int().nullable().describe('e站管理员的e站'),
  csrfToken: z.string().describe('写操作须在请求头 x-csrf-token 中带上'),
  expiresAt: instant,
});

/** Sign-in, sign-out and who is signed in. */
export const SESSION_ROUTES = {
  signIn: {
    method: 'post',
    path: '/session',
    summary: '登录（操作员用户名与密码），设置会话 Cookie',
    auth: false,
    body: signInBody,
    status: 201,
    response: meBody,
  },
  signOut: { method: 'delete', path: '/session', summary: '退出登录', status: 204 },
  me: { method: 'get', path: '/me', summary: '当前登录的人与 CSRF 令牌', status: 200, response: meBody },
} as const satisfies Record<string, ApiRoute>;

/** What /me and every sign-in answer. */
export const meOf = (session: ActiveSession): z.infer<typeof meBody> => ({
  kind: session.principal.kind,
  name: session.principal.name,
  countyId: session.principal.countyId ?? null,
  stationId: session.principal.stationId ?? null,
  csrfToken: session.csrfToken,
  expiresAt: session.expiresAt.toISOString(),
});

/** A sign-in refused before any check: 429 with when to try again. */
export function tooManyAttempts(ctx: Context, refused: Refused): never {
  ctx.set('Retry-After', String(refused.retryAfterSeconds));
  throw createHttpError(429, `登录尝试过多，请 ${Math.ceil(refused.retryAfterSeconds / 60)} 分钟后再试`);
}

/** Sets the session cookie of a new session (replacing the one the browser had). */
export async function startSession(ctx: Context, deps: ApiDeps, token: string): Promise<void> {
  const old = ctx.cookies.get(SESSION_COOKIE);
  if (old) await deps.services.consoleAuth.signOut(old);
  ctx.cookies.set(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'strict',
    secure: ctx.secure,
    path: '/',
    maxAge: SESSION_TTL_MS,
    overwrite: true,
  });
}

export function sessionHandlers(deps: ApiDeps): Handlers<typeof SESSION_ROUTES> {
  const auth = deps.services.consoleAuth;
  const limiter = new LoginLimiter(deps.ds, deps.loginLimits);
  return {
    signIn: async (ctx) => {
      const body = parse(signInBody, bodyOf(ctx));
      // Counted before the password is checked: requests sent together cannot all be checked.
      const attempt = await limiter.reserve({ scope: 'password', address: ctx.ip, name: body.name }, deps.clock.now());
      if (!attempt.ok) tooManyAttempts(ctx, attempt);
      const result = await auth.signIn(body.name, body.password, deps.clock.now());
      if (!result) throw createHttpError(401, '用户名或密码不对');
      await limiter.succeeded(attempt);
      await startSession(ctx, deps, result.token);
      (ctx.state as { session?: ActiveSession }).session = result.session;
      return meOf(result.session);
    },
    signOut: async (ctx) => {
      const token = ctx.cookies.get(SESSION_COOKIE);
      if (token) await auth.signOut(token);
      ctx.cookies.set(SESSION_COOKIE, '', {
        httpOnly: true,
        sameSite: 'strict',
        secure: ctx.secure,
        path: '/',
        maxAge: 0,
        overwrite: true,
      });
    },
    me: async (ctx) => meOf((ctx.state as { session: ActiveSession }).session),
  };
}
