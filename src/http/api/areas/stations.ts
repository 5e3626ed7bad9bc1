import createHttpError from 'http-errors';
import { z } from 'zod';
import { STATION_TYPES } from '../../../db/entities';
import { dayOf } from '../../../domain/calendar';
import { STATION_STATUSES, STATION_STATUS_LABEL, stationStatusLabel } from '../../../domain/county-policy';
import { figuresOf, figuresOnly, sumAggregates } from '../../../stats/catalogue';
import { parsePeriod, periodContaining, periodLabel, type Period } from '../../../domain/periods';
import { STATION_TYPE_LABEL } from '../../../services/report.service';
import { STATION_TYPE_HINT, stationTypeOf, type StationWithCounty } from '../../../services/station.service';
import { canManageCounty, canSeeCounty, canSeeStation, type Access } from '../access';
import { dayKey, figures, instant, periodBody, periodKey, range } from '../schemas';
import { bodyOf, idParam, parse, type ApiDeps, type ApiRoute, type Handlers } from '../route';
import { activityBody, activityOf } from './activities';
import { groupBody, groupOut } from './groups';

/** Only the figures' own fields, the catalogue's (a station's aggregates also carry its name and status). */
export { figuresOnly } from '../../../stats/catalogue';

/** A station's status (domain/county-policy.ts STATION_STATUSES), as answers give it and updates take it. */
const stationStatus = z
  .enum(STATION_STATUSES, { error: `status 应为 ${STATION_STATUSES.join(' 或 ')}` })
  .describe(STATION_STATUSES.map((x) => `${x} ${STATION_STATUS_LABEL[x]}`).join('；'));
const stationStatusLabelField = z.string().describe(`状态中文名（${Object.values(STATION_STATUS_LABEL).join('、')}）`);

export const stationsQuery = z.object({
  period: periodKey.optional().describe('统计期（默认本月）'),
  county: z.coerce.number().int().positive().optional().describe('只看这个旗县区（region.id）'),
});

export const stationsBody = z.object({
  period: periodBody,
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
          status: stationStatus,
          statusLabel: stationStatusLabelField,
          type: z.string(),
          start: dayKey.nullable().describe('统计开始日'),
          figures,
        }),
      ),
    }),
  ),
});

export const countiesBody = z.array(
  z.object({
    id: z.number().int(),
    name: z.string(),
    prefecture: z.string().nullable().describe('所属盟市'),
    stations: z.number().int().describe('可见的e站数'),
  }),
);

/** A station as the console shows it. */
export const stationBody = z.object({
  id: z.number().int(),
  countyId: z.number().int(),
  countyName: z.string(),
  name: z.string(),
  type: z.enum(STATION_TYPES).describe('类型代码（与 kepubot station add --type 相同）'),
  typeLabel: z.string().describe('类型中文名'),
  status: stationStatus,
  statusLabel: stationStatusLabelField,
  countingFrom: dayKey.nullable().describe('统计开始日（未设置时为第一个群绑定的日期）'),
  createdAt: instant,
});

/** A day as requests give it. */
const day = z.iso.date({ error: '日期格式应为 YYYY-MM-DD，例如 2026-11-27' }).describe('日期（YYYY-MM-DD）');

/** A station type: its code (community) or Chinese name (社区). */
const stationType = z
  .string({ error: STATION_TYPE_HINT })
  .transform((v, ctx) => {
    const t = stationTypeOf(v);
    if (t) return t;
    ctx.addIssue({ code: 'custom', message: STATION_TYPE_HINT });
    return z.NEVER;
  })
  .describe(`e站类型：${STATION_TYPES.map((t) => `${t}（${STATION_TYPE_LABEL[t]}）`).join('、')}，代码或中文名均可`);

const stationNameField = z
  .string({ error: 'e站名称应为文字' })
  .trim()
  .min(1, '请填写e站名称')
  .max(128, 'e站名称太长（最多 128 个字）')
  .describe('e站名称（同一旗县区内不重名）');

export const createStationBody = z.object({
  countyId: z.number({ error: 'countyId 应为旗县区编号（整数）' }).int('countyId 应为整数').positive().describe('所属旗县区'),
  name: stationNameField,
  type: stationType.optional(),
  countingFrom: day.optional().describe('统计开始日（默认为第一个群绑定的日期）'),
});

export const updateStationBody = z.object({
  name: stationNameField.optional(),
  type: stationType.optional(),
  countingFrom: day.nullable().optional().describe('统计开始日；null 恢复为第一个群绑定的日期'),
  status: stationStatus.optional().describe('disabled 停用；active 重新启用'),
});

export const stationQuery = z.object({ period: periodKey.optional().describe('统计期（默认本月）') });

export const stationDetailBody = z.object({
  station: stationBody,
  period: periodBody,
  start: dayKey.nullable().describe('实际的统计开始日（设定的日期，未设定时为第一个群绑定的日期；还没开始统计时为空）'),
  figures: figures.describe('统计期内的指标（与统计表同一计算）'),
  groups: z.array(groupBody),
  informants: z.object({
    total: z.number().int().describe('名册中的全部条目（含已停用）'),
    active: z.number().int().describe('在用的信息员'),
    unconfirmed: z.number().int().describe('转发了但未绑定名册的成员'),
  }),
  activities: z.array(activityBody).describe('统计期内的活动'),
  resources: z
    .array(z.object({ id: z.number().int(), date: dayKey, kind: z.enum(['bulletin', 'screen']), text: z.string() }))
    .describe('统计期内的宣传栏更换、大屏播放'),
});

/** A station as the API answers it. */
export const stationOut = (s: StationWithCounty): z.input<typeof stationBody> => ({
  id: s.id,
  countyId: s.countyId,
  countyName: s.countyName,
  name: s.name,
  type: s.type,
  typeLabel: STATION_TYPE_LABEL[s.type] ?? s.type,
  status: s.status,
  statusLabel: stationStatusLabel(s.status),
  countingFrom: s.countingFrom,
  createdAt: s.createdAt.toISOString(),
});

const periodOut = (p: Period) => ({ key: p.key, label: periodLabel(p), from: p.from, to: p.to });

/** Stations: counties, the list with their figures, one station's page; add and change (operator and county staff). */
export const STATION_ROUTES = {
  stationTypes: {
    method: 'get',
    path: '/station-types',
    summary: 'e站类型：代码与中文名',
    status: 200,
    response: z.array(z.object({ value: z.enum(STATION_TYPES), label: z.string() })),
  },
  counties: {
    method: 'get',
    path: '/counties',
    summary: '可见的旗县区（及所属盟市、e站数）',
    status: 200,
    response: countiesBody,
  },
  createStation: {
    method: 'post',
    path: '/stations',
    summary: '添加e站（同一旗县区内不重名）',
    body: createStationBody,
    status: 201,
    response: stationBody,
  },
  station: {
    method: 'get',
    path: '/stations/:id',
    summary: '一个e站：统计期内的指标、群、信息员人数、活动和资源使用记录',
    query: stationQuery,
    status: 200,
    response: stationDetailBody,
  },
  updateStation: {
    method: 'put',
    path: '/stations/:id',
    summary: '修改e站：名称、类型、统计开始日，停用或启用',
    body: updateStationBody,
    status: 200,
    response: stationBody,
  },
  stations: {
    method: 'get',
    path: '/stations',
    summary: 'e站列表及统计期内的指标（按旗县区）',
    query: stationsQuery,
    status: 200,
    response: stationsBody,
  },
} as const satisfies Record<string, ApiRoute>;

/** The station if the person may see it, or 404. */
export async function visibleStation(deps: ApiDeps, access: Access, id: number): Promise<StationWithCounty> {
  const station = await deps.services.stations.get(id);
  if (!station || !canSeeStation(access, station)) throw createHttpError(404, '没有这个e站，或无权查看');
  return station;
}

export function stationHandlers(deps: ApiDeps): Handlers<typeof STATION_ROUTES> {
  const stations = deps.services.stations;
  return {
    stationTypes: async () => STATION_TYPES.map((value) => ({ value, label: STATION_TYPE_LABEL[value] ?? value })),
    counties: async (_ctx, access) => {
      const counties = (await stations.counties()).filter((c) => canSeeCounty(access, c.id));
      // A station manager sees one station.
      return access.stations === 'all' ? counties : counties.map((c) => ({ ...c, stations: 1 }));
    },
    createStation: async (ctx, access) => {
      const body = parse(createStationBody, bodyOf(ctx));
      if (!canSeeCounty(access, body.countyId)) throw createHttpError(404, '没有这个旗县区，或无权查看');
      if (!canManageCounty(access, body.countyId)) throw createHttpError(403, 'e站管理员不能添加e站，请联系旗县区工作人员');
      return stationOut(await stations.create(body.countyId, body));
    },
    station: async (ctx, access) => {
      const station = await visibleStation(deps, access, idParam(ctx));
      const q = parse(stationQuery, ctx.query);
      const today = dayOf(deps.clock.now());
      const period = q.period ? parsePeriod(q.period)! : periodContaining('month', today);
      const [aggregates, groups, informants, activities, resources] = await Promise.all([
        deps.services.statistics.stationAggregates([station.id], period, today),
        deps.services.groups.rows({ counties: null, stations: [station.id], unbound: false }),
        deps.services.informants.counts(station.id),
        deps.services.activities.list(station.id, period),
        stations.resourceLogs(station.id, period),
      ]);
      return {
        station: stationOut(station),
        period: periodOut(period),
        start: aggregates.get(station.id)?.start ?? null,
        figures: figuresOnly(figuresOf(aggregates.get(station.id) ?? sumAggregates([]))),
        groups: groups.map(groupOut),
        informants,
        activities: activities.map(activityOf),
        resources: resources.map((r) => ({
          id: r.id,
          date: r.date,
          kind: r.kind,
          text: r.kind === 'bulletin' ? `宣传栏更换：${r.topic ?? ''}` : `大屏播放 ${Number(r.hours ?? 0)} 小时`,
        })),
      };
    },
    updateStation: async (ctx, access) => {
      const station = await visibleStation(deps, access, idParam(ctx));
      if (!canManageCounty(access, station.countyId)) throw createHttpError(403, 'e站管理员不能修改e站设置，请联系旗县区工作人员');
      const change = parse(updateStationBody, bodyOf(ctx));
      if (Object.values(change).every((v) => v === undefined)) throw createHttpError(400, '请至少修改一项：名称、类型、统计开始日或状态');
      return stationOut(await stations.update(station.id, change));
    },
    stations: async (ctx, access) => {
      const q = parse(stationsQuery, ctx.query);
      const today = dayOf(deps.clock.now());
      const period = q.period ? parsePeriod(q.period)! : periodContaining('month', today);
      const counties = (await deps.services.regions.counties(q.county)).filter((c) => canSeeCounty(access, c.id));
      if (q.county !== undefined && counties.length === 0) throw createHttpError(404, '没有这个旗县区，或无权查看');
      const out = [];
      for (const county of counties) {
        const table = await deps.services.statistics.stationTable(county.id, period, today);
        const stations = table.rows.filter((r) => access.stations === 'all' || access.stations.has(r.stationId));
        out.push({
          id: county.id,
          name: county.name,
          counted: table.counted,
          // A manager sees their station only: the "total" is theirs, never the county's.
          total: figuresOnly(access.stations === 'all' ? table.total : figuresOf(sumAggregates(stations.map((r) => r.figures)))),
          stations: stations.map((r) => ({
            id: r.stationId,
            name: r.name,
            status: r.status,
            statusLabel: stationStatusLabel(r.status),
            type: r.type,
            start: r.start,
            figures: figuresOnly(r.figures),
          })),
        });
      }
      return { period: periodOut(period), counties: out };
    },
  };
}
