import createHttpError from 'http-errors';
import type { Context } from 'koa';
import { z } from 'zod';
import type { OutboxChannel } from '../../../db/entities';
import { JOB_NAMES } from '../../../domain/schedule';
import type { PlannedMessage } from '../../../jobs/job';
import type { ScopeRun } from '../../../jobs/runner';
import { canSeeCounty, type Access } from '../access';
import { instant, periodKey } from '../schemas';
import { idParam, parse, type ApiDeps, type ApiRoute, type Handlers } from '../route';
import { jobPeriod, scopeLabels } from './system';

/** How each channel is named on the 任务 page (the recipient itself, a user list or a webhook key, is never shown). */
const CHANNEL_LABELS: Record<OutboxChannel, string> = {
  'wechat-room': '微信群',
  'wechat-contact': '微信私聊',
  'wecom-app': '企业微信应用',
  'wecom-webhook': '企业微信群机器人',
  demo: '演示收件箱（保存在这里，不发送）',
};

const fileBody = z
  .object({ name: z.string(), bytes: z.number().int().describe('大小（字节）') })
  .nullable()
  .describe('附件（.xlsx 或 .png）');

export const runMessagesBody = z.object({
  run: z.object({
    id: z.number().int(),
    job: z.string(),
    scope: z.string(),
    scopeLabel: z.string(),
    period: z.string(),
    state: z.string(),
  }),
  parts: z.array(
    z.object({
      id: z.number().int().describe('附件下载：GET /jobs/messages/{id}/file'),
      round: z.number().int(),
      part: z.number().int().describe('0 文字，1 其后的附件'),
      channel: z.string(),
      channelLabel: z.string(),
      state: z.string(),
      sentAt: instant.nullable(),
      text: z.string(),
      markdown: z.boolean(),
      file: fileBody,
    }),
  ),
});

export const previewQuery = z.object({
  job: z.enum(JOB_NAMES, { error: `任务应为 ${JOB_NAMES.join('、')} 之一` }).describe('任务'),
  period: periodKey.optional().describe('统计期（默认按当前时间，与定时运行相同）'),
  county: z.coerce.number().int().positive().optional().describe('旗县区（region.id）；工作人员默认本旗县区'),
});

export const previewFileQuery = previewQuery.extend({
  scope: z.string().min(1).max(200).describe('预览中的范围（scope）'),
  index: z.coerce.number().int().min(0).max(1000).describe('该范围中第几条消息（从 0 起）'),
});

export const previewBody = z.object({
  job: z.string(),
  period: z.string(),
  county: z.number().int(),
  scopes: z.array(
    z.object({
      scope: z.string(),
      scopeLabel: z.string(),
      messages: z.array(
        z.object({
          index: z.number().int().describe('附件下载：GET /jobs/preview/file?…&scope=…&index=…'),
          channel: z.string(),
          channelLabel: z.string(),
          mentions: z.number().int().describe('@ 的人数'),
          text: z.string(),
          markdown: z.boolean(),
          file: fileBody,
          waiting: z.string().nullable().describe('现在发不出的原因（没有接收人、渠道未配置）'),
        }),
      ),
    }),
  ),
});

/** What a run sent (the demo inbox included) and what a run would send, read before it is sent. */
export const JOB_MESSAGE_ROUTES = {
  runMessages: {
    method: 'get',
    path: '/jobs/runs/:id/messages',
    summary: '一次运行的消息内容（文字与附件，演示收件箱的消息也在这里读）；工作人员只看本旗县区的',
    status: 200,
    response: runMessagesBody,
  },
  messageFile: {
    method: 'get',
    path: '/jobs/messages/:id/file',
    summary: '下载一条已排队或已发送消息的附件',
    status: 200,
    produces: 'application/octet-stream',
  },
  jobPreview: {
    method: 'get',
    path: '/jobs/preview',
    summary: '预览一个任务某统计期将要发送的消息（与 kepubot run --dry-run 相同：不保存、不发送）',
    query: previewQuery,
    status: 200,
    response: previewBody,
  },
  jobPreviewFile: {
    method: 'get',
    path: '/jobs/preview/file',
    summary: '下载预览中一条消息的附件（重新试运行，不保存、不发送）',
    query: previewFileQuery,
    status: 200,
    produces: 'application/octet-stream',
  },
} as const satisfies Record<string, ApiRoute>;

/** The operator reads every county's messages, county staff their county's; managers none. */
function readableCounties(access: Access): number[] | undefined {
  if (access.principal.kind === 'manager') throw createHttpError(403, '无权查看定时任务');
  return access.counties === 'all' ? undefined : [...access.counties];
}

const MIME: Record<string, string> = {
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  png: 'image/png',
};

function sendFile(ctx: Context, name: string, bytes: Buffer): void {
  const ext = /\.([a-z0-9]+)$/i.exec(name)?.[1]?.toLowerCase() ?? '';
  // RFC 6266 / 5987: an ASCII fallback and the Chinese name in filename*.
  ctx.attachment(name, { fallback: `kepubot-message.${ext || 'bin'}` });
  ctx.type = MIME[ext] ?? 'application/octet-stream';
  ctx.body = bytes;
}

export function jobMessageHandlers(deps: ApiDeps): Handlers<typeof JOB_MESSAGE_ROUTES> {
  /** The dry run the preview shows: the same planning as `kepubot run <job> --dry-run`, for one county. */
  const preview = async (
    q: z.output<typeof previewQuery>,
    access: Access,
  ): Promise<{ county: number; period: string; runs: ScopeRun[] }> => {
    readableCounties(access);
    const now = deps.clock.now();
    const period = jobPeriod(q.job, q.period, now);
    const county = q.county ?? access.principal.countyId ?? undefined;
    if (county === undefined) throw createHttpError(400, '请选择旗县区');
    if (!(await deps.services.regions.isCounty(county)) || !canSeeCounty(access, county))
      throw createHttpError(404, '没有这个旗县区，或无权查看');
    const runs = await deps.jobs.run(q.job, period, now, { countyIds: [county], dryRun: true });
    return { county, period: period.key, runs };
  };
  const messagesOf = (r: ScopeRun): Array<{ message: PlannedMessage; waiting: string | null }> => [
    ...r.messages.map((message) => ({ message, waiting: null })),
    ...r.waiting.map((w) => ({ message: w.message, waiting: w.reason })),
  ];

  return {
    runMessages: async (ctx, access) => {
      const found = await deps.jobs.runMessages(idParam(ctx), readableCounties(access));
      if (!found) throw createHttpError(404, '没有这次运行，或无权查看');
      const labels = await scopeLabels(deps, [found.run.scope]);
      return {
        run: { ...found.run, scopeLabel: labels.get(found.run.scope) ?? found.run.scope },
        parts: found.parts.map((p) => ({
          ...p,
          channelLabel: CHANNEL_LABELS[p.channel] ?? p.channel,
          sentAt: p.sentAt?.toISOString() ?? null,
        })),
      };
    },
    messageFile: async (ctx, access) => {
      const file = await deps.jobs.messageFile(idParam(ctx), readableCounties(access));
      if (!file) throw createHttpError(404, '没有这个附件，或无权查看');
      sendFile(ctx, file.name, file.bytes);
      return undefined;
    },
    jobPreview: async (ctx, access) => {
      const q = parse(previewQuery, ctx.query);
      const { county, period, runs } = await preview(q, access);
      const labels = await scopeLabels(
        deps,
        runs.map((r) => r.scope),
      );
      return {
        job: q.job,
        period,
        county,
        scopes: runs.map((r) => ({
          scope: r.scope,
          scopeLabel: labels.get(r.scope) ?? r.scope,
          messages: messagesOf(r).map(({ message: m, waiting }, index) => ({
            index,
            channel: m.channel,
            channelLabel: CHANNEL_LABELS[m.channel] ?? m.channel,
            mentions: m.payload.mentions?.length ?? 0,
            text: m.payload.text,
            markdown: m.payload.markdown === true,
            file: m.payload.file ? { name: m.payload.file.name, bytes: Buffer.byteLength(m.payload.file.base64, 'base64') } : null,
            waiting,
          })),
        })),
      };
    },
    jobPreviewFile: async (ctx, access) => {
      const q = parse(previewFileQuery, ctx.query);
      const { runs } = await preview(q, access);
      const run = runs.find((r) => r.scope === q.scope);
      const file = run ? messagesOf(run)[q.index]?.message.payload.file : undefined;
      if (!file) throw createHttpError(404, '这条预览消息没有附件');
      sendFile(ctx, file.name, Buffer.from(file.base64, 'base64'));
      return undefined;
    },
  };
}
