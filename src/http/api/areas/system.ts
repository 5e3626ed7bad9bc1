import createHttpError from 'http-errors';
import { z } from 'zod';
import { instant } from '../schemas';
import { parse, type ApiDeps, type ApiRoute, type Handlers } from '../route';

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

/** The robot (WeChat account, queues, database) and the scheduled jobs. */
export const SYSTEM_ROUTES = {
  robot: { method: 'get', path: '/robot', summary: '机器人：微信账号状态、队列、数据库', status: 200, response: robotBody },
  jobs: {
    method: 'get',
    path: '/jobs',
    summary: '定时任务运行与发送队列（含等待原因）',
    query: jobsQuery,
    status: 200,
    response: jobsBody,
  },
} as const satisfies Record<string, ApiRoute>;

export function systemHandlers(deps: ApiDeps): Handlers<typeof SYSTEM_ROUTES> {
  return {
    robot: async (_ctx, access) => {
      if (!access.system) throw createHttpError(403, '无权查看机器人状态');
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
    },
    jobs: async (ctx, access) => {
      if (!access.system) throw createHttpError(403, '无权查看定时任务');
      const q = parse(jobsQuery, ctx.query);
      const [runs, queue] = await Promise.all([deps.jobs.listRuns(q.limit), deps.jobs.listQueue(q.queueLimit)]);
      return { runs, queue };
    },
  };
}
