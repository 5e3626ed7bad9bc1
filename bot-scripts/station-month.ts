// Description:
//   The station's month against its targets (src/domain/figures.ts TARGETS and the daily quota):
//   informants, active rate, effective shares per informant-day, quota-met rate, activities and
//   participants, resource use.
//
// Commands:
//   本月 [e站名称] - 本站本月至今的各项指标与要求对照
//   上月 [e站名称] - 本站上个月的各项指标
//
// Audience:
//   manager, staff

import type { Robot } from '../src/bot/robot';
import { PRIVATE_CHANNELS, stationAccess } from '../src/bot/station-access';
import { chineseDayLabel, dayOf, monthOf, previousMonthOf } from '../src/domain/calendar';
import { TARGETS } from '../src/domain/figures';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const mark = (ok: boolean) => (ok ? '✓' : '✗');

export default function stationMonth(robot: Robot): void {
  robot.respond(/^(本月|上月)(?:\s+(\S+))?$/, { id: 'station.month', channels: [...PRIVATE_CHANNELS] }, async (ctx) => {
    const access = await stationAccess(ctx, 'read', ctx.match?.[2]);
    if (!access.ok) return access.outcome;
    const today = dayOf(ctx.clock.now());
    const month = ctx.match?.[1] === '上月' ? previousMonthOf(today) : monthOf(today);
    const m = await ctx.services.statistics.stationMonth(access.stationId, month, today);
    const label = `${Number(month.from.slice(0, 4))}年${Number(month.from.slice(5, 7))}月`;
    const soFar = m.counted.to < m.month.to ? `（截至${Number(m.counted.to.slice(8, 10))}日）` : '';
    await ctx.reply(
      [
        `${m.stationName} ${label}${soFar}`,
        m.firstDay
          ? `统计 ${m.days} 天（自${chineseDayLabel(m.firstDay)}起），信息员人天 ${m.informantDays}`
          : '本月尚未开始统计（本站还没有绑定群或设定统计开始日）',
        `${mark(m.informants >= TARGETS.informants)} 信息员 ${m.informants} 人（要求 ${TARGETS.informants} 人）`,
        `活跃信息员 ${m.activeInformants} 人，活跃率 ${pct(m.activeRate)}`,
        `${mark(m.perInformantDay >= m.quota)} 人均每天有效转发 ${m.perInformantDay.toFixed(2)} 条（要求 ${m.quota} 条），共 ${m.effectiveShares} 条`,
        `达标率 ${pct(m.quotaMetRate)}（每天 ${m.quota} 条及以上的人天占比）`,
        `${mark(m.activitiesOf50 >= TARGETS.activitiesPerMonth)} 活动 ${m.activities} 次，参加 ${m.participants} 人次；${TARGETS.participantsPerActivity} 人以上的 ${m.activitiesOf50} 次（要求每月至少 ${TARGETS.activitiesPerMonth} 次、每次 ${TARGETS.participantsPerActivity} 人以上）`,
        `宣传栏更换 ${m.bulletinChanges} 次，大屏播放 ${m.screenHours} 小时`,
      ].join('\n'),
    );
    return { stationId: access.stationId };
  });
}
