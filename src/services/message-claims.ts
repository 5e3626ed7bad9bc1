import type { DataSource } from 'typeorm';

/** What is claimed of a message: answering its command, or the binding prompt its share earns. */
export type ClaimPurpose = 'command' | 'prompt';

/** Claims older than this are deleted: such a message is stale everywhere and never handled again. */
export const CLAIM_KEEP_MS = 24 * 3600_000;

/**
 * Once-only actions on group messages heard by several accounts, in one process or several: the
 * first account to claim a message's key for a purpose acts (answers the command, sends the
 * prompt); the others stay silent. One INSERT … ON CONFLICT DO NOTHING in PostgreSQL.
 */
export class MessageClaims {
  private lastPrune = 0;

  constructor(
    private readonly ds: DataSource,
    private readonly pruneEveryMs = 10 * 60_000,
  ) {}

  /** True when this caller is the first to claim `key` for `purpose`. */
  async claim(key: string, purpose: ClaimPurpose, now: Date): Promise<boolean> {
    const rows: unknown[] = await this.ds.query(
      `INSERT INTO message_claim (key, claimed_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING 1`,
      [`${key}:${purpose}`, now],
    );
    if (now.getTime() - this.lastPrune >= this.pruneEveryMs) {
      this.lastPrune = now.getTime();
      await this.prune(now);
    }
    return rows.length > 0;
  }

  /** Deletes claims older than CLAIM_KEEP_MS; returns how many. */
  async prune(now: Date): Promise<number> {
    const rows: Array<{ n: number }> = await this.ds.query(
      `WITH d AS (DELETE FROM message_claim WHERE claimed_at < $1 RETURNING 1) SELECT count(*)::int AS n FROM d`,
      [new Date(now.getTime() - CLAIM_KEEP_MS)],
    );
    return rows[0].n;
  }
}
