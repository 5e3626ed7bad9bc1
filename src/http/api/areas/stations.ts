import createHttpError from 'http-errors';
import { z } from 'zod';
import { dayOf } from '../../../domain/calendar';
import { parsePeriod, periodContaining, periodLabel } from '../../../domain/periods';
import { canSeeCounty } from '../access';
import { dayKey, figures, periodBody, periodKey, range } from '../schemas';
import { parse, type ApiDeps, type ApiRoute, type Handlers } from '../route';

const FIGURE_KEYS = Object.keys(figures.shape) as Array<keyof z.infer<typeof figures>>;

/** Only the figures' own fields (a station's aggregates also carry its name and status). */
export const figuresOnly = (f: z.infer<typeof figures>): z.infer<typeof figures> =>
  Object.fromEntries(FIGURE_KEYS.map((k) => [k, f[k]])) as z.infer<typeof figures>;

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
          status: z.string(),
          type: z.string(),
          start: dayKey.nullable().describe('统计开始日'),
          figures,
        }),
      ),
    }),
  ),
});

/** Stations: the list with their figures. */
export const STATION_ROUTES = {
  stations: {
    method: 'get',
    path: '/stations',
    summary: 'e站列表及统计期内的指标（按旗县区）',
    query: stationsQuery,
    status: 200,
    response: stationsBody,
  },
} as const satisfies Record<string, ApiRoute>;

export function stationHandlers(deps: ApiDeps): Handlers<typeof STATION_ROUTES> {
  return {
    stations: async (ctx, access) => {
      const q = parse(stationsQuery, ctx.query);
      const today = dayOf(deps.clock.now());
      const period = q.period ? parsePeriod(q.period)! : periodContaining('month', today);
      const rows: Array<{ id: number; name: string }> = await deps.ds.query(
        `SELECT id, name FROM region WHERE level = 'county' AND ($1::int IS NULL OR id = $1) ORDER BY name, id`,
        [q.county ?? null],
      );
      const counties = rows.filter((c) => canSeeCounty(access, c.id));
      if (q.county !== undefined && counties.length === 0) throw createHttpError(404, '没有这个旗县区，或无权查看');
      const out = [];
      for (const county of counties) {
        const table = await deps.services.statistics.stationTable(county.id, period, today);
        const stations = table.rows.filter((r) => access.stations === 'all' || access.stations.has(r.stationId));
        out.push({
          id: county.id,
          name: county.name,
          counted: table.counted,
          total: figuresOnly(table.total),
          stations: stations.map((r) => ({
            id: r.stationId,
            name: r.name,
            status: r.status,
            type: r.type,
            start: r.start,
            figures: figuresOnly(r.figures),
          })),
        });
      }
      return { period: { key: period.key, label: periodLabel(period), from: period.from, to: period.to }, counties: out };
    },
  };
}
