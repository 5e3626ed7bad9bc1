import { daysAfter, monthOf } from '../domain/calendar';

/**
 * The raw tables kept as monthly RANGE partitions (declarative, PostgreSQL 10+, no extension), and
 * how their partitions are named and bounded. One list: the partition keeper, retention, the bench
 * and the catalog test read it. The migration that converted the tables (1765700000000) writes its
 * SQL inline, since a landed migration must not depend on code that may change.
 *
 * Partitioned: the tables that grow with every message.
 * - share_event, effective_share, by `day` (the Asia/Shanghai calendar day already in their rows).
 * Not partitioned, and why:
 * - callback_receipt: deleted once its retry window (minutes) is over, so it never grows; and its key
 *   (channel, dedupe_key) must stay unique across a month boundary, which a partitioned key could not.
 * - audit_log: one row per command (not per message: a station's few a day), kept whole as the
 *   ledger of who did what; nothing would ever drop a month of it.
 * - outbox_message: one row per report part sent, queued rows are picked by state; grows with jobs,
 *   not with messages.
 * No DEFAULT partition: a default partition makes every later CREATE … PARTITION OF scan it. Months
 * are created ahead instead (the keeper: at start and daily).
 */
export interface PartitionedTable {
  table: string;
  /** A `date` column holding the Asia/Shanghai calendar day. */
  column: string;
}

export const PARTITIONED_TABLES: readonly PartitionedTable[] = [
  { table: 'share_event', column: 'day' },
  { table: 'effective_share', column: 'day' },
];

/** A month as 'YYYY-MM'. */
export type MonthKey = string;

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

function checkMonth(month: MonthKey): RegExpExecArray {
  const m = MONTH.exec(month);
  if (!m) throw new RangeError(`invalid month: ${month.slice(0, 20)}`);
  return m;
}

/** share_event + '2026-12' → share_event_y2026m12. */
export function partitionName(table: string, month: MonthKey): string {
  const m = checkMonth(month);
  return `${table}_y${m[1]}m${m[2]}`;
}

/** The month of a partition name made by partitionName, or null when the name is not one. */
export function monthOfPartition(table: string, name: string): MonthKey | null {
  const m = /^(.+)_y(\d{4})m(0[1-9]|1[0-2])$/.exec(name);
  return m && m[1] === table ? `${m[2]}-${m[3]}` : null;
}

/** The month containing a day key. */
export function monthOfDay(day: string): MonthKey {
  return monthOf(day).from.slice(0, 7);
}

/** A month's partition bounds: from its first day (inclusive) to the next month's first day (exclusive). */
export function monthBounds(month: MonthKey): { from: string; to: string } {
  checkMonth(month);
  const range = monthOf(`${month}-01`);
  return { from: range.from, to: daysAfter(range.to, 1) };
}

/** The month after the given one. */
export function nextMonth(month: MonthKey): MonthKey {
  return monthBounds(month).to.slice(0, 7);
}

/** `count` consecutive months starting with `first`. */
export function monthsFrom(first: MonthKey, count: number): MonthKey[] {
  const out: MonthKey[] = [];
  for (let m = first, i = 0; i < count; i++, m = nextMonth(m)) out.push(m);
  return out;
}

/** The SQL that creates a month's partition of a table (idempotent). Identifiers come from this module only. */
export function createPartitionSql(table: PartitionedTable, month: MonthKey): string {
  const { from, to } = monthBounds(month);
  return `CREATE TABLE IF NOT EXISTS "${partitionName(table.table, month)}" PARTITION OF "${table.table}" FOR VALUES FROM ('${from}') TO ('${to}')`;
}
