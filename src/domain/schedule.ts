/**
 * When the scheduled jobs run and for which period, and whether a missed run is still worth
 * doing. Rules are cron expressions in Asia/Shanghai, checked with cron-parser (node-schedule's
 * own parser) so a malformed rule is caught at start-up instead of silently never firing.
 */
import cronParser from 'cron-parser';
import { DateTime, IANAZone } from 'luxon';
import { dayOf, type DayKey } from './calendar';
import { periodBefore, periodContaining, type Period } from './periods';

export const JOB_NAMES = [
  'group-reminder',
  'group-ranking',
  'weekly-digest',
  'monthly-check',
  'quarterly-table',
  'annual-evaluation',
] as const;
export type JobName = (typeof JOB_NAMES)[number];

/** What each job is called in the console. */
export const JOB_LABELS: Record<JobName, string> = {
  'group-reminder': '群内每日提醒',
  'group-ranking': '群内每日排行',
  'weekly-digest': '每周统计简报',
  'monthly-check': '月度进度检查',
  'quarterly-table': '季度统计表',
  'annual-evaluation': '年度评定',
};

/** Default rules (minute hour day-of-month month day-of-week). */
export const DEFAULT_RULES: Record<JobName, string> = {
  'group-reminder': '30 19 * * *',
  'group-ranking': '30 21 * * *',
  'weekly-digest': '30 8 * * 1',
  'monthly-check': '0 10 25 * *',
  'quarterly-table': '0 9 1 1,4,7,10 *',
  'annual-evaluation': '0 9 1 12 *',
};

/** Quiet hours (QUIET_HOURS): minutes after midnight where they start and end; 22:30-07:30 is { start: 1350, end: 450 }. */
export interface QuietHours {
  start: number;
  end: number;
}

/**
 * When the quiet hours begin on the evening of `day`: at their start that day, or the next day
 * when they start in the morning (after midnight, e.g. 00:30-07:00). A same-evening message
 * (reminder, ranking) is of no use after it.
 */
export function eveningEnd(day: DayKey, quiet: QuietHours, zone: string): Date {
  const startOfDay = DateTime.fromISO(day, { zone }).startOf('day');
  const atStart = startOfDay.plus({ minutes: quiet.start });
  return (quiet.start >= 12 * 60 ? atStart : atStart.plus({ days: 1 })).toJSDate();
}

export function isJobName(s: string): s is JobName {
  return (JOB_NAMES as readonly string[]).includes(s);
}

/** A problem with a rule, or null when it is a valid five-field cron rule. */
export function ruleProblem(rule: string, zone: string): string | null {
  if (!IANAZone.isValidZone(zone)) return `unknown time zone "${zone}" (e.g. Asia/Shanghai)`;
  if (rule.trim().split(/\s+/).length !== 5) return `"${rule}" should have 5 fields: minute hour day month weekday, e.g. "30 19 * * *"`;
  try {
    cronParser.parseExpression(rule, { tz: zone });
    return null;
  } catch (err) {
    return `"${rule}" is not a valid cron rule: ${(err as Error).message}`;
  }
}

/** The latest instant at or before `now` when the rule fired, or null if none in the last ~400 days. */
export function lastFiring(rule: string, zone: string, now: Date): Date | null {
  const it = cronParser.parseExpression(rule, { tz: zone, currentDate: new Date(now.getTime() + 1000) });
  try {
    const prev = it.prev().toDate();
    return now.getTime() - prev.getTime() < 400 * 86_400_000 ? prev : null;
  } catch {
    return null;
  }
}

/** The period a run fired at `at` reports on. */
export function periodFor(job: JobName, at: Date): Period {
  const day = dayOf(at);
  switch (job) {
    case 'group-reminder':
    case 'group-ranking':
      return periodContaining('day', day);
    case 'weekly-digest':
      return periodBefore('week', day);
    case 'monthly-check':
      return periodContaining('month', day);
    case 'quarterly-table':
      return periodBefore('quarter', day);
    case 'annual-evaluation':
      return periodContaining('year', day);
  }
}

/**
 * Whether a run for the period is still useful at `now` (catch-up after downtime): a reminder
 * or ranking only the same evening, until the quiet hours begin (`quiet`, QUIET_HOURS); a weekly
 * digest during the week after; the monthly check until the month ends; the quarterly table until
 * its deadline (the 5th of the month after the quarter); the annual evaluation during December.
 */
export function stillUseful(job: JobName, period: Period, now: Date, zone: string, quiet: QuietHours): boolean {
  const t = DateTime.fromJSDate(now, { zone });
  const end = (d: string) => DateTime.fromISO(d, { zone }).endOf('day');
  switch (job) {
    case 'group-reminder':
    case 'group-ranking':
      return t >= DateTime.fromISO(period.from, { zone }).startOf('day') && now.getTime() <= eveningEnd(period.from, quiet, zone).getTime();
    case 'weekly-digest':
      return t <= end(period.to).plus({ days: 7 });
    case 'monthly-check':
      return t <= end(period.to);
    case 'quarterly-table':
      return t <= end(period.to).plus({ days: 5 });
    case 'annual-evaluation':
      return t <= end(period.to);
  }
}
