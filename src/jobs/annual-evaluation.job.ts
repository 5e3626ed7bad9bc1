import { dayOf } from '../domain/calendar';
import { countyName, toCountyStaff } from './county-recipients';
import type { JobDefinition } from './job';
import { scopeId } from './job';

/** Each December: stations and informants to praise, bottom stations to rectify (.xlsx). */
export const annualEvaluation: JobDefinition = {
  name: 'annual-evaluation',
  async scopes(_ctx, countyIds) {
    return countyIds.map((id) => `county:${id}`);
  },
  async plan(ctx, scope, period, now) {
    const countyId = Number(scopeId(scope).id);
    const name = await countyName(ctx, countyId);
    const today = dayOf(now) < period.to ? dayOf(now) : period.to;
    const r = await ctx.services.reports.annualWorkbook({ id: countyId, name }, period, today);
    if (r.table.rows.length === 0) return [];
    const praise = r.table.rows.slice(0, 3).map((x) => x.name);
    const rectify = r.table.rows.slice(-3).reverse().map((x) => x.name);
    const text = [
      `## ${name} ${period.key}年度科普e站评定（截至 ${today}）`,
      `拟表彰e站：${praise.join('、')}`,
      `拟表彰信息员：${r.informants.slice(0, 10).map((x) => `${x.name}（${x.station}）`).join('、') || '无'}`,
      `排名靠后、拟整改的e站：${rectify.join('、')}`,
      '完整名单见附件。',
    ].join('\n');
    return toCountyStaff(ctx, countyId, { text, markdown: true, file: { name: `${name}-${period.key}-年度评定.xlsx`, base64: r.buffer.toString('base64') } });
  },
};
