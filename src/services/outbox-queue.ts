import type { EntityManager } from 'typeorm';
import { outboxParts, type OutboxChannel, type OutboxPayload } from '../db/entities';

/** A message to queue: where it goes, what it says, and until when it is worth sending. */
export interface QueuedMessage {
  channel: OutboxChannel;
  recipient: string;
  payload: OutboxPayload;
  validUntil?: Date | null;
}

/**
 * Queues a message in the outbox, part by part (its text, then its file), under its run and round:
 * each part once per (run, round, recipient, part), so planning again never repeats a message.
 * `runId` null: a message of no run (a reply relayed to the process holding the group's speaker).
 * True when any part was new. The one writer of outbox rows: the job runner, alerts and relayed
 * replies all queue through it.
 */
export async function enqueueMessage(
  m: Pick<EntityManager, 'query'>,
  runId: number | null,
  round: number,
  msg: QueuedMessage,
  now: Date,
): Promise<boolean> {
  let inserted = false;
  for (const [part, payload] of outboxParts(msg.payload).entries()) {
    const rows: unknown[] = await m.query(
      `INSERT INTO outbox_message (run_id, round, recipient, part, channel, payload, due_at, valid_until)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (run_id, round, recipient, part) DO NOTHING RETURNING id`,
      [runId, round, msg.recipient, part, msg.channel, JSON.stringify(payload), now, msg.validUntil ?? null],
    );
    inserted ||= rows.length > 0;
  }
  return inserted;
}
