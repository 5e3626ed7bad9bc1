/**
 * Periods the statistics and the scheduled jobs speak of, as keys people can type:
 * day 2026-11-25, week 2026-W48 (ISO, Monday first), month 2026-11, quarter 2026Q3, year 2026.
 * All in Asia/Shanghai (luxon does the calendar arithmetic).
 */
import { DateTime } from 'luxon';
import { TIME_ZONE, type DayKey, type DayRange } from './calendar';

export type PeriodKind = 'day' | 'week' | 'month' | 'quarter' | 'year';

export interface Period extends DayRange {
  kind: PeriodKind;
  key: string;
}

const day = (dt: DateTime): DayKey => dt.toISODate() as DayKey;

function build(kind: PeriodKind, start: DateTime): Period {
  const unit = kind === 'day' ? 'day' : kind;
  const from = start.startOf(unit);
  const to = start.endOf(unit);
  let key: string;
  switch (kind) {
    case 'day':
      key = day(from);
      break;
    case 'week':
      key = `${from.weekYear}-W${String(from.weekNumber).padStart(2, '0')}`;
      break;
    case 'month':
      key = from.toFormat('yyyy-MM');
      break;
    case 'quarter':
      key = `${from.year}Q${from.quarter}`;
      break;
    case 'year':
      key = String(from.year);
      break;
  }
  return { kind, key, from: day(from), to: day(to) };
}

/** The period of the given kind containing the day. */
export function periodContaining(kind: PeriodKind, d: DayKey): Period {
  return build(kind, DateTime.fromISO(d, { zone: TIME_ZONE }));
}

/** The period before (n = 1) or n periods before the one containing the day. */
export function periodBefore(kind: PeriodKind, d: DayKey, n = 1): Period {
  const unit = kind === 'day' ? 'days' : `${kind}s`;
  return build(kind, DateTime.fromISO(d, { zone: TIME_ZONE }).minus({ [unit]: n }));
}

/** The years a period may fall in: kepubot counts the present, not year 0 (which PostgreSQL has no date for). */
export const PERIOD_YEARS = { min: 2000, max: 2099 } as const;

/** Parses a period key; null when malformed, impossible or outside PERIOD_YEARS. */
export function parsePeriod(key: string): Period | null {
  const k = key.trim().toUpperCase();
  let dt: DateTime | null = null;
  let kind: PeriodKind;
  let m: RegExpMatchArray | null;
  if ((m = k.match(/^(\d{4})-(\d{2})-(\d{2})$/))) {
    kind = 'day';
    dt = DateTime.fromObject({ year: +m[1], month: +m[2], day: +m[3] }, { zone: TIME_ZONE });
  } else if ((m = k.match(/^(\d{4})-W(\d{2})$/))) {
    kind = 'week';
    dt = DateTime.fromObject({ weekYear: +m[1], weekNumber: +m[2], weekday: 1 }, { zone: TIME_ZONE });
    if (dt.isValid && dt.weekNumber !== +m[2]) return null;
  } else if ((m = k.match(/^(\d{4})-(\d{2})$/))) {
    kind = 'month';
    dt = DateTime.fromObject({ year: +m[1], month: +m[2], day: 1 }, { zone: TIME_ZONE });
  } else if ((m = k.match(/^(\d{4})Q([1-4])$/))) {
    kind = 'quarter';
    dt = DateTime.fromObject({ year: +m[1], month: (+m[2] - 1) * 3 + 1, day: 1 }, { zone: TIME_ZONE });
  } else if ((m = k.match(/^(\d{4})$/))) {
    kind = 'year';
    dt = DateTime.fromObject({ year: +m[1], month: 1, day: 1 }, { zone: TIME_ZONE });
  } else {
    return null;
  }
  if (!dt.isValid) return null;
  const period = build(kind, dt);
  const years = [Number(period.from.slice(0, 4)), Number(period.to.slice(0, 4))];
  return years.every((y) => y >= PERIOD_YEARS.min && y <= PERIOD_YEARS.max) ? period : null;
}

/** Chinese label: 2026年11月25日, 2026年第48周, 2026年11月, 2026年第3季度, 2026年. */
export function periodLabel(p: Period): string {
  const [y, mo, d] = p.from.split('-').map(Number);
  switch (p.kind) {
    case 'day':
      return `${y}年${mo}月${d}日`;
    case 'week':
      return `${p.key.slice(0, 4)}年第${Number(p.key.slice(6))}周（${mo}月${d}日—${Number(p.to.slice(5, 7))}月${Number(p.to.slice(8))}日）`;
    case 'month':
      return `${y}年${mo}月`;
    case 'quarter':
      return `${y}年第${p.key.slice(5)}季度`;
    case 'year':
      return `${y}年`;
  }
}
