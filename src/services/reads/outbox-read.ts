import type { DataSource } from 'typeorm';

/** How full the send queue is. */
export class OutboxRead {
  constructor(private readonly ds: DataSource) {}

  /** Entries waiting to go out (queued or being sent) and entries that failed. */
  async counts(): Promise<{ queued: number; failed: number }> {
    const [row]: Array<{ queued: number; failed: number }> = await this.ds.query(
      `SELECT count(*) FILTER (WHERE state IN ('queued', 'sending'))::int AS queued,
              count(*) FILTER (WHERE state = 'failed')::int AS failed
       FROM outbox_message`,
    );
    return row;
  }
}
