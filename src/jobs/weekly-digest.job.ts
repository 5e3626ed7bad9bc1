import { chineseDayLabel, dayOf, dayStart, daysAfter, upTo, type DayKey } from '../domain/calendar';
import { WEAK_COVERAGE } from '../domain/coverage';
import { bottomStationCount, percent, TARGETS } from '../domain/figures';
import { periodBefore, periodLabel, type Period } from '../domain/periods';
import { countyName, toCountyStaff } from './county-recipients';
import type { JobContext, JobDefinition } from './job';
import { contentTitle } from '../services/content-report';
import type { ContentRow } from '../services/statistics.service';
import { countyIdOf, countyScopes } from './job';

/** How many top informants and bottom stations the digest names. */
const TOP = 5;
const BOTTOM = 3;
/** How many of the week's most shared items the digest lists. */
const TOP_CONTENT = 5;

/** How many weakly covered groups the digest names. */
const WEAK_GROUPS = 5;

/**
 * The digest's coverage section: the share of the week (up to now) the county's bound groups had
 * at least one bot account listening, and the least covered groups under WEAK_COVERAGE.
 */
export async function coverageLines(ctx: JobContext, countyId: number, period: Period, now: Date): Promise<string[]> {
  const groups = await ctx.services.coverage.measuredGroups({ boundOnly: true, countyId });
  if (groups.length === 0) return [];
  const end = Math.min(now.getTime(), dayStart(daysAfter(period.to, 1)).getTime());
  const ratios = await ctx.services.coverage.ratios(groups, dayStart(period.from), new Date(end));
  const measured = groups.flatMap((g) => {
    const r = ratios.get(g.id);
    return r === null || r === undefined ? [] : [{ ...g, ratio: r }];
  });
  if (measured.length === 0) return [];
  const mean = measured.reduce((n, g) => n + g.ratio, 0) / measured.length;
  const weak = measured.filter((g) => g.ratio < WEAK_COVERAGE).sort((a, b) => a.ratio - b.ratio);
  const named = weak.slice(0, WEAK_GROUPS).map((g) => `${g.topic || '（无群名）'} ${percent(g.ratio)}`);
  return [
    `**群覆盖率**（有机器人微信号在听的时间占比）：${measured.length} 个群平均 ${percent(mean)}；` +
      (weak.length > 0
        ? `低于 ${percent(WEAK_COVERAGE)} 的 ${weak.length} 个群：${named.join('、')}${weak.length > named.length ? ' 等' : ''}（掉线时群里的转发无法统计，建议每个群拉进两个机器人微信号）`
        : `全部不低于 ${percent(WEAK_COVERAGE)}`),
  ];
}

const signed = (x: number, digits = 2) => `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`;

/** Monday-morning digest of last week for county staff (WeCom app markdown and/or group robot), with the week's .xlsx. */
export const weeklyDigest: JobDefinition = {
  name: 'weekly-digest',
  scopes: countyScopes,
  async prepare(ctx, scope, period, now) {
    // Items of the week seen only as a bare URL: their page titles, fetched before the plan reads them.
    const countyId = countyIdOf(scope);
    const content = await weekContent(ctx, countyId, period, clipToday(period, now)).catch(() => []);
    await ctx.services.titles.fill(content, now);
  },
  async plan(ctx, scope, period, now) {
    const countyId = countyIdOf(scope);
    const name = await countyName(ctx, countyId);
    const today = clipToday(period, now);
    const { buffer, table } = await ctx.services.reports.statisticsWorkbook({ id: countyId, name }, period, today, '周统计表');
    if (table.rows.length === 0) return [];
    const before = await ctx.services.statistics.stationTable(countyId, periodBefore('week', period.from), today);
    const prev = new Map(before.rows.map((r) => [r.stationId, r.figures]));
    // This month (the month of the week's last day) up to the cut-off: the stations in service without an activity.
    const without = new Set(
      await ctx.services.policy.withoutActivityThisMonth(
        table.rows.map((r) => r.stationId),
        upTo(period, today).to,
      ),
    );
    const top = await ctx.services.statistics.topInformants(
      table.rows.map((r) => r.stationId),
      period,
      TOP,
    );
    const t = table.total;
    const quota = await ctx.services.policy.quotaOfCounty(countyId);
    const activityTarget = `要求每月 ${TARGETS.activitiesPerMonth} 次、${TARGETS.participantsPerActivity} 人`;
    // Nothing counted (no station counting yet, or not one effective share): no ranking to speak of.
    const counted = t.firstDay !== null && t.effectiveShares > 0;
    const lines = [
      `## ${name} 科普e站周报`,
      `${periodLabel(period)}`,
      t.firstDay
        ? `统计 ${t.days} 天（自${chineseDayLabel(t.firstDay)}起，截至${chineseDayLabel(today)}），信息员人天 ${t.informantDays}`
        : '本周尚无统计天数（还没有e站开始统计）',
      ...(t.firstDay && t.effectiveShares === 0 ? ['本周没有统计到有效转发（各群没有信息员转发科普中国内容）'] : []),
      `> 信息员 ${t.informants} 人，活跃率 ${percent(t.activeRate)}，人均每天有效转发 ${t.perInformantDay.toFixed(2)} 条（要求 ${quota} 条，较前一周 ${signed(t.perInformantDay - before.total.perInformantDay)}），达标率 ${percent(t.quotaMetRate)}，活动 ${t.activities} 次 / ${t.participants} 人次`,
      '',
      '**各站情况**',
      ...table.rows.map((r, i) => {
        const f = r.figures;
        const p = prev.get(r.stationId);
        const started = f.firstDay && f.firstDay !== t.firstDay ? `（${chineseDayLabel(f.firstDay)}起统计 ${f.days} 天）` : '';
        return `${i + 1}. ${r.name}${started}：信息员 ${f.informants}，活跃率 ${percent(f.activeRate)}，人均 ${f.perInformantDay.toFixed(2)} 条${p ? `（${signed(f.perInformantDay - p.perInformantDay)}）` : ''}，达标率 ${percent(f.quotaMetRate)}，活动 ${f.activities} 次 ${f.participants} 人次（${activityTarget}）`;
      }),
    ];
    const noActivity = table.rows.filter((r) => without.has(r.stationId)).map((r) => r.name);
    lines.push('', `**本月尚无活动的e站**：${noActivity.length > 0 ? noActivity.join('、') : '无'}`);
    lines.push(
      '',
      `**优秀信息员**：${top.length > 0 ? top.map((x) => `${x.name}（${x.station}，${x.effective} 条）`).join('、') : '本周无有效转发'}`,
    );
    // The bottom of the ranking: only stations that counted this week, at most a third of them.
    const ranked = table.rows.filter((r) => r.figures.days > 0);
    const bottomCount = counted ? bottomStationCount(ranked.length, BOTTOM) : 0;
    if (bottomCount > 0) {
      const bottom = ranked.slice(-bottomCount).reverse();
      lines.push('', `**排名靠后的e站**：${bottom.map((r) => `${r.name}（人均 ${r.figures.perInformantDay.toFixed(2)} 条）`).join('、')}`);
    }
    // What spread: the week's most shared items (informants' shares in the county's groups).
    const content = await weekContent(ctx, countyId, period, today);
    const clip = (t: string) => (t.length > 40 ? `${t.slice(0, 39)}…` : t);
    lines.push('', `**转发最多的内容**：${content.length > 0 ? '' : '本周无'}`);
    content.forEach((c, i) =>
      lines.push(`${i + 1}. ${clip(contentTitle(c))}：${c.informants} 人转发到 ${c.groups} 个群，有效转发 ${c.effectiveShares} 条`),
    );
    lines.push('', ...(await coverageLines(ctx, countyId, period, now)));
    lines.push('', '详细数据见附件《周统计表》。');
    return toCountyStaff(ctx, countyId, {
      text: lines.join('\n'),
      markdown: true,
      file: { name: `${name}-${period.key}-周统计表.xlsx`, base64: buffer.toString('base64') },
    });
  },
};

/** The same clipping as every report: a week that contains today ends today. */
function clipToday(period: Period, now: Date): DayKey {
  return dayOf(now) < period.to ? dayOf(now) : period.to;
}

/** The week's most shared items of the county's groups. */
async function weekContent(ctx: JobContext, countyId: number, period: Period, today: DayKey): Promise<ContentRow[]> {
  const stationIds = await ctx.services.statistics.stationIds('county', countyId);
  return ctx.services.statistics.topContent(stationIds, period, today, TOP_CONTENT);
}
