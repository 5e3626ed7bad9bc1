import createHttpError from 'http-errors';
import { z } from 'zod';
import { dayOf } from '../../../domain/calendar';
import { parsePeriod, periodContaining, periodLabel } from '../../../domain/periods';
import { canSeeCounty } from '../access';
import { dayKey, figures, periodBody, periodKey } from '../schemas';
import { parse, type ApiDeps, type ApiRoute, type Handlers } from '../route';
import { figuresOnly } from './stations';

export const overviewQuery = z.object({
  county: z.coerce
    .number()
    .int()
    .positive()
    .optional()
    .describe('旗县区（region.id）；不填：工作人员与e站管理员为本旗县区，操作员为第一个旗县区'),
  period: periodKey.optional().describe('统计期（默认本月）'),
});

const idName = z.object({ id: z.number().int(), name: z.string() });

export const overviewBody = z.object({
  county: idName,
  counties: z.array(idName).describe('可查看的旗县区（供切换）'),
  period: periodBody,
  targets: z
    .object({
      informantsPerStation: z.number().describe('每站信息员目标人数'),
      informants: z.number().int().describe('信息员目标人数：每站目标 × e站数'),
      activities: z
        .number()
        .int()
        .describe('统计期的活动目标次数：每站每月次数 × e站数 × 统计天数涉及的自然月数（与统计表的对照要求相同）'),
      sharesPerInformantDay: z.number().describe('人均每天有效转发目标（本旗县区的每日任务数）'),
      activitiesPerMonth: z.number().describe('每站每月活动次数目标'),
      participantsPerActivity: z.number().describe('每次活动参加人数目标'),
    })
    .describe('目标（来自配置与统计口径）'),
  figures: figures.describe('统计期内的合计（e站管理员：本站）'),
  stations: z.number().int().describe('e站数'),
  daily: z
    .array(z.object({ day: dayKey, effectiveShares: z.number(), activeInformants: z.number() }))
    .describe(`最近 90 天每天的有效转发与活跃信息员`),
  weekly: z
    .array(
      z.object({
        week: z.string().describe('2026-W48'),
        label: z.string().describe('2026年第48周（11月23日—11月29日）'),
        from: dayKey,
        to: dayKey,
        activeRate: z.number().describe('活跃率 0..1'),
        perInformantDay: z.number().describe('人均每天有效转发'),
      }),
    )
    .describe('最近 13 周（本周在最后）'),
  ranking: z
    .array(z.object({ rank: z.number().int(), stationId: z.number().int(), name: z.string(), type: z.string(), figures }))
    .describe('统计期内的e站排名（好的在前）'),
  attention: z
    .array(
      z.object({
        kind: z.enum(['no-activity', 'silent-group', 'unconfirmed', 'bot-offline', 'below-quota']),
        text: z.string().describe('中文说明'),
        stationId: z.number().int().nullable(),
        groupId: z.number().int().nullable(),
      }),
    )
    .describe('需要关注的事'),
});

/** The overview: a county's (or a manager's station's) figures, series, ranking and what needs attention. */
export const OVERVIEW_ROUTES = {
  overview: {
    method: 'get',
    path: '/overview',
    summary: '总览：指标与目标、最近 90 天与 13 周的走势、e站排名、需要关注的事',
    query: overviewQuery,
    status: 200,
    response: overviewBody,
  },
} as const satisfies Record<string, ApiRoute>;

export function overviewHandlers(deps: ApiDeps): Handlers<typeof OVERVIEW_ROUTES> {
  return {
    overview: async (ctx, access) => {
      const q = parse(overviewQuery, ctx.query);
      const now = deps.clock.now();
      const today = dayOf(now);
      const period = q.period ? parsePeriod(q.period)! : periodContaining('month', today);
      const counties = (await deps.services.regions.counties()).filter((c) => canSeeCounty(access, c.id));
      const countyId = q.county ?? access.principal.countyId ?? counties[0]?.id;
      const county = counties.find((c) => c.id === countyId);
      if (!county) throw createHttpError(404, q.county === undefined ? '还没有旗县区' : '没有这个旗县区，或无权查看');
      const wechat = deps.wechat();
      const o = await deps.services.overview.overview(
        { countyId: county.id, ...(access.principal.kind === 'manager' ? { stationId: access.principal.stationId! } : {}) },
        period,
        today,
        { loggedIn: wechat.loggedIn, connected: wechat.connected, reason: wechat.reason },
        now,
      );
      return {
        county,
        counties,
        period: { key: period.key, label: periodLabel(period), from: period.from, to: period.to },
        ...o,
        figures: figuresOnly(o.figures),
        ranking: o.ranking.map((r) => ({ ...r, figures: figuresOnly(r.figures) })),
      };
    },
  };
}
