import { DateTime } from 'luxon';
import type { DataSource, EntityManager } from 'typeorm';
import type { DayKey } from '../domain/calendar';
import {
  PARTITIONED_TABLES,
  createPartitionSql,
  monthBounds,
  monthOfDay,
  monthOfPartition,
  monthsFrom,
  nextMonth,
  partitionName,
  type MonthKey,
  type PartitionedTable,
} from '../db/partitioning';
import type { SummaryRefresher } from './summaries.service';

/** Serialises partition creation and dropping across connections and processes (transaction-level advisory lock). */
export const PARTITION_KEEPER_LOCK = 0x6b65_7070_6172;
/** How long creating or dropping a partition waits for a table's lock before giving up (the upkeep retries on its next pass). */
const LOCK_TIMEOUT_MS = 10_000;

/** One monthly partition as the catalog has it. */
export interface PartitionInfo {
  /** The partitioned table (share_event …). */
  table: string;
  /** The partition's own table (share_event_y2026m12). */
  partition: string;
  month: MonthKey;
  /** First day (inclusive) and the next month's first day (exclusive). */
  from: DayKey;
  to: DayKey;
  /** pg_class.reltuples: the planner's row estimate; null before the partition was first analysed. */
  rowEstimate: number | null;
  /** pg_total_relation_size: the partition with its indexes and TOAST. */
  bytes: number;
}

/** What retention would remove and what it keeps back, for every partitioned table. */
export interface RetentionPlan {
  today: DayKey;
  /** RAW_RETENTION_MONTHS. */
  months: number;
  /** The oldest month kept: partitions of earlier months may go. */
  keepFrom: MonthKey;
  /** Partitions of months before keepFrom whose months are summarised: these go. */
  drop: PartitionInfo[];
  /** Partitions of months before keepFrom that stay because the summaries do not cover their month yet. */
  unsummarised: PartitionInfo[];
}

/** The months retention keeps: the month of `today` and the `months` months before it. Earlier months may go. */
export function retentionKeepFrom(today: DayKey, months: number): MonthKey {
  // RAW_RETENTION_MONTHS is checked at start-up (12-1200); 0 would drop the current month.
  if (!Number.isInteger(months) || months < 1) throw new RangeError('retention should be at least 1 month');
  return DateTime.fromISO(`${monthOfDay(today)}-01`, { zone: 'utc' })
    .minus({ months })
    .toFormat('yyyy-MM');
}

/**
 * The monthly partitions of the raw tables (src/db/partitioning.ts): created ahead, listed, and
 * dropped a month at a time once retention allows it. No extension is needed (declarative
 * partitioning), so the embedded PostgreSQL works as a server's. Every change runs in one
 * transaction under an advisory lock, so several processes may run the keeper at once.
 */
export class PartitionKeeper {
  constructor(
    private readonly ds: DataSource,
    private readonly summaries: Pick<SummaryRefresher, 'covers' | 'refresh'>,
    private readonly tables: readonly PartitionedTable[] = PARTITIONED_TABLES,
    private readonly options: { lockTimeoutMs?: number } = {},
  ) {}

  /**
   * Creates the missing partitions of the month of `today` and the `monthsAhead` months after it,
   * and of any month between the newest existing partition and today (a server stopped for
   * months). Idempotent; returns the partitions it created.
   */
  async ensureAhead(today: DayKey, monthsAhead = 3): Promise<string[]> {
    if (!Number.isInteger(monthsAhead) || monthsAhead < 0 || monthsAhead > 24) throw new RangeError('monthsAhead should be 0-24');
    const current = monthOfDay(today);
    return this.create((existing) => {
      const wanted = monthsFrom(current, monthsAhead + 1);
      const newest = existing
        .filter((m) => m < current)
        .sort()
        .pop();
      if (newest) for (let m = nextMonth(newest); m < current; m = nextMonth(m)) wanted.push(m);
      return wanted.filter((m) => !existing.includes(m)).sort();
    });
  }

  /** Creates the partitions of these months where missing (loading history, tests). Returns those created. */
  async ensureMonths(months: readonly MonthKey[]): Promise<string[]> {
    const list = [...new Set(months)].sort();
    for (const m of list) monthBounds(m);
    return this.create((existing) => list.filter((m) => !existing.includes(m)));
  }

  /** Every monthly partition of the tables, oldest month first. Partitions not named and bounded as the module makes them are left out. */
  list(): Promise<PartitionInfo[]> {
    return this.read(this.ds.manager);
  }

  /**
   * What retention of `months` months would drop today: the partitions of months before
   * retentionKeepFrom whose months the summaries cover (SummaryRefresher.covers); the others wait.
   * Reads only.
   */
  async retentionPlan(today: DayKey, months: number): Promise<RetentionPlan> {
    const keepFrom = retentionKeepFrom(today, months);
    const old = (await this.list()).filter((p) => p.month < keepFrom);
    const covered = new Map<MonthKey, boolean>();
    for (const month of new Set(old.map((p) => p.month))) {
      const { from, to } = monthBounds(month);
      covered.set(month, await this.summaries.covers(from, to));
    }
    return {
      today,
      months,
      keepFrom,
      drop: old.filter((p) => covered.get(p.month)),
      unsummarised: old.filter((p) => !covered.get(p.month)),
    };
  }

  /**
   * Drops the planned partitions, one month (of every table) per transaction, checking again
   * under the lock that each month is still covered by the summaries and still old enough.
   * Returns the partitions dropped.
   */
  async drop(plan: RetentionPlan): Promise<PartitionInfo[]> {
    const dropped: PartitionInfo[] = [];
    const months = [...new Set(plan.drop.map((p) => p.month))].sort();
    for (const month of months) {
      if (month >= plan.keepFrom) continue;
      const { from, to } = monthBounds(month);
      await this.ds.transaction(async (m) => {
        await this.lock(m);
        const present = new Set((await this.read(m)).map((p) => p.partition));
        // The names are rebuilt from the module's list (never taken from the catalog or the caller).
        const going = plan.drop.filter(
          (p) => p.month === month && present.has(p.partition) && this.tables.some((t) => partitionName(t.table, month) === p.partition),
        );
        if (going.length === 0) return;
        // Writers of the month finish first (and nobody starts); then the summaries must still cover it.
        for (const p of going) await m.query(`LOCK TABLE "${partitionName(p.table, month)}" IN ACCESS EXCLUSIVE MODE`);
        if (!(await this.summaries.covers(from, to, m))) return;
        for (const p of going) {
          await m.query(`DROP TABLE "${partitionName(p.table, month)}"`);
          dropped.push(p);
        }
      });
    }
    return dropped;
  }

  /**
   * Retention in one call (the daily upkeep and `kepubot data retention`): brings the summaries up
   * to date when there is anything old, plans, and drops unless `dryRun`.
   */
  async retain(today: DayKey, months: number, opts: { dryRun?: boolean } = {}): Promise<{ plan: RetentionPlan; dropped: PartitionInfo[] }> {
    const keepFrom = retentionKeepFrom(today, months);
    if ((await this.list()).some((p) => p.month < keepFrom)) await this.summaries.refresh();
    const plan = await this.retentionPlan(today, months);
    const dropped = opts.dryRun || plan.drop.length === 0 ? [] : await this.drop(plan);
    return { plan, dropped };
  }

  private async create(missing: (existing: MonthKey[]) => MonthKey[]): Promise<string[]> {
    return this.ds.transaction(async (m) => {
      await this.lock(m);
      const all = await this.read(m);
      // A table of the list that is not (yet) partitioned has no months to keep.
      const partitioned: Array<{ name: string }> = await m.query(
        `SELECT relname AS name FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relkind = 'p' AND relname = ANY($1)`,
        [this.tables.map((t) => t.table)],
      );
      const created: string[] = [];
      for (const table of this.tables.filter((t) => partitioned.some((p) => p.name === t.table))) {
        const existing = all.filter((p) => p.table === table.table).map((p) => p.month);
        for (const month of missing(existing)) {
          await m.query(createPartitionSql(table, month));
          created.push(partitionName(table.table, month));
        }
      }
      // IF NOT EXISTS skips a table of that name that is not this month's partition (detached, made by hand).
      const now = new Set((await this.read(m)).map((p) => p.partition));
      const stray = created.filter((name) => !now.has(name));
      if (stray.length > 0) {
        throw new Error(
          `${stray.join(', ')} already exist(s) but not as the month's partition: rename or drop, then run kepubot data partitions`,
        );
      }
      return created;
    });
  }

  private async lock(m: EntityManager): Promise<void> {
    await m.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(this.options.lockTimeoutMs ?? LOCK_TIMEOUT_MS))}`);
    await m.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_KEEPER_LOCK]);
  }

  private async read(m: EntityManager): Promise<PartitionInfo[]> {
    const rows: Array<{ parent: string; partition: string; bound: string; reltuples: number; bytes: string }> = await m.query(
      `SELECT p.relname AS parent, c.relname AS partition, pg_get_expr(c.relpartbound, c.oid) AS bound,
              c.reltuples, pg_total_relation_size(c.oid) AS bytes
       FROM pg_inherits i
       JOIN pg_class c ON c.oid = i.inhrelid
       JOIN pg_class p ON p.oid = i.inhparent
       WHERE p.relnamespace = current_schema()::regnamespace AND p.relname = ANY($1)`,
      [this.tables.map((t) => t.table)],
    );
    const out: PartitionInfo[] = [];
    for (const r of rows) {
      const month = monthOfPartition(r.parent, r.partition);
      if (!month) continue;
      const { from, to } = monthBounds(month);
      // Only a partition whose bounds are exactly its month's is the keeper's to manage.
      if (r.bound !== `FOR VALUES FROM ('${from}') TO ('${to}')`) continue;
      out.push({
        table: r.parent,
        partition: r.partition,
        month,
        from,
        to,
        rowEstimate: r.reltuples < 0 ? null : Math.round(r.reltuples),
        bytes: Number(r.bytes),
      });
    }
    const order = this.tables.map((t) => t.table);
    return out.sort((a, b) => a.month.localeCompare(b.month) || order.indexOf(a.table) - order.indexOf(b.table));
  }
}
