import Router from '@koa/router';
import Koa from 'koa';
import type { Registry } from 'prom-client';
import { isDatabaseUnavailable } from '../db/errors';
import type { Logger } from '../logger';

export interface HealthReport {
  database: 'up' | 'down';
  bot: { state: string; loggedIn: boolean; user: string | null; mode: 'puppet-service' | 'demo' };
  version: string;
}

export interface AppDeps {
  health: () => Promise<HealthReport>;
  metrics: Registry;
  log: Logger;
  /** Extra routes (the WeCom and Official Account callbacks). */
  routers?: Router[];
}

/** Builds the Koa app from its dependencies (tests start it on port 0). */
export function createApp(deps: AppDeps): Koa {
  const app = new Koa();
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

  router.get('/healthz', async (ctx) => {
    const report = await deps.health();
    ctx.status = report.database === 'up' ? 200 : 503;
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
  app.use(async (ctx) => {
    ctx.status = 404;
    ctx.body = { error: `没有这个地址：${ctx.method} ${ctx.path}` };
  });
  return app;
}
