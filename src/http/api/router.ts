import Router from '@koa/router';
import createHttpError from 'http-errors';
import type { Context, Next } from 'koa';
import getRawBody from 'raw-body';
import { timingSafeEqual } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { z } from 'zod';
import type { WechatStatus } from '../../channels/wechat/wechat-runtime';
import type { Clock } from '../../clock';
import { dayOf } from '../../domain/calendar';
import { parsePeriod, periodContaining, periodLabel } from '../../domain/periods';
import { UserError } from '../../errors';
import type { JobRunner } from '../../jobs/runner';
import type { Logger } from '../../logger';
import type { Services } from '../../services';
import { SESSION_TTL_MS, type ActiveSession } from '../../services/console-auth.service';
import type { AuditOutcome } from '../../db/entities';
import type { SystemReadiness } from '../app';
import { accessOf, canSeeCounty, type Access } from './access';
import { LoginLimiter, type LoginLimits } from './login-limiter';
import { openApiDocument } from './openapi';
import { API_ROUTES, figures, type ApiRoute } from './schemas';

/** The session cookie: HttpOnly, SameSite=Strict, Secure over HTTPS. */
export const SESSION_COOKIE = 'kepubot_session';

const FIGURE_KEYS = Object.keys(figures.shape) as Array<keyof z.infer<typeof figures>>;

/** Only the figures' own fields (a station's aggregates also carry its name and status). */
const figuresOnly = (f: z.infer<typeof figures>): z.infer<typeof figures> =>
  Object.fromEntries(FIGURE_KEYS.map((k) => [k, f[k]])) as z.infer<typeof figures>;

export interface ApiDeps {
  ds: DataSource;
  services: Services;
  jobs: JobRunner;
  clock: Clock;
  log: Logger;
  /** What /readyz computes (database, WeChat, spool, replies). */
  readiness: () => Promise<SystemReadiness>;
  /** The WeChat account's state from the runtime. */
  wechat: () => WechatStatus;
  version: string;
  /** Sign-in attempt limits (default: 5 per name, 20 per address, per 15 minutes). */
  loginLimits?: LoginLimits;
}

interface ApiState {
  session?: ActiveSession;
  access?: Access;
  /** Who the audit names for a write before anyone is signed in (the name tried). */
  auditName?: string;
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Parses with a schema; a failure is a 400 with the first problem in Chinese. */
function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue.path.length > 0 ? `${issue.path.join('.')}：` : '';
  if (issue.path.length === 0 && value === undefined) throw createHttpError(400, '缺少请求体（JSON）');
  const message = issue.code === 'invalid_type' && issue.input === undefined ? '缺少这一项' : issue.message;
  throw createHttpError(400, `${where}${message}`);
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The console API under /api/v1: sign-in with a session cookie, CSRF-checked and audited writes,
 * zod-validated reads over the services, and its OpenAPI document.
 */
export function createApiRouter(deps: ApiDeps): Router {
  const router = new Router({ prefix: '/api/v1' });
  const auth = deps.services.consoleAuth;
  const limiter = new LoginLimiter(deps.clock, deps.loginLimits);
  const state = (ctx: Context): ApiState => ctx.state as ApiState;

  // Errors: a UserError or a refused request is a 4xx with its Chinese message.
  router.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      if (err instanceof UserError) throw createHttpError(400, err.message);
      throw err;
    }
  });

  // Every write is audited like a command, whether it succeeds or is refused.
  router.use(async (ctx, next) => {
    if (!WRITE_METHODS.has(ctx.method)) return next();
    let outcome: AuditOutcome = 'ok';
    let detail = '';
    try {
      await next();
    } catch (err) {
      const status = (err as { status?: number }).status ?? 500;
      outcome = status === 400 || status === 415 ? 'invalid' : status < 500 ? 'refused' : 'error';
      detail = err instanceof Error ? err.message : String(err);
      throw err;
    } finally {
      const s = state(ctx);
      const principal = s.session?.principal;
      await deps.services.audit
        .record({
          channel: 'console',
          senderId: principal ? `${principal.kind}:${principal.id}` : 'anonymous',
          senderName: principal?.name ?? s.auditName ?? '',
          listenerId: `console.${ctx.method.toLowerCase()}.${ctx.path.replace(/^\/api\/v1\//, '').replace(/\//g, '.')}`,
          command: `${ctx.method} ${ctx.path}`,
          outcome,
          detail,
        })
        .catch((err: unknown) => deps.log.error({ err }, 'could not audit a console write'));
    }
  });

  // Writes carry JSON (a cross-site form cannot send it without a CORS preflight, which we never allow).
  router.use(async (ctx, next) => {
    if (WRITE_METHODS.has(ctx.method) && (ctx.request.length || ctx.get('transfer-encoding'))) {
      if (!ctx.is('application/json')) throw createHttpError(415, '请求体应为 JSON（Content-Type: application/json）');
      const raw = await getRawBody(ctx.req, { length: ctx.request.length, limit: '64kb', encoding: 'utf8' }).catch(() => {
        throw createHttpError(413, '请求体太大或不完整');
      });
      try {
        (ctx.request as { body?: unknown }).body = JSON.parse(raw);
      } catch {
        throw createHttpError(400, '请求体不是有效的 JSON');
      }
    }
    return next();
  });

  // Sessions: the cookie's session, if any, for every request.
  router.use(async (ctx, next) => {
    // Answers depend on who asks: never cached.
    ctx.set('Cache-Control', 'no-store');
    const token = ctx.cookies.get(SESSION_COOKIE);
    if (token) {
      const session = await auth.session(token, deps.clock.now());
      if (session) {
        state(ctx).session = session;
        state(ctx).access = accessOf(session.principal);
      }
    }
    return next();
  });

  /** Mounts a route: signed-in check, CSRF check on writes, then the handler. */
  const mount = <R extends ApiRoute>(route: R, handler: (ctx: Context, access: Access | undefined) => Promise<unknown>): void => {
    router[route.method](route.path, async (ctx: Context, _next: Next) => {
      const s = state(ctx);
      if (route.auth !== false) {
        if (!s.session) throw createHttpError(401, '请先登录');
        if (WRITE_METHODS.has(ctx.method)) {
          const header = ctx.get('x-csrf-token');
          if (!header || !sameToken(header, s.session.csrfToken)) throw createHttpError(403, 'CSRF 校验失败，请刷新页面后重试');
        }
      }
      const body = await handler(ctx, s.access);
      ctx.status = route.status;
      if (route.status !== 204) ctx.body = body;
    });
  };

  const me = (session: ActiveSession) => ({
    kind: session.principal.kind,
    name: session.principal.name,
    csrfToken: session.csrfToken,
    expiresAt: session.expiresAt.toISOString(),
  });

  mount(API_ROUTES.signIn, async (ctx) => {
    const body = parse(API_ROUTES.signIn.body, (ctx.request as { body?: unknown }).body);
    state(ctx).auditName = body.name;
    const ip = ctx.ip;
    const wait = limiter.retryAfter(body.name, ip);
    if (wait > 0) {
      ctx.set('Retry-After', String(wait));
      throw createHttpError(429, `登录尝试过多，请 ${Math.ceil(wait / 60)} 分钟后再试`);
    }
    const result = await auth.signIn(body.name, body.password, deps.clock.now());
    if (!result) {
      limiter.failed(body.name, ip);
      throw createHttpError(401, '用户名或密码不对');
    }
    limiter.succeeded(body.name);
    // Signing in again replaces the session the browser had.
    const old = ctx.cookies.get(SESSION_COOKIE);
    if (old) await auth.signOut(old);
    ctx.cookies.set(SESSION_COOKIE, result.token, {
      httpOnly: true,
      sameSite: 'strict',
      secure: ctx.secure,
      path: '/',
      maxAge: SESSION_TTL_MS,
      overwrite: true,
    });
    state(ctx).session = result.session;
    return me(result.session);
  });

  mount(API_ROUTES.signOut, async (ctx) => {
    const token = ctx.cookies.get(SESSION_COOKIE);
    if (token) await auth.signOut(token);
    ctx.cookies.set(SESSION_COOKIE, '', { httpOnly: true, sameSite: 'strict', secure: ctx.secure, path: '/', maxAge: 0, overwrite: true });
  });

  mount(API_ROUTES.me, async (ctx) => me(state(ctx).session!));

  mount(API_ROUTES.stations, async (ctx, access) => {
    const q = parse(API_ROUTES.stations.query, ctx.query);
    const today = dayOf(deps.clock.now());
    const period = q.period ? parsePeriod(q.period)! : periodContaining('month', today);
    const rows: Array<{ id: number; name: string }> = await deps.ds.query(
      `SELECT id, name FROM region WHERE level = 'county' AND ($1::int IS NULL OR id = $1) ORDER BY name, id`,
      [q.county ?? null],
    );
    const counties = rows.filter((c) => canSeeCounty(access!, c.id));
    if (q.county !== undefined && counties.length === 0) throw createHttpError(404, '没有这个旗县区，或无权查看');
    const out = [];
    for (const county of counties) {
      const table = await deps.services.statistics.stationTable(county.id, period, today);
      const stations = table.rows.filter((r) => access!.stations === 'all' || access!.stations.has(r.stationId));
      out.push({
        id: county.id,
        name: county.name,
        counted: table.counted,
        total: figuresOnly(table.total),
        stations: stations.map((r) => ({
          id: r.stationId,
          name: r.name,
          status: r.status,
          type: r.type,
          start: r.start,
          figures: figuresOnly(r.figures),
        })),
      });
    }
    return { period: { key: period.key, label: periodLabel(period), from: period.from, to: period.to }, counties: out };
  });

  mount(API_ROUTES.robot, async (_ctx, access) => {
    if (!access!.system) throw createHttpError(403, '无权查看机器人状态');
    const report = await deps.readiness();
    const wechat = deps.wechat();
    const [outbox]: Array<{ queued: number; failed: number }> = await deps.ds.query(
      `SELECT count(*) FILTER (WHERE state IN ('queued', 'sending'))::int AS queued,
              count(*) FILTER (WHERE state = 'failed')::int AS failed
       FROM outbox_message`,
    );
    return {
      ready: report.ready,
      reasons: report.reasons,
      wechat: {
        state: wechat.state,
        loggedIn: wechat.loggedIn,
        connected: wechat.connected,
        since: wechat.since?.toISOString() ?? null,
        reason: wechat.reason,
        waitingForScan: wechat.qrcode !== null,
      },
      database: { up: report.database.up, since: report.database.since?.toISOString() ?? null },
      queue: { outbox: outbox.queued, failed: outbox.failed, replies: report.replies.waiting, spool: report.spool.depth },
      version: deps.version,
    };
  });

  mount(API_ROUTES.jobs, async (ctx, access) => {
    if (!access!.system) throw createHttpError(403, '无权查看定时任务');
    const q = parse(API_ROUTES.jobs.query, ctx.query);
    const [runs, queue] = await Promise.all([deps.jobs.listRuns(q.limit), deps.jobs.listQueue(q.queueLimit)]);
    return { runs, queue };
  });

  const document = openApiDocument(deps.version);
  mount(API_ROUTES.openapi, async () => document);

  return router;
}
