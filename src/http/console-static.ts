import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Context, Middleware, Next } from 'koa';
import serve from 'koa-static';

/**
 * The console's security headers. Scripts only from kepubot itself; inline styles allowed because
 * Element Plus sets style attributes; images may be data:/blob: (ECharts, the QR code); no framing
 * by other sites; no Referer ever (a sign-in ticket in the address must not leak).
 */
export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'self'",
  ].join('; '),
  'X-Frame-Options': 'SAMEORIGIN',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
};

/** Hashed build assets never change under their name: cached for a year. */
const ASSET_CACHE = 'public, max-age=31536000, immutable';

/** Where `vite build --config web/vite.config.ts` writes the console: <package root>/dist/web. */
export function defaultConsoleDir(from: string = __dirname): string {
  let dir = from;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(from, '../../dist/web');
    dir = up;
  }
  return path.join(dir, 'dist', 'web');
}

/** The console's own paths: the page and its build assets. Everything else (/api, /healthz, callbacks…) is not ours. */
const isConsolePath = (p: string): boolean => p === '/' || p === '/index.html' || p === '/favicon.ico' || p.startsWith('/assets/');

const NOT_BUILT = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>管理后台尚未构建</title></head>
<body><h1>管理后台尚未构建</h1><p>没有找到 dist/web。请在 kepubot 目录运行 <code>npm run build</code>（<code>npm start</code> 会自动构建），然后刷新本页。</p></body></html>`;

/**
 * Serves the county console built into `dir` (default dist/web) at `/`: index.html revalidated
 * on every load, hashed assets cached for good, the pre-compressed .gz files the build writes
 * sent to browsers that accept gzip, with the console's security headers. Answers only GET/HEAD
 * of `/`, `/index.html` and `/assets/*`; when the console was not built, `/` is a Chinese 503.
 */
export function consoleStatic(dir: string = defaultConsoleDir()): Middleware {
  const files = serve(dir, {
    index: 'index.html',
    gzip: true,
    brotli: false,
    hidden: false,
    setHeaders: (res, file) => {
      res.setHeader('Vary', 'Accept-Encoding');
      res.setHeader('Cache-Control', file.includes(`${path.sep}assets${path.sep}`) ? ASSET_CACHE : 'no-cache');
    },
  });
  return async (ctx: Context, next: Next) => {
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || !isConsolePath(ctx.path)) return next();
    ctx.set(CONSOLE_SECURITY_HEADERS);
    if ((ctx.path === '/' || ctx.path === '/index.html') && !existsSync(path.join(dir, 'index.html'))) {
      ctx.status = 503;
      ctx.set('Cache-Control', 'no-store');
      ctx.type = 'html';
      ctx.body = NOT_BUILT;
      return;
    }
    return files(ctx, next);
  };
}
