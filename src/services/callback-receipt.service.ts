import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { auditRow, type AuditEntry } from './audit.service';

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * The stored form of a dedupe key: the key itself when it is short plain text, otherwise its
 * sha256 (a callback may carry any bytes, NUL included, and any length; PostgreSQL's text takes
 * no NUL, and cutting a long key could merge two deliveries).
 */
export function receiptKey(key: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what this looks for
  if (key.length <= 160 && !/[\u0000-\u001f\u007f]/.test(key)) return key;
  return `sha256:${sha256(key)}`;
}

export type ReceiptState =
  | { state: 'new' }
  | { state: 'pending' }
  | { state: 'answered'; reply: string }
  /** Answered with a secret that was not kept: a retry runs the command again. */
  | { state: 'withheld' };

/** The signature that authenticated a callback, with the timestamp and nonce it covers. */
export interface SignedTriple {
  signature: string;
  timestamp: string;
  nonce: string;
  /** When the timestamp leaves the accepted window (the triple is useless after that). */
  validUntil: Date;
}

/**
 * What a triple's use is: its first use, the same body again (a retry: the dedupe answers it), or
 * another body under a triple already used (a replay: refused).
 */
export type SignatureUse = 'first' | 'same-body' | 'other-body';

/** What the callback route keeps of an answer: its text, or a marker when it carried a secret. */
export interface KeptAnswer {
  text: string;
  /** The text carries a secret (a one-time console link): only the marker is stored. */
  secret: boolean;
}

/**
 * Receipts of callback deliveries (WeCom, Official Account, any callback channel plug-in). WeChat
 * retries a callback up to 3 times; the first delivery claims the key and runs the command,
 * retries get its reply. Each signed (signature, timestamp, nonce) is accepted once. Both are
 * deleted after their window by `prune`, which the scheduler's housekeeping runs.
 */
export class CallbackReceiptService {
  /**
   * How long a receipt is kept: twice the timestamp window. A delivery is accepted only while its
   * timestamp is within `maxAgeSeconds` of now, and was received no earlier than that before its
   * timestamp, so no replay of a stored triple can outlive its receipt; WeChat's own retries come
   * within about 15 s.
   */
  private readonly keepMs: number;

  constructor(
    private readonly ds: DataSource,
    maxAgeSeconds: number,
  ) {
    this.keepMs = 2 * maxAgeSeconds * 1000;
  }

  /**
   * Records the use of a signed triple with `body` (one statement on a first use). The unique key
   * (channel, triple) holds across processes and restarts.
   */
  async useSignature(channel: string, triple: SignedTriple, body: string): Promise<SignatureUse> {
    const tripleSha = sha256(JSON.stringify([triple.signature, triple.timestamp, triple.nonce]));
    const bodySha = sha256(body);
    const inserted: unknown[] = await this.ds.query(
      `INSERT INTO callback_signature (channel, triple_sha256, body_sha256, expires_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING RETURNING 1`,
      [channel, tripleSha, bodySha, triple.validUntil],
    );
    if (inserted.length > 0) return 'first';
    const rows: Array<{ body_sha256: string }> = await this.ds.query(
      `SELECT body_sha256 FROM callback_signature WHERE channel = $1 AND triple_sha256 = $2`,
      [channel, tripleSha],
    );
    // Deleted in between (pruned: the timestamp has left the window, which the envelope checks first).
    if (rows.length === 0) return 'other-body';
    return rows[0].body_sha256 === bodySha ? 'same-body' : 'other-body';
  }

  /** Claims the key for this delivery, or reports what an earlier delivery of it did. */
  async claim(channel: string, key: string, now: Date): Promise<ReceiptState> {
    const inserted: unknown[] = await this.ds.query(
      `INSERT INTO callback_receipt (channel, dedupe_key, received_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1`,
      [channel, receiptKey(key), now],
    );
    if (inserted.length > 0) return { state: 'new' };
    return this.state(channel, key);
  }

  async state(channel: string, key: string): Promise<ReceiptState> {
    const rows: Array<{ reply: string | null; withheld: boolean }> = await this.ds.query(
      `SELECT reply, withheld FROM callback_receipt WHERE channel = $1 AND dedupe_key = $2`,
      [channel, receiptKey(key)],
    );
    if (rows.length === 0) return { state: 'new' };
    const [row] = rows;
    if (row.withheld) return { state: 'withheld' };
    return row.reply === null ? { state: 'pending' } : { state: 'answered', reply: row.reply };
  }

  /**
   * Stores the answer of a claimed delivery (a secret one as a marker only, reply ''), and with it
   * (same statement, one round trip and one commit) the audit entries of the commands it ran.
   */
  async answer(channel: string, key: string, now: Date, answer: KeptAnswer, audit: AuditEntry[] = []): Promise<void> {
    const kept = answer.secret ? '' : answer.text;
    const rows = audit.map(auditRow);
    const col = <K extends keyof (typeof rows)[number]>(k: K) => rows.map((r) => r[k]);
    const update = `UPDATE callback_receipt SET reply = $3, withheld = $4, answered_at = $5 WHERE channel = $1 AND dedupe_key = $2`;
    const params = [channel, receiptKey(key), kept, answer.secret, now];
    if (rows.length === 0) {
      await this.ds.query(update, params);
      return;
    }
    await this.ds.query(
      `WITH audit AS (
         INSERT INTO audit_log (channel, sender_id, sender_id_sha256, sender_name, station_id, listener_id, command, command_sha256, outcome, detail)
         SELECT * FROM unnest($6::varchar[], $7::varchar[], $8::char(64)[], $9::varchar[], $10::int[], $11::varchar[], $12::text[], $13::char(64)[], $14::varchar[], $15::text[])
       )
       ${update}`,
      [
        ...params,
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

  /** Deletes receipts past their retry window and triples whose timestamp has left the window. */
  async prune(now: Date): Promise<{ receipts: number; signatures: number }> {
    const deleted = async (sql: string, before: Date): Promise<number> => {
      const [{ n }]: Array<{ n: number }> = await this.ds.query(`WITH d AS (${sql} RETURNING 1) SELECT count(*)::int AS n FROM d`, [
        before,
      ]);
      return n;
    };
    const receipts = await deleted(`DELETE FROM callback_receipt WHERE received_at < $1`, new Date(now.getTime() - this.keepMs));
    const signatures = await deleted(`DELETE FROM callback_signature WHERE expires_at < $1`, now);
    return { receipts, signatures };
  }
}
