import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';

export interface LoginLimits {
  /** Attempts per name within the window before the name slows down. */
  perName: number;
  /** Attempts per client address within the window (then the address waits for the window to end). */
  perIp: number;
  windowMs: number;
  /**
   * A name past its limit takes one further attempt per this interval, and only from an address
   * with a clean record (no attempt of its own still counted in its window).
   */
  slowMs: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { perName: 5, perIp: 20, windowMs: 15 * 60 * 1000, slowMs: 60 * 1000 };

/** What a sign-in attempt is counted against: the client's address, and the name tried (password sign-in). */
export interface AttemptKeys {
  /** Which sign-in (password, ticket): each has its own per-address budget. */
  scope: string;
  address: string;
  name?: string;
}

/** An attempt that may go ahead: give it back with `succeeded` when the check passes. */
export interface Granted {
  ok: true;
  held: Array<{ key: string; windowStart: Date }>;
}

/** An attempt refused before any check: wait this many seconds. */
export interface Refused {
  ok: false;
  retryAfterSeconds: number;
}

interface Row {
  attempts: number;
  window_start: Date;
}

const keyOf = (kind: string, value: string): string => createHash('sha256').update(`${kind}\n${value}`, 'utf8').digest('hex');

/**
 * Console sign-in attempts, counted in PostgreSQL (shared by every process, kept across restarts)
 * the moment they start, before the password or ticket is checked: one atomic upsert per key
 * grants the attempt only while the key is under its limit, so requests released together cannot
 * all pass a check that is made before any of them is counted.
 *
 * The address is counted first (`perIp` per window, then it waits for the window to end). The
 * name is counted next (`perName` per window); past that the name is not locked but slowed: one
 * attempt per `slowMs`, and only from an address with a clean record. Strangers guessing a name
 * from a few addresses thus never keep its owner out, and a botnet gets at most one guess per
 * `slowMs` at it. A success gives its attempts back; rows are deleted once their window is over.
 */
export class LoginLimiter {
  private lastSweep = 0;

  constructor(
    private readonly ds: DataSource,
    private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
  ) {}

  /** Counts an attempt before it is checked; refused (no check at all) when a limit is reached. */
  async reserve(keys: AttemptKeys, now: Date): Promise<Granted | Refused> {
    await this.sweep(now);
    const addressKey = keyOf(`${keys.scope}:address`, keys.address);
    const address = await this.take(addressKey, now, this.limits.perIp, false);
    if (!address) return this.refused(addressKey, now, false);
    const held = [{ key: addressKey, windowStart: address.window_start }];
    if (keys.name === undefined) return { ok: true, held };
    const nameKey = keyOf('name', keys.name);
    const clean = address.attempts === 1;
    const name = await this.take(nameKey, now, this.limits.perName, clean);
    if (!name) {
      // Not checked: the address gets the attempt back.
      await this.giveBack(held);
      return this.refused(nameKey, now, clean);
    }
    held.push({ key: nameKey, windowStart: name.window_start });
    return { ok: true, held };
  }

  /** The check passed: the attempt no longer counts against the address or the name. */
  async succeeded(granted: Granted): Promise<void> {
    await this.giveBack(granted.held);
  }

  /** One atomic upsert: the key's attempt, or null when the key is at its limit (and not let through slowly). */
  private async take(key: string, now: Date, limit: number, slowPass: boolean): Promise<Row | null> {
    const windowOver = new Date(now.getTime() - this.limits.windowMs);
    const nextSlow = new Date(now.getTime() + this.limits.slowMs);
    const rows: Row[] = await this.ds.query(
      `INSERT INTO login_attempt AS a (key_sha256, window_start, attempts, slow_until) VALUES ($1, $2, 1, NULL)
       ON CONFLICT (key_sha256) DO UPDATE SET
         window_start = CASE WHEN a.window_start <= $3 THEN $2 ELSE a.window_start END,
         attempts = CASE WHEN a.window_start <= $3 THEN 1 ELSE a.attempts + 1 END,
         slow_until = CASE WHEN a.window_start > $3 AND a.attempts + 1 >= $4 THEN $5::timestamptz ELSE NULL END
       WHERE a.window_start <= $3 OR a.attempts < $4 OR ($6::boolean AND (a.slow_until IS NULL OR a.slow_until <= $2))
       RETURNING attempts, window_start`,
      [key, now, windowOver, limit, nextSlow, slowPass],
    );
    return rows[0] ?? null;
  }

  private async giveBack(held: Granted['held']): Promise<void> {
    for (const h of held) {
      await this.ds.query(`UPDATE login_attempt SET attempts = greatest(attempts - 1, 0) WHERE key_sha256 = $1 AND window_start = $2`, [
        h.key,
        h.windowStart,
      ]);
    }
  }

  /** How long a refused key waits: a slowed name's next slot for a clean address, otherwise its window's end. */
  private async refused(key: string, now: Date, clean: boolean): Promise<Refused> {
    const [row]: Array<{ window_start: Date; slow_until: Date | null }> = await this.ds.query(
      `SELECT window_start, slow_until FROM login_attempt WHERE key_sha256 = $1`,
      [key],
    );
    const windowEnd = row ? row.window_start.getTime() + this.limits.windowMs : now.getTime();
    const until = clean && row?.slow_until ? Math.min(row.slow_until.getTime(), windowEnd) : windowEnd;
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((until - now.getTime()) / 1000)) };
  }

  /** Rows whose window is over count nothing: deleted at most once a minute. */
  private async sweep(now: Date): Promise<void> {
    if (now.getTime() - this.lastSweep < 60_000) return;
    this.lastSweep = now.getTime();
    await this.ds.query(`DELETE FROM login_attempt WHERE window_start <= $1`, [new Date(now.getTime() - this.limits.windowMs)]);
  }
}
