import Router from '@koa/router';
import createHttpError from 'http-errors';
import type { Context, Next } from 'koa';
import getRawBody from 'raw-body';
import { timingSafeEqual } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { z } from 'zod';
import { UserError } from '../../errors';
import type { AuditOutcome } from '../../db/entities';
import type { ActiveSession } from '../../services/console-auth.service';
import { accessOf, type Access } from './access';
import { SESSION_COOKIE } from './areas/session';
import { openApiDocument } from './openapi';
import type { ApiDeps, ApiRoute } from './route';
import { API_ROUTES, apiHandlers } from './routes';

export type { ApiDeps } from './route';
export { SESSION_COOKIE } from './areas/session';

interface ApiState {
  session?: ActiveSession;
  access?: Access;
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const JSON_LIMIT = 64 * 1024;

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Reads a write's body: JSON for ordinary routes, the raw bytes for upload routes. */
async function readBody(ctx: Context, route: ApiRoute): Promise<void> {
  if (!WRITE_METHODS.has(ctx.method) || !(ctx.request.length || ctx.get('transfer-encoding'))) return;
  const limit = route.upload?.maxBytes ?? JSON_LIMIT;
  if (!route.upload && !ctx.is('application/json')) throw createHttpError(415, '请求体应为 JSON（Content-Type: application/json）');
  if (ctx.request.length && ctx.request.length > limit) throw createHttpError(413, `请求体太大（最多 ${Math.floor(limit / 1024)} KB）`);
  const raw = await getRawBody(ctx.req, { length: ctx.request.length, limit }).catch(() => {
    throw createHttpError(413, `请求体太大或不完整（最多 ${Math.floor(limit / 1024)} KB）`);
  });
  if (route.upload) {
    (ctx.request as { rawBody?: Buffer }).rawBody = raw;
    return;
  }
  try {
    (ctx.request as { body?: unknown }).body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw createHttpError(400, '请求体不是有效的 JSON');
  }
}

/**
 * Where an answer departs from its schema (null: it matches): a parse failure (the first issue's
 * path and code), or a field the schema's parse would drop. Only paths and codes: no values.
 */
export function answerMismatch(schema: z.ZodType, body: unknown): string | null {
  const json: unknown = body === undefined ? undefined : JSON.parse(JSON.stringify(body));
  const r = schema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    return `${issue.code} at ${issue.path.join('.') || '(root)'}`;
  }
  const parsed: unknown = r.data === undefined ? undefined : JSON.parse(JSON.stringify(r.data));
  return isDeepStrictEqual(parsed, json) ? null : `fields outside the schema at ${firstDifference(json, parsed) || '(root)'}`;
}

/** The path of the first place where `a` has what `b` lacks (or differs). */
function firstDifference(a: unknown, b: unknown, path = ''): string {
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return path;
  for (const key of Object.keys(a)) {
    const at = path ? `${path}.${key}` : key;
    if (!(key in b)) return at;
    const x = (a as Record<string, unknown>)[key];
    const y = (b as Record<string, unknown>)[key];
    if (!isDeepStrictEqual(x, y)) return firstDifference(x, y, at);
  }
  return path;
}

/**
 * The console API under /api/v1: sign-in with a session cookie, CSRF-checked and audited writes,
 * zod-validated requests over the services (src/http/api/areas/), and its OpenAPI document.
 */
export function createApiRouter(deps: ApiDeps): Router {
  const router = new Router({ prefix: '/api/v1' });
  const auth = deps.services.consoleAuth;
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

  // Every write of a signed-in person (or a sign-in that succeeded) is audited like a command, whether
  // it succeeds or is refused. Anonymous requests write nothing: strangers cannot fill the table.
  router.use(async (ctx, next) => {
    if (!WRITE_METHODS.has(ctx.method)) return next();
    let outcome: AuditOutcome = 'ok';
    let detail = '';
    try {
      await next();
    } catch (err) {
      const status = err instanceof UserError ? 400 : ((err as { status?: number }).status ?? 500);
      outcome = status === 400 || status === 415 ? 'invalid' : status < 500 ? 'refused' : 'error';
      detail = err instanceof Error ? err.message : String(err);
      throw err;
    } finally {
      const principal = state(ctx).session?.principal;
      if (principal) {
        await deps.services.audit
          .record({
            channel: 'console',
            senderId: `${principal.kind}:${principal.id}`,
            senderName: principal.name,
            listenerId: `console.${ctx.method.toLowerCase()}.${ctx.path.replace(/^\/api\/v1\//, '').replace(/\//g, '.')}`,
            command: `${ctx.method} ${ctx.path}`,
            outcome,
            detail,
          })
          .catch((err: unknown) => deps.log.error({ err }, 'could not audit a console write'));
      }
    }
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

  /**
   * Every JSON answer is checked against its route's response schema, strictly: a field the
   * schema lacks, or one it has that the answer lacks, is a mismatch (so a figure cannot vanish
   * from the answers or the OpenAPI document unnoticed). Outside production a mismatch is a 500;
   * in production it is logged and the answer goes out as it is.
   */
  const strict = deps.config.env !== 'production';
  const checkAnswer = (id: string, schema: z.ZodType, body: unknown): void => {
    const problem = answerMismatch(schema, body);
    if (!problem) return;
    deps.log.error({ route: id, problem }, 'an API answer does not match its schema');
    if (strict) throw createHttpError(500, '应答与接口说明不符');
  };
  const handlers = apiHandlers(deps);
  const document = openApiDocument(deps.version);
  for (const [id, route] of Object.entries(API_ROUTES) as Array<[keyof typeof API_ROUTES, ApiRoute]>) {
    const handler = id === 'openapi' ? async () => document : handlers[id];
    router[route.method](route.path, async (ctx: Context, _next: Next) => {
      const s = state(ctx);
      if (route.auth !== false) {
        if (!s.session) throw createHttpError(401, '请先登录');
        if (WRITE_METHODS.has(ctx.method)) {
          // Writes carry JSON or a file with this header: a cross-site form can send neither.
          const header = ctx.get('x-csrf-token');
          if (!header || !sameToken(header, s.session.csrfToken)) throw createHttpError(403, 'CSRF 校验失败，请刷新页面后重试');
        }
      }
      await readBody(ctx, route);
      const body = await handler(ctx, s.access!);
      if (ctx.body !== undefined && body === undefined) {
        // The handler sent a file itself.
        ctx.status = route.status;
        return;
      }
      if (route.response) checkAnswer(id, route.response, body);
      ctx.status = route.status;
      if (route.status !== 204) ctx.body = body;
    });
  }
  return router;
}
