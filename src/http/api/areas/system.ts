import createHttpError from 'http-errors';
import { z } from 'zod';
import { parsePeriod, type Period } from '../../../domain/periods';
import { JOB_LABELS, JOB_NAMES, periodFor, type JobName } from '../../../domain/schedule';
import { qrPng } from '../../../services/alert.service';
import { accountStateLabel } from '../../../domain/bot-accounts';
import { canSeeCounty, type Access } from '../access';
import { instant, periodKey } from '../schemas';
import { bodyOf, idParam, parse, type ApiDeps, type ApiRoute, type Handlers } from '../route';

const KIND_LABEL: Record<Period['kind'], string> = { day: '日', week: '周', month: '月', quarter: '季度', year: '年' };

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
  lastMessageAt: instant.nullable().describe('最近一次收到消息的时间（本次启动以来）'),
  accounts: z
    .array(
      z.object({
        id: z.number().int(),
        name: z.string(),
        source: z.enum(['db', 'env', 'demo', 'test']).describe('db 命令行添加 / env 环境变量 / demo 演示 / test 测试'),
        endpoint: z.string().nullable().describe('puppet 服务地址'),
        tokenMasked: z.string().nullable().describe('token（只显示末 4 位）'),
        tls: z.boolean(),
        paused: z.boolean(),
        counties: z.array(z.object({ id: z.number().int(), name: z.string() })).describe('服务的旗县区（空：全部）'),
        state: z.string(),
        stateLabel: z.string().describe('状态（中文）'),
        loggedIn: z.boolean(),
        wechatName: z.string().nullable().describe('登录的微信名'),
        groups: z.number().int().nullable().describe('所在的群数'),
        lastEventAt: instant.nullable().describe('最近收到消息'),
        sentToday: z.number().int().describe('今天发出的消息'),
        holder: z.string().nullable().describe('持有它的进程（主机:进程号:随机）'),
        waitingForScan: z.boolean(),
        mayScan: z.boolean().describe('等待扫码且本人可以查看二维码（操作员；或该号服务本旗县区的工作人员）'),
        suspectSince: instant.nullable().describe('疑似失效的起始时间：已登录，但收不到任何群消息而同群的其他微信号收到了（null：正常）'),
      }),
    )
    .describe('所有微信号（所有进程）'),
});

export const runJobInput = z.object({
  job: z.enum(JOB_NAMES, { error: `任务应为 ${JOB_NAMES.join('、')} 之一` }).describe('任务'),
  period: periodKey.optional().describe('统计期（默认按当前时间，与定时运行相同）'),
  county: z.number({ error: '旗县区应为编号' }).int().positive().optional().describe('只运行这个旗县区（不填：全部）'),
});

export const runJobBody = z.object({
  runId: z.number().int().nullable().describe('第一个运行的编号（没有范围时为 null）'),
  queued: z.number().int().describe('加入发送队列的消息数'),
  runs: z.array(
    z.object({
      runId: z.number().int(),
      scope: z.string(),
      state: z.string().describe('planned 已加入队列 / pending 等待中 / already 此前已运行'),
      queued: z.number().int(),
      reason: z.string().nullable().describe('等待的原因'),
    }),
  ),
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
      scopeLabel: z.string().describe('范围的中文名（旗县区、e站或群名）'),
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
      scopeLabel: z.string(),
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
  robotQrcode: {
    method: 'get',
    path: '/robot/qrcode.png',
    summary: '本人可查看的第一个等待扫码的微信号的登录二维码（没有时 404）',
    status: 200,
    produces: 'image/png',
  },
  accountQrcode: {
    method: 'get',
    path: '/robot/accounts/:id/qrcode.png',
    summary: '一个微信号的登录二维码（等待扫码时）：只给操作员和该号所服务旗县区的工作人员（没有指定旗县区的号：只给操作员）',
    status: 200,
    produces: 'image/png',
  },
  jobs: {
    method: 'get',
    path: '/jobs',
    summary: '定时任务运行与发送队列（含等待原因）；旗县区工作人员只看本旗县区的',
    query: jobsQuery,
    status: 200,
    response: jobsBody,
  },
  resendRun: {
    method: 'post',
    path: '/jobs/runs/:id/resend',
    summary: '重发一次运行中没有发出的消息（失败、过期、未确认的部分；等待中的运行重新安排）',
    status: 200,
    response: z.object({ requeued: z.number().int().describe('重新加入发送队列的条数') }),
  },
  runJob: {
    method: 'post',
    path: '/jobs/run',
    summary: '手动运行一个任务（与 kepubot run 相同：已运行过的不再重复）',
    body: runJobInput,
    status: 201,
    response: runJobBody,
  },
  jobNames: {
    method: 'get',
    path: '/job-names',
    summary: '任务名称与中文说明',
    status: 200,
    response: z.array(z.object({ name: z.string(), label: z.string() })),
  },
} as const satisfies Record<string, ApiRoute>;

/** Chinese names of job scopes (`county:3` → the county, `station:7` → the station, `room:…` → the group's topic), one query. */
export function scopeLabels(deps: Pick<ApiDeps, 'services'>, scopes: string[]): Promise<Map<string, string>> {
  return deps.services.reads.jobScopes.labels(scopes);
}

export function systemHandlers(deps: ApiDeps): Handlers<typeof SYSTEM_ROUTES> {
  /** Whoever scans a login QR code takes the account over: the operator, or staff of a county the account serves. */
  const sendQrcode = async (ctx: Parameters<Handlers<typeof SYSTEM_ROUTES>['accountQrcode']>[0], access: Access, id: number) => {
    if (!mayViewRobot(access)) throw createHttpError(403, '无权查看机器人状态');
    const found = await deps.services.accounts.qrcodeOf(id);
    if (!found) throw createHttpError(404, '没有这个微信号');
    if (!canScan(access, found.counties)) throw createHttpError(403, '这个微信号不服务您的旗县区，不能查看它的登录二维码');
    if (!found.qrcode) throw createHttpError(404, found.loggedIn ? '微信已登录，无需扫码' : '还没有登录二维码，请稍后刷新');
    ctx.type = 'image/png';
    ctx.body = await qrPng(found.qrcode);
    return undefined;
  };
  return {
    robot: async (_ctx, access) => {
      if (!mayViewRobot(access)) throw createHttpError(403, '无权查看机器人状态');
      const report = await deps.readiness();
      const wechat = deps.wechat();
      const accounts = await deps.services.accounts.list(deps.clock.now());
      const outbox = await deps.services.reads.outbox.counts();
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
        lastMessageAt: wechat.lastMessageAt?.toISOString() ?? null,
        accounts: accounts.map((a) => ({
          id: a.id,
          name: a.name,
          source: a.source,
          endpoint: a.endpoint,
          tokenMasked: a.tokenMasked,
          tls: a.tls,
          paused: a.paused,
          counties: a.counties,
          state: a.state,
          stateLabel: accountStateLabel(a),
          loggedIn: a.loggedIn,
          wechatName: a.wechatName,
          groups: a.groups,
          lastEventAt: a.lastEventAt?.toISOString() ?? null,
          sentToday: a.sentToday,
          holder: a.holder,
          waitingForScan: a.waitingForScan,
          suspectSince: a.suspectSince?.toISOString() ?? null,
          mayScan:
            a.waitingForScan &&
            canScan(
              access,
              a.counties.map((c) => c.id),
            ),
        })),
      };
    },
    robotQrcode: async (ctx, access) => {
      if (!mayViewRobot(access)) throw createHttpError(403, '无权查看机器人状态');
      const accounts = await deps.services.accounts.list(deps.clock.now());
      const mine = accounts.find(
        (a) =>
          a.waitingForScan &&
          canScan(
            access,
            a.counties.map((c) => c.id),
          ),
      );
      if (!mine) {
        throw createHttpError(404, accounts.some((a) => a.waitingForScan) ? '没有您可以扫码的微信号' : '没有等待扫码的微信号');
      }
      return sendQrcode(ctx, access, mine.id);
    },
    accountQrcode: async (ctx, access) => sendQrcode(ctx, access, idParam(ctx)),
    jobs: async (ctx, access) => {
      // The operator sees every run; county staff the runs of their county (read only); managers none.
      if (access.principal.kind === 'manager') throw createHttpError(403, '无权查看定时任务');
      const q = parse(jobsQuery, ctx.query);
      const counties = access.counties === 'all' ? undefined : [...access.counties];
      const [runs, queue] = await Promise.all([deps.jobs.listRuns(q.limit, counties), deps.jobs.listQueue(q.queueLimit, counties)]);
      const labels = await scopeLabels(
        deps,
        [...runs, ...queue].map((r) => r.scope),
      );
      const label = (scope: string) => labels.get(scope) ?? scope;
      return {
        runs: runs.map((r) => ({ ...r, scopeLabel: label(r.scope) })),
        queue: queue.map((r) => ({ ...r, scopeLabel: label(r.scope) })),
      };
    },
    resendRun: async (ctx, access) => {
      if (!access.system) throw createHttpError(403, '只有操作员可以重发');
      const result = await deps.jobs.resendRun(idParam(ctx), deps.clock.now());
      if (!result) throw createHttpError(404, '没有这次运行');
      return { requeued: result.requeued };
    },
    runJob: async (ctx, access) => {
      if (!access.system) throw createHttpError(403, '只有操作员可以手动运行任务');
      const body = parse(runJobInput, bodyOf(ctx));
      const now = deps.clock.now();
      const period = jobPeriod(body.job, body.period, now);
      if (body.county !== undefined) {
        if (!(await deps.services.regions.isCounty(body.county)) || !canSeeCounty(access, body.county))
          throw createHttpError(404, '没有这个旗县区');
      }
      const runs = await deps.jobs.run(body.job, period, now, {
        countyIds: body.county !== undefined ? [body.county] : undefined,
        mode: 'retry',
      });
      return {
        runId: runs[0]?.runId ?? null,
        queued: runs.reduce((n, r) => n + r.messages.length, 0),
        runs: runs.map((r) => ({ runId: r.runId!, scope: r.scope, state: r.state, queued: r.messages.length, reason: r.reason ?? null })),
      };
    },
    jobNames: async () => JOB_NAMES.map((name) => ({ name, label: JOB_LABELS[name] })),
  };
}

/** The period a job runs for: the one given (of the job's kind, else a 400), or the one the schedule would use now. */
export function jobPeriod(job: JobName, key: string | undefined, now: Date): Period {
  const expected = periodFor(job, now);
  const period = key ? parsePeriod(key)! : expected;
  if (period.kind !== expected.kind)
    throw createHttpError(400, `任务“${JOB_LABELS[job]}”的统计期应为${KIND_LABEL[expected.kind]}，例如 ${expected.key}`);
  return period;
}

/** The robot page: the operator and county staff; not station managers. */
const mayViewRobot = (access: { system: boolean; principal: { kind: string } }): boolean =>
  access.system || access.principal.kind === 'staff';

/**
 * Who may see an account's login QR code: the operator; county staff only for an account that
 * names their county among those it serves. An account serving every county (none named) is
 * the operator's alone: staff of one county must not be able to take over the others' account.
 */
function canScan(access: Access, accountCounties: number[]): boolean {
  if (access.system) return true;
  if (access.principal.kind !== 'staff') return false;
  return accountCounties.some((c) => canSeeCounty(access, c));
}
