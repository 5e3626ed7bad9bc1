import createHttpError from 'http-errors';
import type { Context } from 'koa';
import { z } from 'zod';
import { dayOf } from '../../../domain/calendar';
import { normalisePhone } from '../../../domain/roster';
import { MOBILE_RE, NAME_RE } from '../../../domain/station-commands';
import { ROSTER_LIMITS } from '../../../services/roster-file';
import type { RosterFile } from '../../../services/roster.service';
import { ROSTER_TEMPLATE_NAME, rosterTemplate } from '../../../services/roster-template';
import type { Requester } from '../../../services/personal-data.service';
import type { Access } from '../access';
import { dayKey, instant } from '../schemas';
import { bodyOf, idParam, parse, rawBody, type ApiDeps, type ApiRoute, type Handlers } from '../route';
import { visibleStation } from './stations';
import { XLSX } from './reports';

export const informantBody = z.object({
  id: z.number().int(),
  name: z.string(),
  phoneTail: z.string().nullable().describe('手机号后 4 位'),
  status: z.enum(['active', 'disabled']),
  statusLabel: z.string().describe('状态中文名'),
  joinedOn: dayKey.describe('本次在册开始日'),
  leftOn: dayKey.nullable().describe('停用后的最后在册日'),
  boundWechat: z.boolean().describe('已绑定微信'),
  sharesThisMonth: z.number().int().describe('本月有效转发'),
});

export const informantsQuery = z.object({
  status: z
    .enum(['active', 'disabled', 'all'], { error: 'status 应为 active、disabled 或 all' })
    .default('all')
    .describe('在用 / 已停用 / 全部'),
  q: z
    .string()
    .max(64, '搜索词太长')
    .optional()
    .describe('姓名的一部分，或手机号后 4 位，或完整的 11 位手机号（其他位数的数字不匹配手机号）'),
});

const personName = z
  .string({ error: '姓名应为文字' })
  .trim()
  .regex(NAME_RE, '姓名应为 1 到 64 个汉字或字母（不能含数字、空格或符号）')
  .describe('姓名');

const phone = z
  .string({ error: '手机号应为文字' })
  .transform(normalisePhone)
  .refine((p) => MOBILE_RE.test(p), '手机号应为 11 位手机号码')
  .describe('手机号（11 位）');

export const addInformantBody = z.object({ name: personName, phone: phone.optional() });
export const editInformantBody = z.object({
  name: personName.optional(),
  phone: phone.nullable().optional().describe('手机号；null 删除'),
});

/** How many bad rows an answer lists (a file full of errors would otherwise be a huge answer); the total is given too. */
export const LISTED_ERRORS = 1000;

const rowError = z.object({ row: z.number().int().describe('文件中的行号'), message: z.string().describe('中文说明') });

export const previewBody = z.object({
  ok: z.boolean().describe('没有错误，可以导入'),
  rows: z.number().int().describe('检查的行数'),
  add: z.number().int().describe('将新增'),
  updated: z.number().int().describe('将为已有信息员补充手机号'),
  enabled: z.number().int().describe('名册中已停用、文件里又列出的人：将重新启用'),
  unchanged: z.number().int().describe('名册中已有'),
  errors: z.array(rowError).describe(`每一行错误（最多列出前 ${LISTED_ERRORS} 行）`),
  errorCount: z.number().int().describe('错误的总行数'),
  sample: z.array(z.object({ row: z.number().int(), name: z.string(), phoneTail: z.string().nullable() })).describe('前 20 行'),
});

export const importBody = z.object({
  added: z.number().int(),
  updated: z.number().int().describe('补充了手机号'),
  enabled: z.number().int().describe('重新启用（已停用而文件里又列出）'),
  unchanged: z.number().int(),
  rows: z.number().int(),
});

export const unconfirmedBody = z.array(
  z.object({
    index: z.number().int().describe('序号'),
    key: z.string().describe('这位成员的标识（绑定时用；名单变动也不变，不含微信号）'),
    contactName: z.string().describe('微信名'),
    shares: z.number().int().describe('未计入的转发'),
    lastSharedAt: instant,
    groupTopic: z.string().nullable().describe('最近转发所在的群'),
  }),
);

export const bindUnconfirmedBody = z.object({
  key: z
    .string({ error: 'key 应为未确认名单中的成员标识' })
    .regex(/^[0-9a-f]{16}$/, 'key 应为未确认名单中的成员标识')
    .optional()
    .describe('未确认名单中这位成员的 key（推荐：名单变动也不会认错人）'),
  index: z.number({ error: 'index 应为未确认名单中的序号' }).int().positive().optional().describe('或：未确认名单中的序号'),
  informantId: z.number({ error: 'informantId 应为整数' }).int().positive().optional().describe('绑定到名册中的这位信息员'),
  name: personName.optional().describe('或：名册中的姓名（没有则新增）；都不给时用微信名'),
});

export const forgetBody = z.object({
  confirm: z.literal(true, { error: '应为 true（删除不可撤销，请确认）' }).describe('确认删除（不可撤销）'),
});

/** The uploaded roster: its bytes and the file name from `x-file-name` (URL-encoded). */
function uploaded(ctx: Context): RosterFile {
  const bytes = rawBody(ctx);
  if (bytes.length === 0) throw createHttpError(400, '请上传名册文件（.xlsx 或 .csv）');
  const header = ctx.get('x-file-name');
  if (!header) throw createHttpError(400, '缺少文件名（请求头 x-file-name），无法判断是 .xlsx 还是 .csv');
  let fileName: string;
  try {
    fileName = decodeURIComponent(header);
  } catch {
    throw createHttpError(400, '文件名（请求头 x-file-name）应为 URL 编码');
  }
  return { bytes, fileName };
}

/** Roster and informants of a station: list, add, edit, disable, enable; upload a roster; confirm unconfirmed members. */
export const ROSTER_ROUTES = {
  informants: {
    method: 'get',
    path: '/stations/:id/informants',
    summary: 'e站的信息员名册',
    query: informantsQuery,
    status: 200,
    response: z.array(informantBody),
  },
  addInformant: {
    method: 'post',
    path: '/stations/:id/informants',
    summary: '添加信息员（今天起在册；与“添加信息员”命令规则相同）',
    body: addInformantBody,
    status: 201,
    response: informantBody,
  },
  editInformant: {
    method: 'put',
    path: '/informants/:id',
    summary: '修改信息员的姓名或手机号',
    body: editInformantBody,
    status: 200,
    response: informantBody,
  },
  disableInformant: {
    method: 'post',
    path: '/informants/:id/disable',
    summary: '停用信息员（今天后不在册；以前的统计期不变）',
    status: 200,
    response: informantBody,
  },
  enableInformant: {
    method: 'post',
    path: '/informants/:id/enable',
    summary: '重新启用信息员（今天起在册）',
    status: 200,
    response: informantBody,
  },
  rosterPreview: {
    method: 'post',
    path: '/stations/:id/roster/preview',
    summary: '检查名册文件（.xlsx 或 .csv 原始字节，请求头 x-file-name 给出文件名），列出每一行错误；不保存',
    upload: { maxBytes: ROSTER_LIMITS.bytes },
    status: 200,
    response: previewBody,
  },
  rosterImport: {
    method: 'post',
    path: '/stations/:id/roster/import',
    summary: '导入名册文件：全部行无误才导入，否则一行也不导入（400，errors 列出每一行错误）；与 kepubot import roster 规则相同',
    upload: { maxBytes: ROSTER_LIMITS.bytes },
    status: 201,
    response: importBody,
  },
  unconfirmed: {
    method: 'get',
    path: '/stations/:id/unconfirmed',
    summary: '未确认的成员：在本站群里转发了但没有绑定名册',
    status: 200,
    response: unconfirmedBody,
  },
  bindUnconfirmed: {
    method: 'post',
    path: '/stations/:id/unconfirmed/bind',
    summary: '把未确认的成员绑定到名册（之前的转发随之计入）',
    body: bindUnconfirmedBody,
    status: 200,
    response: z.object({ informantId: z.number().int(), text: z.string().describe('中文结果') }),
  },
  informantData: {
    method: 'get',
    path: '/informants/:id/personal-data',
    summary:
      '下载 kepubot 保存的这位信息员的全部个人信息（JSON：名册、微信标识、转发、操作记录），用于答复本人的查阅请求；旗县区工作人员和操作员可用，e站管理员 403；记入审计日志',
    status: 200,
    produces: 'application/json',
  },
  forgetInformant: {
    method: 'post',
    path: '/informants/:id/forget',
    summary:
      '删除这位信息员的姓名、手机号和微信标识（不可撤销；统计数字不变，名册上改为“已删除信息员#编号”）；旗县区工作人员和操作员可用，e站管理员 403',
    body: forgetBody,
    status: 200,
    response: z.object({ name: z.string().describe('名册上的新名称'), shares: z.number().int().describe('替换了发送人标识的转发数') }),
  },
  rosterTemplate: {
    method: 'get',
    path: '/roster/template',
    summary: `下载名册模板（${ROSTER_TEMPLATE_NAME}）：导入所需的列和一行示例；与 kepubot roster template 相同`,
    status: 200,
    produces: XLSX,
  },
} as const satisfies Record<string, ApiRoute>;

export function rosterHandlers(deps: ApiDeps): Handlers<typeof ROSTER_ROUTES> {
  const informants = deps.services.informants;
  const today = () => dayOf(deps.clock.now());

  /** The informant as the list shows it. */
  const informantOut = async (stationId: number, id: number) => (await informants.roster(stationId, { status: 'all', id }, today()))[0];

  /** The informant's station, if the person may see it (404 otherwise). */
  const ownStation = async (ctx: Context, access: Access): Promise<{ id: number; stationId: number }> => {
    const id = idParam(ctx);
    const stationId = await deps.services.informants.stationOf(id);
    if (stationId === null) throw createHttpError(404, '没有这位信息员，或无权查看');
    await visibleStation(deps, access, stationId).catch(() => {
      throw createHttpError(404, '没有这位信息员，或无权查看');
    });
    return { id, stationId };
  };

  /** A person's data is for county staff of the station's county and operators; a station manager gets 403. */
  const personalDataAccess = async (ctx: Context, access: Access): Promise<{ id: number; stationId: number }> => {
    const found = await ownStation(ctx, access);
    if (access.principal.kind === 'manager') throw createHttpError(403, '个人信息的导出和删除由旗县区科协工作人员办理，e站管理员不能操作');
    return found;
  };
  const requester = (access: Access): Requester => ({
    channel: 'console',
    senderId: `${access.principal.kind}:${access.principal.id}`,
    senderName: access.principal.name,
  });

  return {
    informants: async (ctx, access) => {
      const station = await visibleStation(deps, access, idParam(ctx));
      const q = parse(informantsQuery, ctx.query);
      return informants.roster(station.id, q, today());
    },
    addInformant: async (ctx, access) => {
      const station = await visibleStation(deps, access, idParam(ctx));
      const body = parse(addInformantBody, bodyOf(ctx));
      const added = await informants.addToRoster(station.id, body.name, body.phone ?? null, deps.clock.now());
      return informantOut(station.id, added.id);
    },
    editInformant: async (ctx, access) => {
      const { id, stationId } = await ownStation(ctx, access);
      const body = parse(editInformantBody, bodyOf(ctx));
      if (body.name === undefined && body.phone === undefined) throw createHttpError(400, '请至少修改一项：姓名或手机号');
      await informants.edit(id, body);
      return informantOut(stationId, id);
    },
    disableInformant: async (ctx, access) => {
      const { id, stationId } = await ownStation(ctx, access);
      await informants.disableById(id, deps.clock.now());
      return informantOut(stationId, id);
    },
    enableInformant: async (ctx, access) => {
      const { id, stationId } = await ownStation(ctx, access);
      await informants.enableById(id, deps.clock.now());
      return informantOut(stationId, id);
    },
    rosterPreview: async (ctx, access) => {
      const station = await visibleStation(deps, access, idParam(ctx));
      const r = await deps.services.roster.preview(station.id, uploaded(ctx));
      return {
        ok: r.problemCount === 0,
        rows: r.rows,
        add: r.imported,
        updated: r.updated,
        enabled: r.enabled,
        unchanged: r.unchanged,
        errors: r.problems.slice(0, LISTED_ERRORS).map((p) => ({ row: p.line, message: p.reason })),
        errorCount: r.problemCount,
        sample: r.sample.map((e) => ({ row: e.line, name: e.name, phoneTail: e.phone ? e.phone.slice(-4) : null })),
      };
    },
    rosterImport: async (ctx, access) => {
      const station = await visibleStation(deps, access, idParam(ctx));
      const r = await deps.services.roster.importFile(station.id, uploaded(ctx), deps.clock.now());
      if (r.problemCount > 0) {
        throw createHttpError(400, `名册有 ${r.problemCount} 处问题，未导入任何一行`, {
          errors: r.problems.slice(0, LISTED_ERRORS).map((p) => ({ row: p.line, message: p.reason })),
        });
      }
      return { added: r.imported, updated: r.updated, enabled: r.enabled, unchanged: r.unchanged, rows: r.rows };
    },
    informantData: async (ctx, access) => {
      const { id } = await personalDataAccess(ctx, access);
      const data = await deps.services.personalData.export(id, deps.clock.now(), requester(access));
      ctx.attachment(`信息员${id}-个人信息.json`, { fallback: `kepubot-informant-${id}.json` });
      ctx.type = 'application/json';
      ctx.body = JSON.stringify(data, null, 2);
      return undefined;
    },
    forgetInformant: async (ctx, access) => {
      const { id } = await personalDataAccess(ctx, access);
      parse(forgetBody, bodyOf(ctx));
      return deps.services.personalData.forget(id, deps.clock.now(), requester(access));
    },
    rosterTemplate: async (ctx) => {
      ctx.attachment(ROSTER_TEMPLATE_NAME, { fallback: 'kepubot-roster-template.xlsx' });
      ctx.type = XLSX;
      ctx.body = await rosterTemplate();
      return undefined;
    },
    unconfirmed: async (ctx, access) => {
      const station = await visibleStation(deps, access, idParam(ctx));
      return (await informants.unconfirmed(station.id)).map((u) => ({
        index: u.index,
        key: u.key,
        contactName: u.talkerName,
        shares: u.shares,
        lastSharedAt: u.lastAt.toISOString(),
        groupTopic: u.groupTopic,
      }));
    },
    bindUnconfirmed: async (ctx, access) => {
      const station = await visibleStation(deps, access, idParam(ctx));
      const body = parse(bindUnconfirmedBody, bodyOf(ctx));
      if (body.informantId !== undefined && body.name !== undefined) throw createHttpError(400, 'informantId 和 name 只能给一个');
      const who = body.key !== undefined ? { key: body.key } : body.index;
      if (who === undefined) throw createHttpError(400, 'key：缺少这一项（未确认名单中这位成员的 key）');
      const now = deps.clock.now();
      const r =
        body.informantId !== undefined
          ? await informants.confirmAs(station.id, who, body.informantId, now)
          : await informants.confirm(station.id, who, body.name ?? null, now);
      return {
        informantId: r.informant.id,
        text: r.alreadyBound
          ? `该成员已绑定为“${r.informant.name}”，无需再绑定`
          : `已确认：该成员绑定为“${r.informant.name}”，之前的 ${r.adoptedShares} 条转发（有效 ${r.adoptedEffective} 条）已计入`,
      };
    },
  };
}
