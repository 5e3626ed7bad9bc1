import createHttpError from 'http-errors';
import { z } from 'zod';
import { dayOf } from '../../../domain/calendar';
import { parsePeriod, periodContaining, type Period } from '../../../domain/periods';
import { CONTENT_TOP, contentWorkbook } from '../../../services/content-report';
import { canSeeCounty } from '../access';
import { periodKey } from '../schemas';
import { parse, type ApiDeps, type ApiRoute, type Handlers } from '../route';

export const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** The tables the CLI's `report …` commands write, by the kind of period each takes. */
const KINDS = {
  weekly: { title: '周统计表', periods: ['week'], example: '2026-W47' },
  quarterly: { title: '季度统计表', periods: ['quarter'], example: '2026Q3' },
  annual: { title: '年度评定', periods: ['year'], example: '2026' },
  content: { title: '转发内容', periods: ['week', 'month', 'quarter'], example: '2026-11' },
} as const satisfies Record<string, { title: string; periods: ReadonlyArray<Period['kind']>; example: string }>;
type ReportKind = keyof typeof KINDS;

export const reportQuery = z.object({
  period: periodKey
    .optional()
    .describe('统计期：周统计表 2026-W47，季度统计表 2026Q3，年度评定 2026，转发内容 周/月/季度（默认当前的周、季度、年、月）'),
  county: z.coerce.number().int().positive().optional().describe('旗县区（region.id）；不填：本人的旗县区，操作员为第一个旗县区'),
});

/** Reports: the .xlsx tables, downloaded. */
export const REPORT_ROUTES = {
  report: {
    method: 'get',
    path: '/reports/:kind',
    summary: '下载统计表（.xlsx）：weekly 周统计表 / quarterly 季度统计表 / annual 年度评定 / content 转发内容',
    query: reportQuery,
    status: 200,
    produces: XLSX,
  },
} as const satisfies Record<string, ApiRoute>;

export function reportHandlers(deps: ApiDeps): Handlers<typeof REPORT_ROUTES> {
  const reports = deps.services.reports;
  return {
    report: async (ctx, access) => {
      const kind = (ctx.params as { kind?: string }).kind ?? '';
      // Own keys only: `constructor`, `toString` or `__proto__` are no kind of report.
      if (!Object.hasOwn(KINDS, kind)) throw createHttpError(404, '没有这种统计表（weekly、quarterly、annual、content）');
      const spec = KINDS[kind as ReportKind];
      if (access.principal.kind === 'manager') throw createHttpError(403, 'e站管理员不能下载旗县区统计表');
      const q = parse(reportQuery, ctx.query);
      const today = dayOf(deps.clock.now());
      const period = q.period ? parsePeriod(q.period)! : periodContaining(spec.periods.length > 1 ? 'month' : spec.periods[0], today);
      if (!(spec.periods as ReadonlyArray<Period['kind']>).includes(period.kind))
        throw createHttpError(400, `${spec.title}的统计期格式不对，例如 ${spec.example}`);
      const rows = await deps.services.regions.counties(q.county ?? access.principal.countyId ?? undefined);
      const county = rows.find((c) => canSeeCounty(access, c.id));
      if (!county) throw createHttpError(404, q.county === undefined ? '还没有旗县区' : '没有这个旗县区，或无权查看');
      const buffer =
        kind === 'annual'
          ? (await reports.annualWorkbook(county, period, today)).buffer
          : kind === 'content'
            ? (await contentWorkbook(deps.services.statistics, county, period, today, CONTENT_TOP)).buffer
            : (await reports.statisticsWorkbook(county, period, today, spec.title)).buffer;
      // RFC 6266 / 5987: an ASCII fallback and the Chinese name in filename*.
      ctx.attachment(`${county.name}-${period.key}-${spec.title}.xlsx`, { fallback: `kepubot-${kind}-${period.key}.xlsx` });
      ctx.type = XLSX;
      ctx.body = buffer;
      return undefined;
    },
  };
}
