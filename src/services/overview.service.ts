import type { DataSource } from 'typeorm';
import { daysBefore, type DayKey, type DayRange } from '../domain/calendar';
import { TARGETS, figuresOf, sumAggregates, type Figures } from '../domain/figures';
import { SILENT_DAYS, activityTarget, inService } from '../domain/county-policy';
import { periodBefore, periodContaining, periodLabel } from '../domain/periods';
import type { CountyPolicyService } from './county-policy.service';
import { inCountiesOf } from './county-scope';
import type { StationRow, StatisticsService } from './statistics.service';

/** Days of the daily series (up to today). */
export const OVERVIEW_DAYS = 90;
/** Weeks of the weekly series (the current week last). */
export const OVERVIEW_WEEKS = 13;
/** A bound group with no share for this many days (today included) is listed as silent (domain/county-policy.ts). */
export { SILENT_DAYS };

export type AttentionKind = 'no-activity' | 'silent-group' | 'unconfirmed' | 'bot-offline' | 'below-quota';

/** Something on the overview that needs someone's attention, in Chinese. */
export interface Attention {
  kind: AttentionKind;
  text: string;
  stationId: number | null;
  groupId: number | null;
}

export interface OverviewTargets {
  informantsPerStation: number;
  /** The stations' informant target: informantsPerStation × stations. */
  informants: number;
  /** The period's activity target: activitiesPerMonth × stations × calendar months counted (as the xlsx's ✓/✗). */
  activities: number;
  /** The county's daily quota (DAILY_SHARE_QUOTA unless the county set its own). */
  sharesPerInformantDay: number;
  activitiesPerMonth: number;
  participantsPerActivity: number;
}

export interface Overview {
  targets: OverviewTargets;
  /** The scope's figures over the period (the county's, or a manager's station's). */
  figures: Figures;
  stations: number;
  daily: Array<{ day: DayKey; effectiveShares: number; activeInformants: number }>;
  weekly: Array<{ week: string; label: string; from: DayKey; to: DayKey; activeRate: number; perInformantDay: number }>;
  ranking: Array<{ rank: number; stationId: number; name: string; type: string; figures: Figures }>;
  attention: Attention[];
}

/** The WeChat account's state as the overview needs it (the channel's status, without the QR code). */
export interface BotState {
  loggedIn: boolean;
  connected: boolean;
  reason: string | null;
}

/**
 * The console's overview of a county (or of one station for its manager): every figure comes
 * from StatisticsService over the same summaries as the tables (the period and
 * the weekly series in one aggregate call, the daily series from station_day), plus what needs
 * attention. A handful of queries, whatever the number of days and stations.
 */
export class OverviewService {
  constructor(
    private readonly ds: DataSource,
    private readonly statistics: StatisticsService,
    private readonly policy: CountyPolicyService,
  ) {}

  async overview(
    scope: { countyId: number; stationId?: number },
    period: DayRange,
    today: DayKey,
    bot: BotState | null,
    now: Date,
  ): Promise<Overview> {
    const ids = scope.stationId !== undefined ? [scope.stationId] : await this.statistics.stationIds('county', scope.countyId);
    const weeks = Array.from({ length: OVERVIEW_WEEKS }, (_, i) =>
      i === OVERVIEW_WEEKS - 1 ? periodContaining('week', today) : periodBefore('week', today, OVERVIEW_WEEKS - 1 - i),
    );
    // Once, before the parallel reads: a refresh already running elsewhere would let them read stale summaries.
    await this.statistics.summaries.refresh();
    const [aggregates, daily, quota, groups, unconfirmed, withoutActivity] = await Promise.all([
      this.statistics.stationAggregatesOver(ids, [period, ...weeks], today),
      this.statistics.daily(ids, { from: daysBefore(today, OVERVIEW_DAYS - 1), to: today }, today),
      this.policy.quotaOfCounty(scope.countyId),
      this.silentGroups(ids, today, now),
      this.unconfirmedCounts(ids),
      this.policy.withoutActivityThisMonth(ids, today),
    ]);
    const [inPeriod, ...inWeeks] = aggregates;
    const table = this.statistics.tableOf(inPeriod, period, today);
    const weekly = weeks.map((w, i) => {
      const f = figuresOf(sumAggregates([...inWeeks[i].values()]));
      return { week: w.key, label: periodLabel(w), from: w.from, to: w.to, activeRate: f.activeRate, perInformantDay: f.perInformantDay };
    });
    return {
      targets: {
        informantsPerStation: TARGETS.informants,
        informants: TARGETS.informants * ids.length,
        activities: activityTarget(ids.length, table.total.firstDay, table.total.days),
        sharesPerInformantDay: quota,
        activitiesPerMonth: TARGETS.activitiesPerMonth,
        participantsPerActivity: TARGETS.participantsPerActivity,
      },
      figures: table.total,
      stations: ids.length,
      daily,
      weekly,
      ranking: table.rows.map((r, i) => ({ rank: i + 1, stationId: r.stationId, name: r.name, type: r.type, figures: r.figures })),
      attention: [
        ...(bot && !(bot.connected && bot.loggedIn)
          ? [{ kind: 'bot-offline' as const, text: `机器人微信不能工作：${bot.reason ?? '未登录'}`, stationId: null, groupId: null }]
          : []),
        ...noActivity(withoutActivity, table.rows),
        ...groups,
        ...unconfirmed.flatMap(({ stationId, name, members }) =>
          members > 0
            ? [
                {
                  kind: 'unconfirmed' as const,
                  text: `${name}有 ${members} 位群成员转发了科普内容但不在名册上，请确认`,
                  stationId,
                  groupId: null,
                },
              ]
            : [],
        ),
        ...table.rows
          .filter((r) => inService(r.status) && r.figures.informantDays > 0 && r.figures.perInformantDay < quota)
          .map((r) => ({
            kind: 'below-quota' as const,
            text: `${r.name}人均每天有效转发 ${r.figures.perInformantDay.toFixed(2)} 条，低于 ${quota} 条`,
            stationId: r.stationId,
            groupId: null,
          })),
      ],
    };
  }

  /** The stations' silent groups (CountyPolicyService.groupSilence); those where nobody said anything at all are told apart. */
  private async silentGroups(stationIds: number[], today: DayKey, now: Date): Promise<Attention[]> {
    return (await this.policy.groupSilence({ stationIds }, today, now))
      .filter((g) => g.silent)
      .map((g) => ({
        kind: 'silent-group' as const,
        text: g.quiet
          ? `群“${g.topic || '（无群名）'}”（${g.stationName}）已 ${SILENT_DAYS} 天没有任何消息，请确认机器人仍在群里`
          : `群“${g.topic || '（无群名）'}”（${g.stationName}）已 ${SILENT_DAYS} 天没有科普转发`,
        stationId: g.stationId,
        groupId: g.groupId,
      }));
  }

  /** Members of each station's groups who shared but are not on the roster (informant.service unconfirmed). */
  private async unconfirmedCounts(stationIds: number[]): Promise<Array<{ stationId: number; name: string; members: number }>> {
    const rows: Array<{ station_id: number; name: string; members: string }> = await this.ds.query(
      `SELECT e.station_id, s.name, count(DISTINCT e.talker_id) AS members FROM share_event e JOIN station s ON s.id = e.station_id
       WHERE e.station_id = ANY($1) AND ${inCountiesOf('e', '$1')} AND e.informant_id IS NULL AND s.status = 'active' GROUP BY e.station_id, s.name ORDER BY s.name`,
      [stationIds],
    );
    return rows.map((r) => ({ stationId: r.station_id, name: r.name, members: Number(r.members) }));
  }
}

/** The stations without an activity this month (CountyPolicyService.withoutActivityThisMonth), in the ranking's order. */
function noActivity(without: number[], rows: StationRow[]): Attention[] {
  const ids = new Set(without);
  return rows
    .filter((r) => ids.has(r.stationId))
    .map((r) => ({ kind: 'no-activity' as const, text: `${r.name}本月还没有登记活动`, stationId: r.stationId, groupId: null }));
}
