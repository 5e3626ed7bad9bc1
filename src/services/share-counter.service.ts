import type { DataSource } from 'typeorm';
import { TIME_ZONE } from '../config';
import type { KepuLink } from '../domain/kepu-links';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';

/** One group message that carries a Kepu China link. */
export interface ShareInput {
  messageId: string;
  roomId: string;
  talkerId: string;
  talkerName: string;
  link: KepuLink;
  sentAt: Date;
}

/**
 * - effective: stored, and the first share of this item by this sender today
 * - repeat: stored as a raw share, but the item was already shared today (not effective)
 * - replay: this WeChat message was counted before (restart, reconnect)
 * - unbound-group: the group is not bound to a station; nothing stored
 */
export type ShareOutcome = 'effective' | 'repeat' | 'replay' | 'unbound-group';

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
  SELECT i.*, g.station_id, inf.id AS informant_id, inf.station_id AS informant_station_id
  FROM input i
  JOIN wechat_group g ON g.room_id = i.room_id AND g.station_id IS NOT NULL
  LEFT JOIN informant inf ON inf.wechat_contact_id = i.talker_id AND inf.status = 'active'
),
eff AS (
  INSERT INTO effective_share (talker_id, content_key, day, informant_id, message_id)
  SELECT r.talker_id, r.content_key, r.day, r.informant_id, r.message_id
  FROM resolved r
  -- A replayed message has the same sender, item and day as its original, so it conflicts here
  -- too and never becomes effective twice; no lookup in share_event is needed.
  ORDER BY r.talker_id, r.content_key, r.day
  ON CONFLICT (talker_id, content_key, day) DO NOTHING
  RETURNING message_id
),
ins AS (
  INSERT INTO share_event (message_id, room_id, station_id, talker_id, talker_name, informant_id, content_key,
                           url, title, message_type, sent_at, day, effective)
  SELECT r.message_id, r.room_id, r.station_id, r.talker_id, r.talker_name, r.informant_id, r.content_key,
         r.url, r.title, r.message_type, r.sent_at, r.day, (eff.message_id IS NOT NULL)
  FROM resolved r LEFT JOIN eff ON eff.message_id = r.message_id
  ORDER BY r.message_id
  ON CONFLICT (message_id) DO NOTHING
  RETURNING message_id, informant_id, day, effective
),
roll AS (
  INSERT INTO daily_rollup (informant_id, day, station_id, raw_shares, effective_shares)
  SELECT ins.informant_id, ins.day, min(r.informant_station_id), count(*), count(*) FILTER (WHERE ins.effective)
  FROM ins JOIN resolved r ON r.message_id = ins.message_id
  WHERE ins.informant_id IS NOT NULL
  GROUP BY ins.informant_id, ins.day
  ORDER BY ins.informant_id, ins.day
  ON CONFLICT (informant_id, day) DO UPDATE
    SET raw_shares = daily_rollup.raw_shares + excluded.raw_shares,
        effective_shares = daily_rollup.effective_shares + excluded.effective_shares,
        updated_at = now()
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

/**
 * Counts shares into PostgreSQL. Messages are written in small batches (one statement per
 * batch: share event, effective share and daily rollup together), so the counting path keeps
 * up with hundreds of busy groups; each caller still gets its own message's outcome.
 */
export class ShareCounter {
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private inFlight = 0;
  private readonly flushes = new Set<Promise<void>>();

  constructor(
    private readonly ds: DataSource,
    private readonly options: { batchMax: number; batchWaitMs: number; maxInFlight?: number },
    private readonly metrics?: Metrics,
    private readonly log?: Logger,
  ) {}

  /** Stores one share; resolves once it is committed. */
  record(input: ShareInput): Promise<ShareResult> {
    return new Promise<ShareResult>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.schedule();
    });
  }

  /** Writes everything queued and waits for writes in flight. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.queue.length > 0 || this.flushes.size > 0) {
      if (this.queue.length > 0 && this.inFlight < (this.options.maxInFlight ?? 2)) this.startBatch();
      else await Promise.race(this.flushes);
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
    const stop = this.metrics?.shareBatchSeconds.startTimer();
    let result: Array<{
      message_id: string;
      bound: boolean;
      inserted: boolean;
      effective: boolean;
      informant_id: number | null;
      day: string;
    }>;
    try {
      result = await this.withDeadlockRetry(() =>
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
        ]),
      );
    } catch (err) {
      this.log?.error({ err, size: batch.length }, 'writing a batch of shares failed');
      for (const p of batch) p.reject(err);
      return;
    } finally {
      stop?.();
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

  private count(outcome: ShareOutcome): void {
    if (!this.metrics) return;
    if (outcome === 'effective' || outcome === 'repeat') this.metrics.sharesCounted.inc();
    if (outcome === 'effective') this.metrics.effectiveShares.inc();
    if (outcome === 'repeat') this.metrics.duplicatesIgnored.inc({ reason: 'same_item_same_day' });
    if (outcome === 'replay') this.metrics.duplicatesIgnored.inc({ reason: 'message_replay' });
    if (outcome === 'unbound-group') this.metrics.messagesIgnored.inc({ reason: 'unbound_group' });
  }

  private async withDeadlockRetry<T>(fn: () => Promise<T>, attempts = 3): Promise<T> {
    for (let i = 1; ; i++) {
      try {
        return await fn();
      } catch (err) {
        const code = (err as { driverError?: { code?: string }; code?: string }).driverError?.code ??
          (err as { code?: string }).code;
        if (i >= attempts || (code !== '40P01' && code !== '40001')) throw err;
      }
    }
  }
}
