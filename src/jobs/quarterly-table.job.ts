import { dayOf } from '../domain/calendar';
import { percent } from '../domain/figures';
import { periodLabel } from '../domain/periods';
import { countyName, toCountyStaff } from './county-recipients';
import type { JobDefinition } from './job';
import { countyIdOf, countyScopes } from './job';

/** After each quarter: the county's statistics table (.xlsx), to be reported before the 5th. */
export const quarterlyTable: JobDefinition = {
  name: 'quarterly-table',
  scopes: countyScopes,
  async plan(ctx, scope, period, now) {
    const countyId = countyIdOf(scope);
    const name = await countyName(ctx, countyId);
    // The same clipping as every report: a quarter that contains today ends today.
    const today = dayOf(now) < period.to ? dayOf(now) : period.to;
    const { buffer, table } = await ctx.services.reports.statisticsWorkbook({ id: countyId, name }, period, today, '季度统计表');
    if (table.rows.length === 0) return [];
    const t = table.total;
    const text = [
      `## ${name} ${periodLabel(period)}科普e站统计表`,
      `共 ${table.rows.length} 个e站、信息员 ${t.informants} 人，统计 ${t.days} 天、信息员人天 ${t.informantDays}；人均每天有效转发 ${t.perInformantDay.toFixed(2)} 条，达标率 ${percent(t.quotaMetRate)}，活动 ${t.activities} 次 / ${t.participants} 人次。`,
      '请于本月 5 日前上报，统计表见附件。',
    ].join('\n');
    return toCountyStaff(ctx, countyId, {
      text,
      markdown: true,
      file: { name: `${name}-${period.key}-季度统计表.xlsx`, base64: buffer.toString('base64') },
    });
  },
};
