/** Display helpers: numbers, times (Beijing), labels, and the period keys the pickers offer. */
import { ref } from 'vue';
import { get } from './api';

const ZONE = 'Asia/Shanghai';

/** An integer with thousands separators. */
export const int = (n: number | null | undefined): string => (n === null || n === undefined ? '—' : Math.round(n).toLocaleString('zh-CN'));

/** A number with two decimals (shares per informant-day). */
export const dec2 = (n: number | null | undefined): string => (n === null || n === undefined ? '—' : n.toFixed(2));

/** A fraction 0..1 as a percentage with one decimal. */
export const pct = (n: number | null | undefined): string => (n === null || n === undefined ? '—' : `${(n * 100).toFixed(1)}%`);

const timeFormat = new Intl.DateTimeFormat('zh-CN', {
  timeZone: ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
});

/** An ISO instant as Beijing time, e.g. 2026/11/25 14:05. */
export const time = (iso: string | null | undefined): string => (iso ? timeFormat.format(new Date(iso)) : '—');

/** Today in Beijing, YYYY-MM-DD. */
export const today = (): string => new Intl.DateTimeFormat('en-CA', { timeZone: ZONE }).format(new Date());

/** Station types and their Chinese names, as the server lists them (GET /station-types; loadStationTypes()). */
export const STATION_TYPES = ref<Array<{ value: string; label: string }>>([]);
let stationTypesLoad: Promise<void> | null = null;

/** Loads the station types once per page load (every page that shows a type calls it). */
export function loadStationTypes(): Promise<void> {
  stationTypesLoad ??= get<Array<{ value: string; label: string }>>('/station-types', undefined, { quiet: true }).then(
    (types) => {
      STATION_TYPES.value = types;
    },
    () => {
      stationTypesLoad = null;
    },
  );
  return stationTypesLoad;
}

export const stationType = (t: string): string => STATION_TYPES.value.find((x) => x.value === t)?.label ?? t;

const STATUS: Record<string, string> = {
  active: '正常',
  disabled: '已停用',
  rectifying: '整改中',
  revoked: '已撤销',
  withdrawn: '已撤回',
};
export const statusLabel = (s: string): string => STATUS[s] ?? s;

const JOB_STATE: Record<string, string> = {
  planning: '计划中',
  planned: '已计划',
  pending: '等待中',
  missed: '已错过',
  done: '已完成',
  queued: '排队中',
  sending: '发送中',
  sent: '已发送',
  failed: '发送失败',
  expired: '已过期',
  cancelled: '已取消',
};
export const jobState = (s: string): string => JOB_STATE[s] ?? s;

const pad = (n: number): string => String(n).padStart(2, '0');

/** The ISO week key (2026-W48) of a YYYY-MM-DD day. */
export function isoWeek(day: string): string {
  const [y, m, d] = day.split('-').map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  const weekday = date.getUTCDay() || 7;
  date.setUTCDate(date.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(date.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((date.getTime() - yearStart) / 86400000 + 1) / 7);
  return `${date.getUTCFullYear()}-W${pad(week)}`;
}

/** A day n days before a YYYY-MM-DD day. */
function minusDays(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number);
  const date = new Date(Date.UTC(y, m - 1, d - n));
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
}

export interface PeriodOption {
  key: string;
  label: string;
}

/** The periods the pickers offer (this and the last week, month, quarter, year), newest first per kind. */
export function periodOptions(kind?: 'week' | 'month' | 'quarter' | 'year'): PeriodOption[] {
  const t = today();
  const [y, m] = t.split('-').map(Number);
  const q = Math.floor((m - 1) / 3) + 1;
  const lastMonth = m === 1 ? { y: y - 1, m: 12 } : { y, m: m - 1 };
  const lastQuarter = q === 1 ? { y: y - 1, q: 4 } : { y, q: q - 1 };
  const options: Record<string, PeriodOption[]> = {
    month: [
      { key: `${y}-${pad(m)}`, label: `本月（${y}年${m}月）` },
      { key: `${lastMonth.y}-${pad(lastMonth.m)}`, label: `上月（${lastMonth.y}年${lastMonth.m}月）` },
    ],
    week: [
      { key: isoWeek(t), label: `本周（${isoWeek(t)}）` },
      { key: isoWeek(minusDays(t, 7)), label: `上周（${isoWeek(minusDays(t, 7))}）` },
    ],
    quarter: [
      { key: `${y}Q${q}`, label: `本季度（${y}年第${q}季度）` },
      { key: `${lastQuarter.y}Q${lastQuarter.q}`, label: `上季度（${lastQuarter.y}年第${lastQuarter.q}季度）` },
    ],
    year: [
      { key: `${y}`, label: `今年（${y}年）` },
      { key: `${y - 1}`, label: `去年（${y - 1}年）` },
    ],
  };
  if (kind) return options[kind];
  return [...options.month, ...options.week, ...options.quarter, ...options.year, { key: t, label: `今天（${t}）` }];
}
