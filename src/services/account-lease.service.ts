import { In, type DataSource, type EntityManager } from 'typeorm';
import { BotAccount, type BotAccountSource } from '../db/entities';

/** A lease this process holds: the account and the fencing token of this acquisition. */
export interface HeldLease {
  accountId: number;
  fencingToken: string;
}

/** The fencing check failed: this process no longer holds the account's lease (or it is stale). */
export class LeaseLostError extends Error {
  constructor(readonly accountId: number) {
    super(`the lease on account ${accountId} is no longer held by this process`);
    this.name = 'LeaseLostError';
  }
}

/**
 * Leases on bot accounts in PostgreSQL, with fencing tokens. Every time is PostgreSQL's now()
 * (never a process clock). A lease is fresh while its heartbeat is younger than `ttlSeconds`;
 * acquiring takes a free or expired lease (or renews one's own) in one statement and increments
 * the fencing token, so a process that lost a lease can never pass the fencing check again.
 */
export class AccountLeaseStore {
  constructor(
    private readonly ds: DataSource,
    readonly holder: string,
    readonly ttlSeconds: number,
  ) {}

  /**
   * Accounts this process may take now: not paused or removed, of the given sources, without a
   * fresh lease of another process, not among `held`; lowest id first, at most `limit`. Rows not
   * added with the CLI (env, demo, test) only when named `ownName` (this configuration's account).
   */
  async candidates(sources: BotAccountSource[], held: number[], limit: number, ownName: string): Promise<BotAccount[]> {
    if (limit <= 0 || sources.length === 0) return [];
    const rows: Array<{ id: number }> = await this.ds.query(
      `SELECT a.id FROM bot_account a LEFT JOIN bot_account_lease l ON l.account_id = a.id
       WHERE a.removed_at IS NULL AND NOT a.paused AND a.source = ANY($1) AND NOT (a.id = ANY($2::int[]))
         AND (a.source = 'db' OR a.name = $6)
         AND (l.account_id IS NULL OR l.holder = $3 OR l.heartbeat_at < now() - make_interval(secs => $4))
       ORDER BY a.id LIMIT $5`,
      [sources, held, this.holder, this.ttlSeconds, limit, ownName],
    );
    if (rows.length === 0) return [];
    return this.ds.getRepository(BotAccount).find({ where: { id: In(rows.map((r) => r.id)) }, order: { id: 'ASC' } });
  }

  /** Takes the lease when it is free, expired or already ours; the new fencing token, or null when another process holds it. */
  async acquire(accountId: number): Promise<string | null> {
    const rows: Array<{ fencing_token: string }> = await this.ds.query(
      `INSERT INTO bot_account_lease AS l (account_id, holder, fencing_token, heartbeat_at, acquired_at)
       SELECT $1, $2, 1, now(), now() FROM bot_account a WHERE a.id = $1 AND NOT a.paused AND a.removed_at IS NULL
       ON CONFLICT (account_id) DO UPDATE
         SET holder = EXCLUDED.holder, fencing_token = l.fencing_token + 1, heartbeat_at = now(), acquired_at = now()
         WHERE l.holder = EXCLUDED.holder OR l.heartbeat_at < now() - make_interval(secs => $3)
       RETURNING fencing_token::text`,
      [accountId, this.holder, this.ttlSeconds],
    );
    return rows[0]?.fencing_token ?? null;
  }

  /**
   * Renews the given leases; returns the ids still held (same holder and token, account neither
   * paused nor removed). Any other id has been lost or must be let go.
   */
  async heartbeat(leases: HeldLease[]): Promise<Set<number>> {
    if (leases.length === 0) return new Set();
    const rows: Array<{ account_id: number }> = await this.ds.query(
      // (A CTE: TypeORM answers a bare UPDATE … RETURNING with [rows, count].)
      `WITH beat AS (
         UPDATE bot_account_lease l SET heartbeat_at = now()
         FROM unnest($1::int[], $2::bigint[]) AS h(id, token), bot_account a
         WHERE l.account_id = h.id AND l.fencing_token = h.token AND l.holder = $3
           AND a.id = l.account_id AND NOT a.paused AND a.removed_at IS NULL
         RETURNING l.account_id
       ) SELECT account_id FROM beat`,
      [leases.map((l) => l.accountId), leases.map((l) => l.fencingToken), this.holder],
    );
    return new Set(rows.map((r) => r.account_id));
  }

  /**
   * Lets go of a lease (paused, removed, shutting down): another process may take it at once. The
   * row stays (expired), so the next acquisition's fencing token is still higher than this one.
   */
  async release(lease: HeldLease): Promise<void> {
    await this.ds.query(
      `UPDATE bot_account_lease SET heartbeat_at = '-infinity' WHERE account_id = $1 AND holder = $2 AND fencing_token = $3`,
      [lease.accountId, this.holder, lease.fencingToken],
    );
  }

  /**
   * The fencing check, inside the sending transaction: throws LeaseLostError unless this process
   * holds the account's lease with this token and it is fresh. The row is locked FOR SHARE, so
   * nobody takes the lease over before the transaction ends.
   */
  async assert(m: EntityManager, lease: HeldLease): Promise<void> {
    const rows: unknown[] = await m.query(
      `SELECT 1 FROM bot_account_lease
       WHERE account_id = $1 AND holder = $2 AND fencing_token = $3 AND heartbeat_at > now() - make_interval(secs => $4)
       FOR SHARE`,
      [lease.accountId, this.holder, lease.fencingToken, this.ttlSeconds],
    );
    if (rows.length === 0) throw new LeaseLostError(lease.accountId);
  }

  /** Whether another live process holds an account that is logged in (a standby process is then healthy). */
  async othersOnline(): Promise<number> {
    const rows: Array<{ n: number }> = await this.ds.query(
      `SELECT count(*)::int AS n FROM bot_account_lease l JOIN bot_account a ON a.id = l.account_id
       WHERE l.holder <> $1 AND l.heartbeat_at > now() - make_interval(secs => $2) AND a.logged_in AND a.removed_at IS NULL`,
      [this.holder, this.ttlSeconds],
    );
    return rows[0]?.n ?? 0;
  }
}
