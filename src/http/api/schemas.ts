import { z } from 'zod';
import { parsePeriod } from '../../domain/periods';
import { operatorNameSchema } from '../../services/console-auth.service';

/**
 * The console API's requests and answers as zod schemas: the router validates requests with
 * them, and /api/v1/openapi.json is generated from them (so the document cannot drift).
 */

const instant = z.iso.datetime({ offset: true }).describe('时刻（ISO 8601）');
const dayKey = z.iso.date().describe('日期（YYYY-MM-DD，北京时间）');

/** A period key as people type it: 2026-11-25, 2026-W48, 2026-11, 2026Q3, 2026. */
export const periodKey = z
  .string()
  .refine((s) => parsePeriod(s) !== null, { message: '统计期格式不对，例如 2026-11-25、2026-W48、2026-11、2026Q3、2026' })
  .describe('统计期：2026-11-25 / 2026-W48 / 2026-11 / 2026Q3 / 2026');

export const errorBody = z.object({ error: z.string().describe('中文错误说明') });

export const signInBody = z.object({
  name: operatorNameSchema.describe('操作员用户名'),
  password: z.string().min(1, '请填写密码').max(256, '密码最多 256 个字符').describe('密码'),
});

export const meBody = z.object({
  kind: z.enum(['operator']).describe('身份：operator（运维操作员）；旗县区工作人员、e站管理员以后加入'),
  name: z.string(),
  csrfToken: z.string().describe('写操作须在请求头 x-csrf-token 中带上'),
  expiresAt: instant,
});

export const stationsQuery = z.object({
  period: periodKey.optional().describe('统计期（默认本月）'),
  county: z.coerce.number().int().positive().optional().describe('只看这个旗县区（region.id）'),
});

/** A scope's figures (docs/统计口径.md). */
export const figures = z.object({
  informants: z.number(),
  days: z.number(),
  firstDay: dayKey.nullable(),
  informantDays: z.number(),
  activeInformants: z.number(),
  rawShares: z.number(),
  effectiveShares: z.number(),
  quotaMetDays: z.number(),
  activities: z.number(),
  participants: z.number(),
  activitiesOf50: z.number(),
  activeRate: z.number(),
  perInformantDay: z.number(),
  quotaMetRate: z.number(),
  participantsPerActivity: z.number(),
});

const range = z.object({ from: dayKey, to: dayKey });

export const stationsBody = z.object({
  period: z.object({ key: z.string(), label: z.string(), from: dayKey, to: dayKey }),
  counties: z.array(
    z.object({
      id: z.number().int(),
      name: z.string(),
      counted: range.describe('统计的日子（统计期截至今天）'),
      total: figures.describe('全旗县区合计'),
      stations: z.array(
        z.object({
          id: z.number().int(),
          name: z.string(),
          status: z.string(),
          type: z.string(),
          start: dayKey.nullable().describe('统计开始日'),
          figures,
        }),
      ),
    }),
  ),
});

export const robotBody = z.object({
  ready: z.boolean(),
  reasons: z.array(z.string()).describe('不能正常工作的原因（中文）'),
  wechat: z.object({
    state: z.string(),
    loggedIn: z.boolean(),
    connected: z.boolean(),
    since: instant.nullable(),
    reason: z.string().nullable(),
    waitingForScan: z.boolean().describe('已退出登录，正等待扫码'),
  }),
  database: z.object({ up: z.boolean(), since: instant.nullable() }),
  queue: z.object({
    outbox: z.number().int().describe('发送队列中待发送的条数'),
    failed: z.number().int().describe('发送失败的条数'),
    replies: z.number().int().describe('等待发出的回复'),
    spool: z.number().int().describe('待写入数据库的转发'),
  }),
  version: z.string(),
});

export const jobsQuery = z.object({
  limit: z.coerce.number().int().min(1, 'limit 至少为 1').max(200, 'limit 最多 200').default(30).describe('最近多少次运行'),
  queueLimit: z.coerce.number().int().min(1, 'queueLimit 至少为 1').max(500, 'queueLimit 最多 500').default(100),
});

export const jobsBody = z.object({
  runs: z.array(
    z.object({
      id: z.number().int(),
      job: z.string(),
      scope: z.string(),
      period: z.string(),
      state: z.string().describe('planning / planned / pending / missed …'),
      round: z.number().int(),
      pendingReason: z.string().nullable().describe('等待或错过的原因'),
      startedAt: instant,
      queued: z.number().int(),
      sent: z.number().int(),
      failed: z.number().int(),
      other: z.number().int(),
    }),
  ),
  queue: z.array(
    z.object({
      id: z.number().int(),
      runId: z.number().int(),
      job: z.string(),
      scope: z.string(),
      period: z.string(),
      round: z.number().int(),
      part: z.number().int(),
      channel: z.string(),
      state: z.string(),
      attempts: z.number().int(),
      dueAt: instant,
      validUntil: instant.nullable(),
      lastError: z.string().nullable(),
      pendingReason: z.string().nullable(),
    }),
  ),
});

/** One endpoint of the API, as the router serves it and the OpenAPI document describes it. */
export interface ApiRoute {
  method: 'get' | 'post' | 'delete';
  /** Under /api/v1, in Koa router syntax. */
  path: string;
  summary: string;
  /** Needs a session (default true). */
  auth?: boolean;
  query?: z.ZodObject;
  body?: z.ZodObject;
  /** The success answer's status and body (204: no body). */
  status: number;
  response?: z.ZodType;
}

/** Every endpoint under /api/v1. */
export const API_ROUTES = {
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
  stations: {
    method: 'get',
    path: '/stations',
    summary: 'e站列表及统计期内的指标（按旗县区）',
    query: stationsQuery,
    status: 200,
    response: stationsBody,
  },
  robot: { method: 'get', path: '/robot', summary: '机器人：微信账号状态、队列、数据库', status: 200, response: robotBody },
  jobs: {
    method: 'get',
    path: '/jobs',
    summary: '定时任务运行与发送队列（含等待原因）',
    query: jobsQuery,
    status: 200,
    response: jobsBody,
  },
  openapi: { method: 'get', path: '/openapi.json', summary: '本 API 的 OpenAPI 3.1 描述', auth: false, status: 200 },
} as const satisfies Record<string, ApiRoute>;
