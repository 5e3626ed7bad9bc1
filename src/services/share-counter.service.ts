import type { DataSource } from 'typeorm';
import { PARTITIONED_TABLES, createPartitionSql, monthOfDay } from '../db/partitioning';
import { TIME_ZONE, dayOf } from '../domain/calendar';
import type { ShareInput } from '../domain/shares';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { rollupUpsert } from './daily-rollup';
import type { ShareSpool } from './share-spool';

export type { ShareInput } from '../domain/shares';

/**
 * - effective: stored, and the first share of this item by this sender today
 * - repeat: stored as a raw share, but the item was already shared today (not effective)
 * - replay: this WeChat message was counted before (restart, reconnect)
 * - unbound-group: the group is not bound to a station; nothing stored
 * - spooled: PostgreSQL could not take it now; it is in the durable spool and is counted later
 */
export type ShareOutcome = 'effective' | 'repeat' | 'replay' | 'unbound-group' | 'spooled';

export interface ShareResult {
  outcome: ShareOutcome;
  /** Null while the sender is not bound to a roster entry (an unconfirmed share). */
  informantId: number | null;
  day: string | null;
}

interface Pending {
  input: ShareInput;
  resolve: (r: ShareResult) => void;
  reject: (e: unknown) => void;
}

/** Advisory lock key shared with binding, so a bind never races a batch of shares. */
export const SHARE_LOCK_KEY = 0x6b657075;

export const BATCH_SQL = `
WITH lock AS (
  -- Shared with other batches, exclusive for binding (InformantService.bindMember); held to commit.
  SELECT pg_advisory_xact_lock_shared($10::bigint) AS locked
),
input AS (
  SELECT t.*, (t.sent_at AT TIME ZONE '${TIME_ZONE}')::date AS day
  FROM lock, unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[], $5::varchar[], $6::text[], $7::text[],
              $8::varchar[], $9::timestamptz[])
    AS t(message_id, room_id, talker_id, talker_name, content_key, url, title, message_type, sent_at)
),
resolved AS (
  -- county_id: the group's station's county (share_event). The informant's own county keys their
  -- effective shares and daily rollup (an unconfirmed sender's effective shares: the group's county),
  -- so one person's item counts once a day whichever county's group it was shared in.
  SELECT i.*, g.station_id, st.county_id, inf.id AS informant_id, inf.station_id AS informant_station_id,
         inf.county_id AS informant_county_id
  FROM input i
  JOIN wechat_group g ON g.room_id = i.room_id AND g.station_id IS NOT NULL
  JOIN station st ON st.id = g.station_id
  LEFT JOIN informant inf ON inf.wechat_contact_id = i.talker_id AND inf.status = 'active'
),
eff AS (
  INSERT INTO effective_share (county_id, talker_id, content_key, day, informant_id, message_id)
  SELECT coalesce(r.informant_county_id, r.county_id), r.talker_id, r.content_key, r.day, r.informant_id, r.message_id
  FROM resolved r
  -- A replayed share (its share id already stored) never claims an effective share, even when it
  -- is recognised under another content key now (new URL rules, an upgrade). Within a batch the
  -- earliest message of a (sender, item, day) is the effective one.
  -- A share id fixes its day and county (src/db/migrations/1765700000000-county-keys-partitions.ts),
  -- so the lookup reads one month's partition. LATERAL … LIMIT 1: one probe of uq_share_event_message
  -- per share whatever the statistics say (as NOT EXISTS, a month's new partition, whose statistics
  -- still say empty, was read whole by every batch: the cost grew with the month).
  LEFT JOIN LATERAL (
    SELECT true AS seen FROM share_event s WHERE s.county_id = r.county_id AND s.day = r.day AND s.message_id = r.message_id LIMIT 1
  ) old ON true
  WHERE old.seen IS NULL
  ORDER BY coalesce(r.informant_county_id, r.county_id), r.talker_id, r.content_key, r.day, r.sent_at, r.message_id
  ON CONFLICT (county_id, talker_id, content_key, day) DO NOTHING
  RETURNING message_id
),
ins AS (
  INSERT INTO share_event (county_id, message_id, room_id, station_id, talker_id, talker_name, informant_id, content_key,
                           url, title, message_type, sent_at, day, effective)
  SELECT r.county_id, r.message_id, r.room_id, r.station_id, r.talker_id, r.talker_name, r.informant_id, r.content_key,
         r.url, r.title, r.message_type, r.sent_at, r.day, (eff.message_id IS NOT NULL)
  FROM resolved r LEFT JOIN eff ON eff.message_id = r.message_id
  ORDER BY r.message_id
  ON CONFLICT (county_id, day, message_id) DO NOTHING
  RETURNING message_id, informant_id, day, effective
),
roll AS (
  ${rollupUpsert(`SELECT min(r.informant_county_id), ins.informant_id, ins.day, min(r.informant_station_id), count(*), count(*) FILTER (WHERE ins.effective)
  FROM ins JOIN resolved r ON r.message_id = ins.message_id
  WHERE ins.informant_id IS NOT NULL
  GROUP BY ins.informant_id, ins.day
  ORDER BY ins.informant_id, ins.day`)}
)
SELECT i.message_id,
       (r.message_id IS NOT NULL) AS bound,
       (ins.message_id IS NOT NULL) AS inserted,
       coalesce(ins.effective, false) AS effective,
       r.informant_id,
       to_char(i.day, 'YYYY-MM-DD') AS day
FROM input i
LEFT JOIN resolved r ON r.message_id = i.message_id
LEFT JOIN ins ON ins.message_id = i.message_id
`;

/** What `write` gets back for each message of a batch. */
interface BatchRow {
  message_id: string;
  bound: boolean;
  inserted: boolean;
  effective: boolean;
  informant_id: number | null;
  day: string;
}

const SPOOLED: ShareResult = { outcome: 'spooled', informantId: null, day: null };

class WriteTimeout extends Error {
  constructor(ms: number) {
    super(`a batch of shares was not committed within ${ms} ms`);
  }
}

export interface ShareCounterOptions {
  batchMax: number;
  batchWaitMs: number;
  maxInFlight?: number;
  /** A batch not committed within this time is spooled (default 5 s). */
  writeTimeoutMs?: number;
}

/**
 * Counts shares into PostgreSQL. Messages are written in small batches (one statement per
 * batch: share event, effective share and daily rollup together), so the counting path keeps
 * up with hundreds of busy groups; each caller still gets its own message's outcome.
 *
 * When a batch cannot be written (PostgreSQL down, restarting or too slow) and a spool is open,
 * the batch goes to the durable spool instead and the counter switches to spooling: every new
 * share is appended to the spool, in arrival order, until a background loop has written the
 * whole spool back to PostgreSQL; then it counts directly again. A share that went to the spool
 * resolves as 'spooled' (it is safe, its figures come later).
 */
export class ShareCounter {
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private inFlight = 0;
  private readonly flushes = new Set<Promise<void>>();
  private mode: 'direct' | 'spooling' = 'direct';
  private recovery: Promise<void> | null = null;
  private closed = false;
  private spoolOpen = false;

  constructor(
    private readonly ds: DataSource,
    private readonly options: ShareCounterOptions,
    private readonly metrics?: Metrics,
    private readonly log?: Logger,
    private readonly spool: ShareSpool | null = null,
  ) {}

  /**
   * Opens the spool and writes back whatever an earlier run left in it before any new message
   * is counted. Without a spool (tests, tools) the counter works as before.
   */
  async start(): Promise<void> {
    if (!this.spool) return;
    await this.spool.open();
    this.spoolOpen = true;
    this.updateGauges();
    if (this.spool.depth > 0) {
      this.mode = 'spooling';
      try {
        const n = await this.drainSpool();
        this.log?.info({ shares: n }, 'shares spooled by an earlier run were written');
      } catch (err) {
        this.log?.warn({ err }, 'could not write the spooled shares yet; retrying in the background');
      }
      if (this.spool.depth === 0) this.mode = 'direct';
      else this.startRecovery();
    }
  }

  /** 'direct' while shares go straight to PostgreSQL, 'spooling' while they go to the spool. */
  get state(): { mode: 'direct' | 'spooling'; spoolDepth: number; spoolBytes: number } {
    return { mode: this.mode, spoolDepth: this.spool?.depth ?? 0, spoolBytes: this.spool?.sizeBytes ?? 0 };
  }

  /** Stores one share; resolves once it is committed (or durably spooled). */
  record(input: ShareInput): Promise<ShareResult> {
    if (this.mode === 'spooling' && this.spoolOpen) {
      // Shares arriving in the same turn of the event loop go to the spool in one append.
      return new Promise<ShareResult>((resolve, reject) => {
        this.spoolQueue.push({ input, resolve, reject });
        if (this.spoolQueue.length === 1) queueMicrotask(() => void this.flushSpoolQueue());
      });
    }
    return new Promise<ShareResult>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.schedule();
    });
  }

  /** Rejects every write still waiting on PostgreSQL (at shutdown): their batches are spooled. */
  private readonly aborts = new Set<() => void>();

  private abortWrites(): void {
    for (const abort of [...this.aborts]) abort();
  }

  private spoolQueue: Pending[] = [];
  private spoolAppends = new Set<Promise<void>>();

  private flushSpoolQueue(): Promise<void> {
    const batch = this.spoolQueue.splice(0);
    if (batch.length === 0) return Promise.resolve();
    const p = this.toSpool(batch.map((b) => b.input)).then(
      () => {
        for (const b of batch) b.resolve(SPOOLED);
      },
      (err: unknown) => {
        this.log?.error({ err, size: batch.length }, 'shares could not be spooled');
        this.metrics?.sharesLost.inc(batch.length);
        for (const b of batch) b.reject(err);
      },
    );
    this.spoolAppends.add(p);
    void p.finally(() => this.spoolAppends.delete(p));
    return p;
  }

  /** Writes everything queued (to PostgreSQL or the spool) and waits for writes in flight. */
  async flush(): Promise<void> {
    await this.flushSpoolQueue();
    await Promise.all([...this.spoolAppends]);
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.queue.length > 0 || this.flushes.size > 0) {
      if (this.queue.length > 0 && this.inFlight < (this.options.maxInFlight ?? 2)) this.startBatch();
      else await Promise.race(this.flushes);
    }
  }

  /**
   * For shutdown: flushes, then writes the spool back while PostgreSQL answers and time is left;
   * what is left stays in the spool for the next start. Stops the background loop.
   */
  async close(deadline: number): Promise<void> {
    // Writes still waiting on PostgreSQL shortly before the deadline give up and go to the spool,
    // so nothing is left in memory when the process exits.
    const abortAt = Math.max(0, deadline - Date.now() - 1000);
    const abortTimer = setTimeout(() => this.abortWrites(), abortAt);
    try {
      await this.flush();
    } finally {
      clearTimeout(abortTimer);
    }
    this.closed = true;
    if (this.spool && this.spoolOpen) {
      if (this.spool.depth > 0 && Date.now() < deadline) {
        await this.drainSpool(() => Date.now() >= deadline).catch((err: unknown) =>
          this.log?.warn({ err }, 'the spool could not be written back before stopping; it is kept for the next start'),
        );
      }
      await this.recovery?.catch(() => undefined);
      await this.spool.close();
      if (this.spool.depth > 0) this.log?.warn({ shares: this.spool.depth }, 'shares stay in the spool until the next start');
    }
  }

  private schedule(): void {
    if (this.queue.length >= this.options.batchMax) {
      if (this.inFlight < (this.options.maxInFlight ?? 2)) this.startBatch();
      return;
    }
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        if (this.queue.length > 0) {
          if (this.inFlight < (this.options.maxInFlight ?? 2)) this.startBatch();
          else this.schedule();
        }
      }, this.options.batchWaitMs);
    }
  }

  private startBatch(): void {
    const batch = this.queue.splice(0, this.options.batchMax);
    this.inFlight++;
    const p = this.write(batch).finally(() => {
      this.inFlight--;
      this.flushes.delete(p);
      if (this.queue.length > 0) this.schedule();
    });
    this.flushes.add(p);
  }

  private async write(batch: Pending[]): Promise<void> {
    const first = new Map<string, Pending>();
    const sameBatchReplays: Pending[] = [];
    for (const p of batch) {
      if (first.has(p.input.messageId)) sameBatchReplays.push(p);
      else first.set(p.input.messageId, p);
    }
    const rows = [...first.values()].map((p) => p.input);
    let result: BatchRow[];
    try {
      if (this.mode === 'spooling' && this.spoolOpen) throw new Error('spooling');
      result = await this.writeRows(rows);
    } catch (err) {
      if (!this.spoolOpen || this.closed) {
        this.log?.error({ err, size: batch.length }, 'writing a batch of shares failed');
        for (const p of batch) p.reject(err);
        return;
      }
      try {
        await this.toSpool(rows);
      } catch (spoolErr) {
        this.log?.error({ err: spoolErr, size: batch.length }, 'a batch of shares could neither be written nor spooled');
        this.metrics?.sharesLost.inc(batch.length);
        for (const p of batch) p.reject(spoolErr);
        return;
      }
      if (this.mode === 'direct') {
        this.log?.warn({ err, size: batch.length }, 'PostgreSQL did not take a batch of shares: spooling until it is back');
        this.mode = 'spooling';
        this.startRecovery();
      }
      for (const p of batch) p.resolve(SPOOLED);
      return;
    }
    for (const row of result) {
      const p = first.get(row.message_id)!;
      let outcome: ShareOutcome;
      if (!row.bound) outcome = 'unbound-group';
      else if (!row.inserted) outcome = 'replay';
      else outcome = row.effective ? 'effective' : 'repeat';
      this.count(outcome);
      p.resolve({ outcome, informantId: row.informant_id, day: row.day });
    }
    for (const p of sameBatchReplays) {
      const firstResult = result.find((r) => r.message_id === p.input.messageId);
      const outcome: ShareOutcome = firstResult?.bound ? 'replay' : 'unbound-group';
      this.count(outcome);
      p.resolve({ outcome, informantId: firstResult?.informant_id ?? null, day: firstResult?.day ?? null });
    }
  }

  /** One batch in one statement (one transaction); throws on failure or after the write timeout. */
  private async writeRows(rows: ShareInput[]): Promise<BatchRow[]> {
    const stop = this.metrics?.shareBatchSeconds.startTimer();
    const timeoutMs = this.options.writeTimeoutMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    try {
      const query = this.withDeadlockRetry(() =>
        this.withMonths(
          rows,
          () =>
            // One statement is one transaction: the share events, effective shares and rollups of a
            // batch commit together or not at all.
            this.ds.query(BATCH_SQL, [
              rows.map((r) => r.messageId),
              rows.map((r) => r.roomId),
              rows.map((r) => r.talkerId),
              rows.map((r) => r.talkerName.slice(0, 128)),
              rows.map((r) => r.link.contentKey.slice(0, 512)),
              rows.map((r) => r.link.url),
              rows.map((r) => r.link.title ?? null),
              rows.map((r) => r.link.kind),
              rows.map((r) => r.sentAt.toISOString()),
              SHARE_LOCK_KEY,
            ]) as Promise<BatchRow[]>,
        ),
      );
      // If the timeout wins, the statement may still commit later: the spooled copy is then a
      // replay, which the unique message id ignores.
      query.catch(() => undefined);
      let abort: (() => void) | undefined;
      return await Promise.race([
        query,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new WriteTimeout(timeoutMs)), timeoutMs);
          abort = () => reject(new Error('kepubot is stopping: the batch goes to the spool'));
          this.aborts.add(abort);
        }),
      ]).finally(() => {
        if (abort) this.aborts.delete(abort);
      });
    } finally {
      if (timer) clearTimeout(timer);
      stop?.();
    }
  }

  private async toSpool(rows: ShareInput[]): Promise<void> {
    try {
      await this.spool!.append(rows);
      this.metrics?.sharesSpooled.inc(rows.length);
    } finally {
      this.updateGauges();
    }
  }

  private updateGauges(): void {
    if (!this.metrics || !this.spool) return;
    this.metrics.spoolDepth.set(this.spool.depth);
    this.metrics.spoolBytes.set(this.spool.sizeBytes);
  }

  /**
   * Writes the spool back now (PostgreSQL must answer) and counts directly again when it is
   * empty. Returns how many shares were written. The background loop does the same by itself.
   */
  async drainNow(): Promise<number> {
    const n = await this.drainSpool(() => this.closed);
    if (this.spool && this.spool.depth === 0) this.mode = 'direct';
    return n;
  }

  private drainSpool(shouldStop?: () => boolean): Promise<number> {
    // One drain at a time: the background loop, drainNow and close() may all ask.
    const run = this.draining.then(() => this.drainSpoolOnce(shouldStop));
    this.draining = run.catch(() => undefined);
    return run;
  }

  private draining: Promise<unknown> = Promise.resolve();

  /** Writes the spool back to PostgreSQL, counting each share's outcome; throws when PostgreSQL fails. */
  private async drainSpoolOnce(shouldStop?: () => boolean): Promise<number> {
    const spool = this.spool!;
    let total = 0;
    const size = Math.max(this.options.batchMax, 1000);
    while (spool.depth > 0) {
      const n = await spool.drain(
        async (batch) => {
          const unique = [...new Map(batch.map((s) => [s.messageId, s])).values()];
          for (const row of await this.writeRows(unique)) {
            if (!row.bound) this.count('unbound-group');
            else if (!row.inserted) this.count('replay');
            else this.count(row.effective ? 'effective' : 'repeat');
          }
          this.metrics?.sharesDrained.inc(batch.length);
          this.updateGauges();
        },
        size,
        shouldStop,
      );
      total += n;
      this.updateGauges();
      if (shouldStop?.() || n === 0) break;
    }
    return total;
  }

  /** Retries PostgreSQL with backoff and writes the spool back; then counts directly again. */
  private startRecovery(): void {
    if (this.recovery || this.closed) return;
    this.recovery = (async () => {
      for (let attempt = 0; !this.closed; attempt++) {
        await new Promise((r) => setTimeout(r, Math.min(5000, 200 * 2 ** Math.min(attempt, 5))));
        if (this.closed) break;
        try {
          await this.ds.query('SELECT 1');
          const n = await this.drainSpool(() => this.closed);
          if (n > 0) this.log?.info({ shares: n }, 'spooled shares written to PostgreSQL');
          if (this.spool!.depth === 0) {
            this.mode = 'direct';
            this.log?.info('PostgreSQL takes shares again: counting directly');
            return;
          }
          attempt = -1;
        } catch (err) {
          if (attempt % 10 === 0)
            this.log?.warn({ err, spooled: this.spool!.depth }, 'PostgreSQL still unavailable; shares stay in the spool');
        }
      }
    })().finally(() => {
      this.recovery = null;
    });
  }

  private count(outcome: ShareOutcome): void {
    if (!this.metrics) return;
    if (outcome === 'effective' || outcome === 'repeat') this.metrics.sharesCounted.inc();
    if (outcome === 'effective') this.metrics.effectiveShares.inc();
    if (outcome === 'repeat') this.metrics.duplicatesIgnored.inc({ reason: 'same_item_same_day' });
    if (outcome === 'replay') this.metrics.duplicatesIgnored.inc({ reason: 'message_replay' });
    if (outcome === 'unbound-group') this.metrics.messagesIgnored.inc({ reason: 'unbound_group' });
  }

  /** Months whose partitions this counter made sure of (CREATE … IF NOT EXISTS), once each. */
  private readonly monthsMade = new Set<string>();

  /**
   * Runs the batch with its months' partitions there. The partition keeper makes months ahead at
   * start and daily; a share of another month (a demo's history, a long-spooled share) gets its
   * month made here first, once per process and month (idempotent). Should a month have gone since
   * (retention dropped it: SQLSTATE 23514, no partition for the row), it is made again and the batch
   * runs once more.
   */
  private async withMonths<T>(rows: ShareInput[], fn: () => Promise<T>): Promise<T> {
    const months = [...new Set(rows.map((r) => monthOfDay(dayOf(r.sentAt))))];
    const make = async (list: string[]): Promise<void> => {
      for (const month of list) {
        // Two processes may make the same month at once: the loser's error is harmless, the batch decides.
        for (const table of PARTITIONED_TABLES) await this.ds.query(createPartitionSql(table, month)).catch(() => undefined);
        this.monthsMade.add(month);
      }
    };
    await make(months.filter((m) => !this.monthsMade.has(m)));
    try {
      return await fn();
    } catch (err) {
      const e = (err as { driverError?: { code?: string; message?: string } }).driverError ?? (err as { code?: string; message?: string });
      if (e.code !== '23514' || !/no partition of relation/.test(e.message ?? '')) throw err;
      this.log?.warn({ months }, 'a month of shares had no partition: made again');
      await make(months);
      return fn();
    }
  }

  private async withDeadlockRetry<T>(fn: () => Promise<T>, attempts = 3): Promise<T> {
    for (let i = 1; ; i++) {
      try {
        return await fn();
      } catch (err) {
        const code = (err as { driverError?: { code?: string }; code?: string }).driverError?.code ?? (err as { code?: string }).code;
        if (i >= attempts || (code !== '40P01' && code !== '40001')) throw err;
      }
    }
  }
}
