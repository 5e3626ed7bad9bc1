import createHttpError from 'http-errors';
import type { Context } from 'koa';
import type { DataSource } from 'typeorm';
import type { z } from 'zod';
import type { WechatStatus } from '../../channels/wechat/wechat-runtime';
import type { WecomApiClient } from '../../channels/wecom/wecom-api';
import type { Clock } from '../../clock';
import type { JobRunner } from '../../jobs/runner';
import type { Logger } from '../../logger';
import type { Services } from '../../services';
import type { AppConfig } from '../../config';
import type { SystemReadiness } from '../app';
import type { Access } from './access';
import type { LoginLimits } from '../../services/login-limiter.service';

/** One endpoint of the API, as the router serves it and the OpenAPI document describes it. */
export interface ApiRoute {
  method: 'get' | 'post' | 'put' | 'delete';
  /** Under /api/v1, in Koa router syntax (`/stations/:id`). */
  path: string;
  summary: string;
  /** Needs a session (default true). */
  auth?: boolean;
  query?: z.ZodObject;
  body?: z.ZodObject;
  /**
   * The request body is a file (roster upload): its raw bytes are in `rawBody(ctx)`, any content
   * type, up to this many bytes. Without it, write bodies must be JSON (64 KB at most).
   */
  upload?: { maxBytes: number };
  /** The success answer's status and body (204: no body). */
  status: number;
  response?: z.ZodType;
  /** The answer is a file (xlsx, png): its content type, for the OpenAPI document. */
  produces?: string;
}

/** What every area's handlers may use. */
export interface ApiDeps {
  ds: DataSource;
  services: Services;
  jobs: JobRunner;
  clock: Clock;
  log: Logger;
  config: AppConfig;
  /** What /readyz computes (database, WeChat, spool, replies). */
  readiness: () => Promise<SystemReadiness>;
  /** The WeChat account's state from the runtime (with the login QR payload while logged out). */
  wechat: () => WechatStatus;
  version: string;
  /** Sign-in attempt limits (default: 20 per address and 5 per name per 15 minutes, then one a minute for the name). */
  loginLimits?: LoginLimits;
  /** The WeCom API client (WeCom sign-in: code → user id); absent when WeCom is not configured. */
  wecomApi?: WecomApiClient;
}

/**
 * A route's handler. `access` is the signed-in person's access (undefined only on routes with
 * `auth: false`). The return value is the JSON answer; a handler that sends a file sets
 * `ctx.body`/`ctx.type` itself and returns undefined.
 */
export type ApiHandler = (ctx: Context, access: Access) => Promise<unknown>;

/** An area's handlers, one per route id. */
export type Handlers<R extends Record<string, ApiRoute>> = { [K in keyof R]: ApiHandler };

/** Parses with a schema; a failure is a 400 with the first problem in Chinese. */
export function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue.path.length > 0 ? `${issue.path.join('.')}：` : '';
  if (issue.path.length === 0 && value === undefined) throw createHttpError(400, '缺少请求体（JSON）');
  // zod 4 leaves `issue.input` out unless asked: look the value up along the issue's path.
  const given = issue.path.reduce<unknown>(
    (v, key) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[key] : undefined),
    value,
  );
  const message = issue.code === 'invalid_type' && given === undefined ? '缺少这一项' : issue.message;
  throw createHttpError(400, `${where}${message}`);
}

/** The parsed JSON body of a write. */
export const bodyOf = (ctx: Context): unknown => (ctx.request as { body?: unknown }).body;

/** The raw bytes of an upload route's body. */
export const rawBody = (ctx: Context): Buffer => (ctx.request as { rawBody?: Buffer }).rawBody ?? Buffer.alloc(0);

/** A positive integer path parameter (`:id`), or 404. */
export function idParam(ctx: Context, name = 'id'): number {
  const raw = (ctx.params as Record<string, string> | undefined)?.[name] ?? '';
  const n = Number(raw);
  if (!/^\d{1,9}$/.test(raw) || n <= 0) throw createHttpError(404, '没有这一项');
  return n;
}
