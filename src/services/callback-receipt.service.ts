import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { auditRow, type AuditEntry } from './audit.service';

/**
 * The stored form of a dedupe key: the key itself when it is short plain text, otherwise its
 * sha256 (a callback may carry any bytes, NUL included, and any length; PostgreSQL's text takes
 * no NUL, and cutting a long key could merge two deliveries).
 */
export function receiptKey(key: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what this looks for
  if (key.length <= 160 && !/[\u0000-\u001f\u007f]/.test(key)) return key;
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

export type ReceiptState = { state: 'new' } | { state: 'answered'; reply: string } | { state: 'pending' };

/**
 * Receipts of callback deliveries (WeCom, Official Account, any callback channel plug-in). They
 * retry a callback up to 3 times; the first delivery claims the key and runs the command, retries
 * get its reply.
 */
export class CallbackReceiptService {
  constructor(private readonly ds: DataSource) {}

  /** Claims the key for this delivery, or reports what an earlier delivery of it did. */
  async claim(channel: string, key: string): Promise<ReceiptState> {
    const inserted: unknown[] = await this.ds.query(
      `INSERT INTO callback_receipt (channel, dedupe_key) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1`,
      [channel, receiptKey(key)],
    );
    if (inserted.length > 0) return { state: 'new' };
    return this.state(channel, key);
  }

  async state(channel: string, key: string): Promise<ReceiptState> {
    const rows: Array<{ reply: string | null }> = await this.ds.query(
      `SELECT reply FROM callback_receipt WHERE channel = $1 AND dedupe_key = $2`,
      [channel, receiptKey(key)],
    );
    if (rows.length === 0) return { state: 'new' };
    return rows[0].reply === null ? { state: 'pending' } : { state: 'answered', reply: rows[0].reply };
  }

  /**
   * Stores the reply of a claimed delivery, and with it (same statement, one round trip and one
   * commit) the audit entries of the commands it ran.
   */
  async answer(channel: string, key: string, reply: string, audit: AuditEntry[] = []): Promise<void> {
    if (audit.length === 0) {
      await this.ds.query(`UPDATE callback_receipt SET reply = $3, answered_at = now() WHERE channel = $1 AND dedupe_key = $2`, [
        channel,
        receiptKey(key),
        reply,
      ]);
      return;
    }
    const rows = audit.map(auditRow);
    const col = <K extends keyof (typeof rows)[number]>(k: K) => rows.map((r) => r[k]);
    await this.ds.query(
      `WITH audit AS (
         INSERT INTO audit_log (channel, sender_id, sender_id_sha256, sender_name, station_id, listener_id, command, command_sha256, outcome, detail)
         SELECT * FROM unnest($4::varchar[], $5::varchar[], $6::char(64)[], $7::varchar[], $8::int[], $9::varchar[], $10::text[], $11::char(64)[], $12::varchar[], $13::text[])
       )
       UPDATE callback_receipt SET reply = $3, answered_at = now() WHERE channel = $1 AND dedupe_key = $2`,
      [
        channel,
        receiptKey(key),
        reply,
        col('channel'),
        col('senderId'),
        col('senderIdSha256'),
        col('senderName'),
        col('stationId'),
        col('listenerId'),
        col('command'),
        col('commandSha256'),
        col('outcome'),
        col('detail'),
      ],
    );
  }

  /** Drops the claim of a delivery whose command failed before answering, so a retry runs it. */
  async release(channel: string, key: string): Promise<void> {
    await this.ds.query(`DELETE FROM callback_receipt WHERE channel = $1 AND dedupe_key = $2 AND reply IS NULL`, [
      channel,
      receiptKey(key),
    ]);
  }
}
