import type { DataSource } from 'typeorm';
import { daysBefore, monthOf, type DayKey, type DayRange } from '../domain/calendar';
import { TARGETS, figuresOf, sumAggregates, type Figures } from '../domain/figures';
import { periodBefore, periodContaining } from '../domain/periods';
import { inCountiesOf } from './county-scope';
import type { StationRow, StatisticsService } from './statistics.service';

/** Days of the daily series (up to today). */
export const OVERVIEW_DAYS = 90;
/** Weeks of the weekly series (the current week last). */
export const OVERVIEW_WEEKS = 13;
/** A bound group with no share for this many days (today included) is listed as silent. */
export const SILENT_DAYS = 3;

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
  weekly: Array<{ week: string; from: DayKey; to: DayKey; activeRate: number; perInformantDay: number }>;
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
 * from StatisticsService over the same summaries as the tables (the period, the current month and
 * the weekly series in one aggregate call, the daily series from station_day), plus what needs
 * attention. A handful of queries, whatever the number of days and stations.
 */
export class OverviewService {
  constructor(
    private readonly ds: DataSource,
    private readonly statistics: StatisticsService,
    private readonly defaultQuota: number,
  ) {}

  async overview(
    scope: { countyId: number; stationId?: number },
    period: DayRange,
    today: DayKey,
    bot: BotState | null,
    now: Date,
  ): Promise<Overview> {
    const ids = scope.stationId !== undefined ? [scope.stationId] : await this.statistics.stationIds('county', scope.countyId);
    const month = monthOf(today);
    const weeks = Array.from({ length: OVERVIEW_WEEKS }, (_, i) =>
      i === OVERVIEW_WEEKS - 1 ? periodContaining('week', today) : periodBefore('week', today, OVERVIEW_WEEKS - 1 - i),
    );
    // Once, before the parallel reads: a refresh already running elsewhere would let them read stale summaries.
    await this.statistics.summaries.refresh();
    const [aggregates, daily, quota, groups, unconfirmed] = await Promise.all([
      this.statistics.stationAggregatesOver(ids, [period, month, ...weeks], today),
      this.statistics.daily(ids, { from: daysBefore(today, OVERVIEW_DAYS - 1), to: today }, today),
      this.quota(scope.countyId),
      this.silentGroups(ids, today, now),
      this.unconfirmedCounts(ids),
    ]);
    const [inPeriod, inMonth, ...inWeeks] = aggregates;
    const table = this.statistics.tableOf(inPeriod, period, today);
    const weekly = weeks.map((w, i) => {
      const f = figuresOf(sumAggregates([...inWeeks[i].values()]));
      return { week: w.key, from: w.from, to: w.to, activeRate: f.activeRate, perInformantDay: f.perInformantDay };
    });
    return {
      targets: {
        informantsPerStation: TARGETS.informants,
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
        ...noActivity(inMonth, table.rows),
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
          .filter((r) => r.status === 'active' && r.figures.informantDays > 0 && r.figures.perInformantDay < quota)
          .map((r) => ({
            kind: 'below-quota' as const,
            text: `${r.name}人均每天有效转发 ${r.figures.perInformantDay.toFixed(2)} 条，低于 ${quota} 条`,
            stationId: r.stationId,
            groupId: null,
          })),
      ],
    };
  }

  /** The county's daily quota. */
  private async quota(countyId: number): Promise<number> {
    const rows: Array<{ q: number | null }> = await this.ds.query(`SELECT daily_quota AS q FROM region WHERE id = $1`, [countyId]);
    return rows[0]?.q ?? this.defaultQuota;
  }

  /**
   * Groups bound to the stations (for SILENT_DAYS days at least) from which no share was counted
   * in the last SILENT_DAYS days; those where nobody said anything at all are told apart.
   */
  private async silentGroups(stationIds: number[], today: DayKey, now: Date): Promise<Attention[]> {
    const since = daysBefore(today, SILENT_DAYS - 1);
    // Per group: no Kepu China share counted from it in the last SILENT_DAYS days (its station's
    // shares by day, narrowed to the room), and whether anything at all was said there (the
    // channel keeps last_message_at, at most a minute behind).
    const rows: Array<{ id: number; topic: string; station_id: number; station: string; quiet: boolean }> = await this.ds.query(
      `SELECT g.id, g.topic, g.station_id, s.name AS station,
              COALESCE(g.last_message_at, g.bound_at) < $4::timestamptz - make_interval(days => $5) AS quiet
       FROM wechat_group g JOIN station s ON s.id = g.station_id
       WHERE g.station_id = ANY($1) AND s.status = 'active' AND g.bound_at <= $4::timestamptz - make_interval(days => $5)
         AND NOT EXISTS (SELECT 1 FROM share_event e
                         WHERE e.station_id = g.station_id AND e.day BETWEEN $2 AND $3 AND e.room_id = g.room_id)
       ORDER BY s.name, g.id`,
      [stationIds, since, today, now, SILENT_DAYS],
    );
    return rows.map((r) => ({
      kind: 'silent-group' as const,
      text: r.quiet
        ? `群“${r.topic || '（无群名）'}”（${r.station}）已 ${SILENT_DAYS} 天没有任何消息，请确认机器人仍在群里`
        : `群“${r.topic || '（无群名）'}”（${r.station}）已 ${SILENT_DAYS} 天没有科普转发`,
      stationId: r.station_id,
      groupId: r.id,
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

/** Active stations without an activity this month. */
function noActivity(month: Map<number, { activities: number }>, rows: StationRow[]): Attention[] {
  return rows
    .filter((r) => r.status === 'active' && (month.get(r.stationId)?.activities ?? 0) === 0)
    .map((r) => ({ kind: 'no-activity' as const, text: `${r.name}本月还没有登记活动`, stationId: r.stationId, groupId: null }));
}
