import createHttpError from 'http-errors';
import type { Context } from 'koa';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { AuditOutcome } from '../../../db/entities';
import { WECOM_USER } from '../../../domain/identity-kinds';
import type { Principal } from '../../../services/console-auth.service';
import { parse, type ApiDeps, type ApiRoute, type Handlers } from '../route';
import { startSession } from './session';

/** The short-lived cookie that carries the OAuth `state` (and where to go after) from start to callback. */
export const WECOM_STATE_COOKIE = 'kepubot_wecom_state';
const STATE_COOKIE_PATH = '/api/v1/auth/wecom';
const STATE_TTL_MS = 10 * 60 * 1000;

/** WeCom's PC QR login page (企业微信扫码授权登录, login_type=CorpApp for a self-built app). */
export const WECOM_QR_LOGIN_URL = 'https://login.work.weixin.qq.com/wwlogin/sso/login';
/** WeCom's web authorization inside the WeCom app (网页授权, silent with scope snsapi_base). */
export const WECOM_OAUTH_URL = 'https://open.weixin.qq.com/connect/oauth2/authorize';
/** Where WeCom sends the browser back, under CONSOLE_PUBLIC_URL. */
export const WECOM_CALLBACK_PATH = '/api/v1/auth/wecom/callback';

/**
 * Messages on the login page, by the code in `/#/login?error=<code>`: the page shows only these
 * (it reads them from GET /auth/options), and a generic message for any other code.
 */
export const WECOM_LOGIN_ERRORS = {
  notConfigured: '本系统没有配置企业微信登录，请用其他方式登录',
  badState: '登录已过期或不是从本系统发起的，请重新点击“企业微信登录”',
  cancelled: '没有完成企业微信授权，请重新登录',
  wecomFailed: '企业微信登录失败（企业微信接口出错或授权已过期），请重新登录',
  notMember: '您不是本单位企业微信应用的成员，不能登录',
  unknownUser: '您的企业微信账号还没有登记为旗县区科协工作人员或e站管理员，请联系旗县区科协登记后再登录',
} as const;

export type LoginErrorCode = keyof typeof WECOM_LOGIN_ERRORS;

/**
 * Where to go after sign-in: a path of the console's own (hash) router, such as `/stations/3`;
 * never `//host` or a full URL, so the sign-in cannot send anyone elsewhere.
 */
export const nextPath = z
  .string()
  .max(512, '跳转路径太长')
  .regex(/^\/(?![/\\])[\x21-\x5b\x5d-\x7e]*$/, '跳转路径只能是本系统内的路径，如 /stations/3');

export const wecomStartQuery = z.object({
  mode: z
    .enum(['qr', 'app'], { error: 'mode 只能是 qr（电脑扫码）或 app（企业微信内打开）' })
    .default('qr')
    .describe('qr：电脑上扫码登录；app：在企业微信里打开时静默授权'),
  next: nextPath.optional().describe('登录后前往的页面路径（如 /stations/3），默认首页'),
});

export const wecomCallbackQuery = z.object({
  code: z.string().max(512).optional().describe('企业微信带回的授权码'),
  state: z.string().max(128).optional().describe('发起登录时的 state，原样带回'),
});

/** WeCom sign-in: to WeCom's QR login or web authorization, and back with a code. */
export const WECOM_LOGIN_ROUTES = {
  wecomStart: {
    method: 'get',
    path: '/auth/wecom/start',
    summary: '企业微信登录：跳转到企业微信（电脑扫码或企业微信内静默授权）',
    auth: false,
    query: wecomStartQuery,
    status: 302,
  },
  wecomCallback: {
    method: 'get',
    path: '/auth/wecom/callback',
    summary: '企业微信登录回调：按授权码找到工作人员或e站管理员，设置会话 Cookie 后跳转到管理后台（失败时跳转到登录页并带上原因）',
    auth: false,
    query: wecomCallbackQuery,
    status: 302,
  },
} as const satisfies Record<string, ApiRoute>;

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function wecomLoginHandlers(deps: ApiDeps): Handlers<typeof WECOM_LOGIN_ROUTES> {
  const log = deps.log.child({ area: 'wecom-login' });
  const redirectUri = `${deps.config.console.publicUrl}${WECOM_CALLBACK_PATH}`;

  // Who signed in is audited; a refused sign-in is only logged (anonymous requests write no audit
  // rows, so strangers cannot fill the table).
  const audit = async (ctx: Context, outcome: AuditOutcome, detail: string, principal: Principal): Promise<void> => {
    await deps.services.audit
      .record({
        channel: 'console',
        senderId: `${principal.kind}:${principal.id}`,
        senderName: principal.name,
        listenerId: 'console.auth.wecom',
        command: `GET ${ctx.path}`,
        outcome,
        detail,
      })
      .catch((err: unknown) => log.error({ err }, 'could not audit a WeCom sign-in'));
  };

  return {
    wecomStart: async (ctx) => {
      const wecom = deps.config.wecom;
      if (!wecom) throw createHttpError(400, `${WECOM_LOGIN_ERRORS.notConfigured}（需设置 WECOM_* 变量）`);
      const q = parse(wecomStartQuery, ctx.query);
      const state = randomBytes(16).toString('base64url');
      ctx.cookies.set(WECOM_STATE_COOKIE, `${state}.${Buffer.from(q.next ?? '/').toString('base64url')}`, {
        httpOnly: true,
        // Lax: WeCom sends the browser back with a top-level GET from its own site.
        sameSite: 'lax',
        secure: ctx.secure,
        path: STATE_COOKIE_PATH,
        maxAge: STATE_TTL_MS,
        overwrite: true,
      });
      let target: string;
      if (q.mode === 'qr') {
        const params = new URLSearchParams({
          login_type: 'CorpApp',
          appid: wecom.corpId,
          agentid: String(wecom.agentId),
          redirect_uri: redirectUri,
          state,
        });
        target = `${WECOM_QR_LOGIN_URL}?${params}`;
      } else {
        const params = new URLSearchParams({
          appid: wecom.corpId,
          redirect_uri: redirectUri,
          response_type: 'code',
          scope: 'snsapi_base',
          state,
          agentid: String(wecom.agentId),
        });
        target = `${WECOM_OAUTH_URL}?${params}#wechat_redirect`;
      }
      ctx.redirect(target);
    },

    wecomCallback: async (ctx) => {
      const cookie = ctx.cookies.get(WECOM_STATE_COOKIE) ?? '';
      ctx.cookies.set(WECOM_STATE_COOKIE, '', {
        httpOnly: true,
        sameSite: 'lax',
        secure: ctx.secure,
        path: STATE_COOKIE_PATH,
        maxAge: 0,
        overwrite: true,
      });
      // The login page is told a code of WECOM_LOGIN_ERRORS, never a text it would show as it is.
      const fail = async (code: LoginErrorCode, reason: string): Promise<void> => {
        log.warn({ reason }, 'WeCom sign-in refused');
        ctx.redirect(`/#/login?error=${code}`);
      };
      if (!deps.config.wecom || !deps.wecomApi) return fail('notConfigured', 'not configured');
      const q = wecomCallbackQuery.safeParse(ctx.query);
      const [expected = '', nextEncoded = ''] = cookie.split('.');
      const state = q.success ? q.data.state : undefined;
      if (!q.success || !state || !expected || !sameText(state, expected)) return fail('badState', 'bad state');
      const next = nextPath.safeParse(Buffer.from(nextEncoded, 'base64url').toString('utf8'));
      if (!q.data.code) return fail('cancelled', 'no code');
      let userId: string | null;
      try {
        userId = await deps.wecomApi.userIdOfCode(q.data.code);
      } catch (err) {
        log.warn({ err }, 'WeCom sign-in: the code could not be exchanged');
        return fail('wecomFailed', 'wecom error');
      }
      if (!userId) return fail('notMember', 'not a member');
      const auth = deps.services.consoleAuth;
      const principal = await auth.principalByHandle(WECOM_USER.kind, userId);
      const opened = principal ? await auth.openSession(principal, deps.clock.now()) : null;
      if (!opened) return fail('unknownUser', 'not registered');
      await startSession(ctx, deps, opened.token);
      await audit(ctx, 'ok', 'signed in with WeCom', opened.session.principal);
      ctx.redirect(`/#${next.success ? next.data : '/'}`);
    },
  };
}
