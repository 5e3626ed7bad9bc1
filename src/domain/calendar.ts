import { DateTime } from 'luxon';

/** Time zone of every kepubot day, week, month and quarter (docs/统计口径.md). */
export const TIME_ZONE = 'Asia/Shanghai';

/** A calendar day as 'YYYY-MM-DD' in Asia/Shanghai. */
export type DayKey = string;

export interface DayRange {
  /** First day, inclusive. */
  from: DayKey;
  /** Last day, inclusive. */
  to: DayKey;
}

function inZone(d: Date): DateTime {
  return DateTime.fromJSDate(d, { zone: TIME_ZONE });
}

/**
 * A day key as a luxon date for calendar arithmetic (weeks, months, days between): in UTC, where
 * every day is 24 hours, so the answers are the calendar's and luxon skips the time-zone lookups
 * (Intl) that made the console's series slow. Instants are never derived from it.
 */
function fromKey(day: DayKey): DateTime {
  const dt = DateTime.fromISO(day, { zone: 'utc' });
  if (!dt.isValid) throw new RangeError(`invalid day key: ${day}`);
  return dt;
}

const key = (dt: DateTime): DayKey => dt.toISODate() as DayKey;

/** The Asia/Shanghai calendar day of an instant. */
export function dayOf(instant: Date): DayKey {
  return key(inZone(instant));
}

/** An instant as 'YYYY-MM-DD HH:mm' in Asia/Shanghai (command-line listings). */
export function shanghaiMinute(instant: Date): string {
  return inZone(instant).toFormat('yyyy-MM-dd HH:mm');
}

/** Monday-to-Sunday week containing the day. */
export function weekOf(day: DayKey): DayRange {
  const d = fromKey(day);
  return { from: key(d.startOf('week')), to: key(d.endOf('week')) };
}

export function monthOf(day: DayKey): DayRange {
  const d = fromKey(day);
  return { from: key(d.startOf('month')), to: key(d.endOf('month')) };
}

export function quarterOf(day: DayKey): DayRange {
  const d = fromKey(day);
  return { from: key(d.startOf('quarter')), to: key(d.endOf('quarter')) };
}

/** Number of days in the range, both ends included. */
export function daysIn(range: DayRange): number {
  // Plain UTC arithmetic on the keys: luxon's diff costs microseconds, and the console's series ask thousands of times.
  return Math.round((utcMs(range.to) - utcMs(range.from)) / 86_400_000) + 1;
}

function utcMs(day: DayKey): number {
  const ms = Date.parse(`${day}T00:00:00Z`);
  if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new RangeError(`invalid day key: ${day}`);
  return ms;
}

/** The range clipped so it does not run past `day` (for "so far this month"). */
export function upTo(range: DayRange, day: DayKey): DayRange {
  return { from: range.from, to: range.to < day ? range.to : day };
}

/** 11月22日 style label of a day. */
export function chineseDayLabel(day: DayKey): string {
  const d = fromKey(day);
  return `${d.month}月${d.day}日`;
}

/** The day `n` days before the given day. */
export function daysBefore(day: DayKey, n: number): DayKey {
  return key(fromKey(day).minus({ days: n }));
}

/** The day `n` days after the given day. */
export function daysAfter(day: DayKey, n: number): DayKey {
  return key(fromKey(day).plus({ days: n }));
}

/** The month before the one containing `day`. */
export function previousMonthOf(day: DayKey): DayRange {
  return monthOf(key(fromKey(day).minus({ months: 1 })));
}

/** A calendar day from its parts, or null when no such day exists (2月30日). */
export function dayFromParts(year: number, month: number, day: number): DayKey | null {
  const dt = DateTime.fromObject({ year, month, day }, { zone: TIME_ZONE });
  return dt.isValid ? key(dt) : null;
}

/** Year and month (1-12) of a day key. */
export function yearMonthOf(day: DayKey): { year: number; month: number } {
  const d = fromKey(day);
  return { year: d.year, month: d.month };
}

/** The instant `minutes` after midnight of the day in Asia/Shanghai. */
export function instantAt(day: DayKey, minutes: number): Date {
  return DateTime.fromISO(day, { zone: TIME_ZONE }).plus({ minutes }).toJSDate();
}
