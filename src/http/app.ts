import Router from '@koa/router';
import Koa from 'koa';
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { isDatabaseUnavailable } from '../db/errors';
import type { Logger } from '../logger';

export interface HealthReport {
  database: 'up' | 'down';
  /**
   * The WeChat side: the best account's status (without the QR code, which is a login secret), and
   * the accounts this process drives (by the operator's names; no WeChat ids or names).
   */
  bot: {
    state: string;
    loggedIn: boolean;
    connected: boolean;
    since: Date | null;
    reason: string | null;
    mode: 'puppet-service' | 'demo';
    holder?: string;
    accounts?: Array<{ id: number; name: string; state: string; loggedIn: boolean; connected: boolean }>;
  };
  version: string;
}

/** Whether kepubot can do its work now, and if not, why (in Chinese, for the operator). */
export interface ReadinessReport {
  ready: boolean;
  reasons: string[];
  [detail: string]: unknown;
}

/** What kepubot's /readyz answers: the report with the parts the console's robot page shows. */
export interface SystemReadiness extends ReadinessReport {
  database: { up: boolean; since: Date | null; embedded: unknown };
  wechat: { state: string; connected: boolean; loggedIn: boolean; since: Date | null };
  spool: { depth: number; bytes: number; mode: string };
  replies: { waiting: number };
  version: string;
}

export interface AppDeps {
  health: () => Promise<HealthReport>;
  /** GET /readyz: 503 with the reasons when kepubot cannot count or answer. Defaults to the database state. */
  ready?: () => Promise<ReadinessReport>;
  metrics: Registry;
  log: Logger;
  /**
   * Behind a reverse proxy: take the client's address and HTTPS from X-Forwarded-For / -Proto (the
   * sign-in limits count per address; session cookies are Secure over HTTPS).
   */
  trustProxy?: boolean;
  /** Extra routes (the WeCom and Official Account callbacks). */
  routers?: Router[];
  /** The county console's page and assets at `/` (src/http/console-static.ts); tried after every route. */
  console?: Koa.Middleware;
}

/** Builds the Koa app from its dependencies (tests start it on port 0). */
export function createApp(deps: AppDeps): Koa {
  // One proxy in front: the client's address is the last X-Forwarded-For entry (nginx appends it), never
  // what the client itself put first.
  const app = new Koa({ proxy: deps.trustProxy ?? false, maxIpsCount: 1 });
  const router = new Router();

  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      if (isDatabaseUnavailable(err)) {
        ctx.status = 503;
        ctx.set('Retry-After', '30');
        ctx.body = { error: '数据库暂时不可用，请稍后再试' };
        deps.log.warn({ err, path: ctx.path }, 'request failed: database unavailable');
        return;
      }
      const status = (err as { status?: number }).status ?? 500;
      ctx.status = status;
      ctx.body = { error: status < 500 ? (err as Error).message : '服务器内部错误 (internal error)' };
      // A refused request may list its problems (a roster's bad rows): createHttpError(400, message, { errors }).
      const errors = (err as { errors?: unknown }).errors;
      if (status < 500 && Array.isArray(errors)) ctx.body = { ...(ctx.body as object), errors };
      if (status >= 500) deps.log.error({ err, path: ctx.path }, 'request failed');
    }
    if (ctx.status === 405 || ctx.status === 501) {
      const allowed = (ctx.response.get('Allow') || '').split(/,\s*/).filter(Boolean);
      ctx.body = {
        error:
          ctx.status === 405
            ? `这个地址不接受 ${ctx.method} 请求，只接受 ${allowed.join('、')}`
            : `不支持 ${ctx.method} 请求方法，这个地址只接受 ${allowed.join('、')}`,
      };
    }
  });

  // Liveness: the process answers. Whether it can work is /readyz.
  router.get('/healthz', async (ctx) => {
    ctx.status = 200;
    ctx.body = await deps.health();
  });

  router.get('/readyz', async (ctx) => {
    const report: ReadinessReport = deps.ready
      ? await deps.ready()
      : await deps
          .health()
          .then((h) => ({ ready: h.database === 'up', reasons: h.database === 'up' ? [] : ['数据库无法连接'], database: h.database }));
    ctx.status = report.ready ? 200 : 503;
    ctx.body = report;
  });

  router.get('/metrics', async (ctx) => {
    ctx.type = deps.metrics.contentType;
    ctx.body = await deps.metrics.metrics();
  });

  app.use(router.routes());
  app.use(router.allowedMethods());
  for (const r of deps.routers ?? []) {
    app.use(r.routes());
    app.use(r.allowedMethods());
  }
  if (deps.console) app.use(deps.console);
  app.use(async (ctx) => {
    ctx.status = 404;
    ctx.body = { error: `没有这个地址：${ctx.method} ${ctx.path}` };
  });
  return app;
}

/** The server's timeouts (ms), from configuration. */
export interface ServerTimeouts {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

/**
 * Node's HTTP server around the Koa app, with its timeouts: a request whose headers (or whole
 * body) have not arrived in time is answered 408 and its connection closed, so a client holding a
 * body open cannot keep a connection and its buffers for minutes; an idle keep-alive connection
 * closes too. Node checks the deadlines every `connectionsCheckingInterval` (30 s by default):
 * here a quarter of the shorter deadline, between 25 ms and 5 s.
 */
export function createHttpServer(app: Koa, t: ServerTimeouts): Server {
  const server = createServer(
    {
      headersTimeout: t.headersTimeoutMs,
      requestTimeout: t.requestTimeoutMs,
      connectionsCheckingInterval: Math.max(25, Math.min(5000, Math.floor(Math.min(t.headersTimeoutMs, t.requestTimeoutMs) / 4))),
    },
    app.callback(),
  );
  server.keepAliveTimeout = t.keepAliveTimeoutMs;
  return server;
}
