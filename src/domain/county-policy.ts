/**
 * A county's policy as pure rules (docs/统计口径.md): the daily quota, a station's counting start
 * and counted days, "no activity this month", the activity target of a period, silent groups and
 * the station statuses. src/services/county-policy.service.ts answers them from the database (and
 * holds the SQL fragments that say the same in queries); nothing else states them.
 */
import { daysAfter, daysBefore, daysIn, monthOf, upTo, type DayKey, type DayRange } from './calendar';
import { TARGETS } from './figures';

/** A station's statuses, from the database (CHECK chk_station_status) to the page. */
export const STATION_STATUSES = ['active', 'disabled'] as const;
export type StationStatus = (typeof STATION_STATUSES)[number];

/** The Chinese name of each station status (the xlsx 状态 column, the console). */
export const STATION_STATUS_LABEL: Record<StationStatus, string> = { active: '正常', disabled: '已停用' };

/** The label of a status as stored (an unknown value is shown as it is). */
export const stationStatusLabel = (s: string): string => STATION_STATUS_LABEL[s as StationStatus] ?? s;

/** Stations in service: they get reminders and appear in what needs attention. A disabled station keeps its past figures. */
export const STATIONS_IN_SERVICE: readonly StationStatus[] = ['active'];
export const inService = (s: string): boolean => (STATIONS_IN_SERVICE as readonly string[]).includes(s);

/** The daily quota: the county's own (region.daily_quota) when set, else the configured default (DAILY_SHARE_QUOTA). */
export function quotaOf(countyQuota: number | null | undefined, defaultQuota: number): number {
  return countyQuota ?? defaultQuota;
}

/** A station's first counted day (统计开始日): the day the county set, else the day its first group was bound; null: not counting. */
export function stationStart(countingFrom: DayKey | null, firstBound: DayKey | null): DayKey | null {
  return countingFrom ?? firstBound;
}

/**
 * The days of a range a station counts: from the later of the range's first day and the
 * station's start, to the earlier of the range's last day and today (统计截至日); null when none.
 */
export function countedRange(start: DayKey | null, range: DayRange, today: DayKey): DayRange | null {
  if (!start) return null;
  const end = upTo(range, today).to;
  const from = start > range.from ? start : range.from;
  return from <= end ? { from, to: end } : null;
}

/** 统计天数: how many days of the range the station counts. */
export const countedDays = (start: DayKey | null, range: DayRange, today: DayKey): number => {
  const c = countedRange(start, range, today);
  return c ? daysIn(c) : 0;
};

/** Calendar months touched by `days` counted days from `firstDay` (the activity and bulletin targets are per month). */
export function calendarMonths(firstDay: DayKey | null, days: number): number {
  if (!firstDay || days <= 0) return 0;
  const last = daysAfter(firstDay, days - 1);
  const [y1, m1] = firstDay.split('-').map(Number);
  const [y2, m2] = last.split('-').map(Number);
  return (y2 - y1) * 12 + (m2 - m1) + 1;
}

/**
 * The activities a period asks of `stations` stations whose counted days start on `firstDay`
 * for `days` days: TARGETS.activitiesPerMonth per station and calendar month touched (the xlsx's
 * ✓/✗ and the overview's target are this one number).
 */
export function activityTarget(stations: number, firstDay: DayKey | null, days: number): number {
  return TARGETS.activitiesPerMonth * stations * calendarMonths(firstDay, days);
}

/**
 * The months of a period a station is judged on for activities: from its first counted month up
 * to the cut-off day (统计截至日), each as the month's days up to the cut-off (几个月无活动).
 */
export function activityMonths(counted: DayRange | null): DayRange[] {
  if (!counted) return [];
  const out: DayRange[] = [];
  for (let m = monthOf(counted.from); m.from <= counted.to; m = monthOf(daysAfter(m.to, 1))) {
    out.push({ from: m.from, to: m.to < counted.to ? m.to : counted.to });
  }
  return out;
}

/** 几个月无活动: the station's months (activityMonths) in which none of the activity days falls. */
export function monthsWithoutActivity(counted: DayRange | null, activityDays: readonly DayKey[]): number {
  return activityMonths(counted).filter((m) => !activityDays.some((d) => d >= m.from && d <= m.to)).length;
}

/**
 * "No activity this month": a station in service with no activity logged from the 1st of the
 * month containing `day` to the cut-off (`day`, or the month's end if earlier). Whether it counts
 * shares yet does not matter: the activity target is the station's, not its informants'.
 */
export function noActivityInMonth(status: string, day: DayKey, activityDays: readonly DayKey[]): boolean {
  const month = monthOf(day);
  return inService(status) && !activityDays.some((d) => d >= month.from && d <= day);
}

/** A bound group with no share counted from it for this many days (today included) is silent. */
export const SILENT_DAYS = 3;

/** The days a group must have a share in not to be silent: the last SILENT_DAYS days, today included. */
export const silentWindow = (today: DayKey): DayRange => ({ from: daysBefore(today, SILENT_DAYS - 1), to: today });

/**
 * Whether a group is silent on `today`: bound to a station in service for SILENT_DAYS days at
 * least (`now` minus the days, by the server's clock) and no share counted from it in silentWindow.
 */
export function isSilent(
  g: { boundAt: Date | null; stationStatus: string | null; lastShareDay: DayKey | null },
  today: DayKey,
  now: Date,
): boolean {
  if (!g.boundAt || !g.stationStatus || !inService(g.stationStatus)) return false;
  if (g.boundAt.getTime() > now.getTime() - SILENT_DAYS * 86_400_000) return false;
  return !g.lastShareDay || g.lastShareDay < silentWindow(today).from;
}
