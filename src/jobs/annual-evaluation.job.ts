import { dayOf } from '../domain/calendar';
import { EVALUATION_MIN_STATIONS } from '../services/report.service';
import { countyName, toCountyStaff } from './county-recipients';
import type { JobDefinition } from './job';
import { countyIdOf, countyScopes } from './job';

/** Each December: stations and informants to praise, bottom stations to rectify (.xlsx); the two station lists never overlap. */
export const annualEvaluation: JobDefinition = {
  name: 'annual-evaluation',
  scopes: countyScopes,
  async plan(ctx, scope, period, now) {
    const countyId = countyIdOf(scope);
    const name = await countyName(ctx, countyId);
    const today = dayOf(now) < period.to ? dayOf(now) : period.to;
    const r = await ctx.services.reports.annualWorkbook({ id: countyId, name }, period, today);
    if (r.table.rows.length === 0) return [];
    const names = new Map(r.table.rows.map((x) => [x.stationId, x.name]));
    const rectify =
      r.rectify.length > 0
        ? r.rectify.map((id) => names.get(id)).join('、')
        : `无（全年统计的e站 ${r.wholeYear} 个，不足 ${EVALUATION_MIN_STATIONS} 个时不列整改名单）`;
    const text = [
      `## ${name} ${period.key}年度科普e站评定（截至 ${today}）`,
      `拟表彰e站：${r.praise.map((id) => names.get(id)).join('、') || '无'}`,
      `拟表彰信息员：${
        r.informants
          .slice(0, 10)
          .map((x) => `${x.name}（${x.station}）`)
          .join('、') || '无'
      }`,
      `排名靠后、拟整改的e站：${rectify}`,
      '完整名单见附件。',
    ].join('\n');
    return toCountyStaff(ctx, countyId, {
      text,
      markdown: true,
      file: { name: `${name}-${period.key}-年度评定.xlsx`, base64: r.buffer.toString('base64') },
    });
  },
};
