import createHttpError from 'http-errors';
import type { Context } from 'koa';
import { z } from 'zod';
import type { Activity } from '../../../db/entities';
import { dayOf, type DayKey } from '../../../domain/calendar';
import { parsePeriod, periodContaining } from '../../../domain/periods';
import { ACTIVITY_STATUS_LABEL, ACTIVITY_TYPES, MAX_PARTICIPANTS, parseDay } from '../../../domain/station-commands';
import { UserError } from '../../../errors';
import { canSeeStation, type Access } from '../access';
import { dayKey, instant, periodKey } from '../schemas';
import { bodyOf, idParam, parse, type ApiDeps, type ApiRoute, type Handlers } from '../route';

/** The fields of an activity with the 活动 command's limits and messages. */
const fields = {
  date: z.iso.date({ error: '日期应为 YYYY-MM-DD，例如 2026-11-20' }).describe('活动日期（今天及以前）'),
  type: z.enum(ACTIVITY_TYPES, { error: `活动类型应为 ${ACTIVITY_TYPES.join('、')} 之一` }).describe('活动类型'),
  title: z.string({ error: '缺少活动标题' }).trim().min(1, '缺少活动标题').max(200, '活动标题太长（最多 200 字）').describe('活动标题'),
  participants: z
    .number({ error: '参加人数应为正整数，例如 65' })
    .int('参加人数应为正整数，例如 65')
    .min(1, '参加人数应大于 0，例如 65')
    .max(MAX_PARTICIPANTS, `参加人数太多了（超过 ${MAX_PARTICIPANTS}），请检查`)
    .describe('参加人数'),
  place: z.string({ error: '地点应为文字' }).trim().max(200, '地点太长（最多 200 字）').nullable().optional().describe('地点（可省略）'),
};

export const activityInput = z.object(fields);
export const activityChanges = z.object({
  date: fields.date.optional(),
  type: fields.type.optional(),
  title: fields.title.optional(),
  participants: fields.participants.optional(),
  place: fields.place,
});

export const activitiesQuery = z.object({ period: periodKey.optional().describe('统计期（默认本月）') });

export const activityBody = z.object({
  id: z.number().int().describe('记录编号（修改、撤销时用）'),
  stationId: z.number().int(),
  date: dayKey,
  type: z.string(),
  title: z.string(),
  participants: z.number().int(),
  place: z.string().nullable(),
  status: z.enum(['active', 'withdrawn']),
  statusLabel: z.string().describe('状态中文名'),
  by: z.string().describe('登记人（渠道:账号）'),
  createdAt: instant,
});

/** Activities of the stations: list, add, edit, withdraw (the 活动 / 修改 / 撤销 commands' rules). */
export const ACTIVITY_ROUTES = {
  activities: {
    method: 'get',
    path: '/stations/:id/activities',
    summary: 'e站在统计期内的活动（不含已撤销的）',
    query: activitiesQuery,
    status: 200,
    response: z.array(activityBody),
  },
  addActivity: {
    method: 'post',
    path: '/stations/:id/activities',
    summary: '登记活动（与“活动”命令相同的检查）',
    body: activityInput,
    status: 201,
    response: activityBody,
  },
  editActivity: {
    method: 'put',
    path: '/activities/:id',
    summary: '修改活动（与“修改”命令相同的检查）',
    body: activityChanges,
    status: 200,
    response: activityBody,
  },
  withdrawActivity: { method: 'delete', path: '/activities/:id', summary: '撤销活动（与“撤销”命令相同）', status: 204 },
  activityTypes: {
    method: 'get',
    path: '/activity-types',
    summary: '活动类型',
    status: 200,
    response: z.array(z.string()),
  },
} as const satisfies Record<string, ApiRoute>;

/** An activity as the API answers it (the activities area and a station's page). */
export const activityOf = (a: Activity): z.infer<typeof activityBody> => ({
  id: a.id,
  stationId: a.stationId,
  date: a.date,
  type: a.type,
  title: a.title,
  participants: a.participants,
  place: a.place,
  status: a.status,
  statusLabel: ACTIVITY_STATUS_LABEL[a.status],
  by: a.createdBy,
  createdAt: a.createdAt.toISOString(),
});

/** A day the 活动 command would accept (not in the future). */
function pastDay(day: string, today: DayKey): DayKey {
  const d = parseDay(day, today);
  if (!d.ok) throw new UserError(d.error);
  return d.value;
}

export function activityHandlers(deps: ApiDeps): Handlers<typeof ACTIVITY_ROUTES> {
  const activities = deps.services.activities;
  /** The station of the path, when visible. */
  const station = async (id: number, access: Access): Promise<number> => {
    const found = await deps.services.stations.get(id);
    if (!found || !canSeeStation(access, { id, countyId: found.countyId })) throw createHttpError(404, '没有这个e站，或无权查看');
    return id;
  };
  /** The activity of the path with its station, when visible. */
  const activity = async (ctx: Context, access: Access): Promise<Activity> => {
    const a = await activities.find(idParam(ctx));
    if (!a) throw createHttpError(404, '没有这条活动记录，或无权查看');
    await station(a.stationId, access).catch(() => {
      throw createHttpError(404, '没有这条活动记录，或无权查看');
    });
    return a;
  };
  const by = (access: Access) => `console:${access.principal.kind}:${access.principal.id}`;
  return {
    activities: async (ctx, access) => {
      const q = parse(activitiesQuery, ctx.query);
      const id = await station(idParam(ctx), access);
      const period = q.period ? parsePeriod(q.period)! : periodContaining('month', dayOf(deps.clock.now()));
      return (await activities.list(id, period)).map(activityOf);
    },
    addActivity: async (ctx, access) => {
      const id = await station(idParam(ctx), access);
      const body = parse(activityInput, bodyOf(ctx));
      const date = pastDay(body.date, dayOf(deps.clock.now()));
      return activityOf(await activities.log(id, { ...body, date, place: body.place ?? null }, by(access)));
    },
    editActivity: async (ctx, access) => {
      const a = await activity(ctx, access);
      const body = parse(activityChanges, bodyOf(ctx));
      if (Object.values(body).every((v) => v === undefined)) throw createHttpError(400, '没有要修改的内容');
      const changes = { ...body, ...(body.date !== undefined ? { date: pastDay(body.date, dayOf(deps.clock.now())) } : {}) };
      return activityOf((await activities.edit(a.stationId, a.id, changes)).after);
    },
    withdrawActivity: async (ctx, access) => {
      const a = await activity(ctx, access);
      await activities.withdraw(a.stationId, a.id);
    },
    activityTypes: async () => [...ACTIVITY_TYPES],
  };
}
