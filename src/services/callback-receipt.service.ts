import type { DataSource } from 'typeorm';

export type ReceiptState = { state: 'new' } | { state: 'answered'; reply: string } | { state: 'pending' };

/**
 * Receipts of WeCom / Official Account callbacks. WeCom and the Official Account retry a callback
 * up to 3 times; the first delivery claims the key and runs the command, retries get its reply.
 */
export class CallbackReceiptService {
  constructor(private readonly ds: DataSource) {}

  /** Claims the key for this delivery, or reports what an earlier delivery of it did. */
  async claim(channel: string, key: string): Promise<ReceiptState> {
    const inserted: unknown[] = await this.ds.query(
      `INSERT INTO callback_receipt (channel, dedupe_key) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1`,
      [channel, key.slice(0, 160)],
    );
    if (inserted.length > 0) return { state: 'new' };
    return this.state(channel, key);
  }

  async state(channel: string, key: string): Promise<ReceiptState> {
    const rows: Array<{ reply: string | null }> = await this.ds.query(
      `SELECT reply FROM callback_receipt WHERE channel = $1 AND dedupe_key = $2`,
      [channel, key.slice(0, 160)],
    );
    if (rows.length === 0) return { state: 'new' };
    return rows[0].reply === null ? { state: 'pending' } : { state: 'answered', reply: rows[0].reply };
  }

  async answer(channel: string, key: string, reply: string): Promise<void> {
    await this.ds.query(
      `UPDATE callback_receipt SET reply = $3, answered_at = now() WHERE channel = $1 AND dedupe_key = $2`,
      [channel, key.slice(0, 160), reply],
    );
  }

  /** Drops the claim of a delivery whose command failed before answering, so a retry runs it. */
  async release(channel: string, key: string): Promise<void> {
    await this.ds.query(`DELETE FROM callback_receipt WHERE channel = $1 AND dedupe_key = $2 AND reply IS NULL`, [
      channel,
      key.slice(0, 160),
    ]);
  }
}
