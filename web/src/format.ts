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

/** A period the pickers offer, as the server keys and labels it (GET /periods, src/domain/periods.ts). */
export interface PeriodOption {
  kind: 'day' | 'week' | 'month' | 'quarter' | 'year';
  key: string;
  label: string;
}

const periods: { today: string; options: PeriodOption[]; at: number } = { today: '', options: [], at: 0 };
/** How long the offered periods are reused before asking the server again (it decides when a week or month turns). */
const PERIODS_FRESH_MS = 10 * 60_000;

/** Loads the offered periods from the server (the router does, before each signed-in page; at most every 10 minutes). */
export async function loadPeriods(): Promise<void> {
  if (Date.now() - periods.at < PERIODS_FRESH_MS) return;
  try {
    const answer = await get<{ today: string; options: PeriodOption[] }>('/periods', undefined, { quiet: true });
    Object.assign(periods, answer, { at: Date.now() });
  } catch {
    // The page shows the API's own error when its data cannot be read either.
  }
}

/** Today in Beijing by the server's clock (YYYY-MM-DD), as of the last loadPeriods(). */
export const today = (): string => periods.today;

/** The periods the pickers offer (this and the last week, month, quarter, year; then today), as the server listed them. */
export function periodOptions(kind?: PeriodOption['kind']): PeriodOption[] {
  return kind ? periods.options.filter((o) => o.kind === kind) : periods.options;
}

/** The key of this (0) or the last (1) period of a kind ('' before the periods are loaded). */
export const periodKey = (kind: PeriodOption['kind'], which: 0 | 1 = 0): string => periodOptions(kind)[which]?.key ?? '';
