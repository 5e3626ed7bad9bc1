import type { DataSource } from 'typeorm';
import type { Contact, Room } from 'wechaty';
import type { Clock } from '../../clock';
import type { Logger } from '../../logger';
import { ELECTION_INTERVAL_MS, type GroupSpeakers } from '../../services/group-speakers.service';
import type { SendPriority } from '../../domain/send-pacing';
import { enqueueMessage } from '../../services/outbox-queue';
import type { AccountPool, WechatAccount } from './account-pool';
import type { PendingReply } from './wechat-replies';
import type { ChannelAccount } from './wechat-channel';

/** A reply relayed to the speaker's process waits at most this long in the outbox. */
export const RELAYED_REPLY_VALID_MS = 120_000;

export interface GroupSpeechOptions {
  ds: DataSource;
  pool: AccountPool;
  speakers: GroupSpeakers;
  clock: Clock;
  log: Logger;
  /** How often the election runs (default ELECTION_INTERVAL_MS). */
  intervalMs?: number;
}

/**
 * Routes everything said in a group through the group's speaker. The election runs every couple
 * of seconds in every process (and at once when an account comes, goes or logs out here); this
 * process keeps the rooms its own accounts speak in. A reply to a group whose speaker another
 * process holds goes to the outbox, where only that process sends it; scheduled messages are
 * claimed there only by the speaker's process (OutboxWorker `speakerOf`).
 */
export class GroupSpeech {
  /** Room id → the account of this process that speaks there (refreshed after every election). */
  private local = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private soon: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly offs = new Map<number, () => void>();

  constructor(private readonly options: GroupSpeechOptions) {
    options.pool.on('attached', (account) => {
      this.offs.set(
        account.id,
        account.runtime.onChange(() => this.electSoon()),
      );
      this.electSoon();
    });
    options.pool.on('detached', (accountId) => {
      this.offs.get(accountId)?.();
      this.offs.delete(accountId);
      // Out of list() already: this process no longer speaks through it.
      for (const [room, id] of this.local) if (id === accountId) this.local.delete(room);
      this.electSoon();
    });
  }

  /** Runs the election now, then every intervalMs. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.elect();
    this.timer = setInterval(() => void this.elect(), this.options.intervalMs ?? ELECTION_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.soon) clearTimeout(this.soon);
    this.timer = this.soon = null;
    for (const off of this.offs.values()) off();
    this.offs.clear();
    return this.running ?? Promise.resolve();
  }

  /**
   * One election and a refresh of this process's rooms; never overlaps itself; never throws
   * (PostgreSQL down: the rooms known stay as they were).
   */
  elect(): Promise<void> {
    if (!this.running) {
      this.running = (async () => {
        const changes = await this.options.speakers.elect();
        for (const c of changes) this.options.log.info({ group: c.groupId, account: c.accountId }, 'the group has a new speaker');
        this.local = await this.options.speakers.spokenBy(this.options.pool.list().map((a) => a.id));
      })()
        .catch((err: unknown) => this.options.log.warn({ err }, 'the speaker election could not run'))
        .finally(() => (this.running = null));
    }
    return this.running;
  }

  /** An election shortly (status writes of the account that changed land first). */
  electSoon(): void {
    if (this.stopped || this.soon) return;
    this.soon = setTimeout(() => {
      this.soon = null;
      void this.elect();
    }, 300);
    this.soon.unref();
  }

  /** The account of this process that speaks in the room, if any. */
  speakerHere(roomId: string): WechatAccount | null {
    const id = this.local.get(roomId);
    return id === undefined ? null : (this.options.pool.get(id) ?? null);
  }

  /**
   * Says `text` in a group, @-mentioning `talker`, through the group's speaker: its account here,
   * or the outbox for the process that holds it. With no speaker at all (no healthy account known
   * in the group yet), the account that heard the message answers.
   */
  async reply(
    roomId: string,
    talker: Contact,
    text: string,
    heardBy: ChannelAccount,
    heardRoom: Room,
    priority: SendPriority = 'answer',
  ): Promise<void> {
    const here = this.speakerHere(roomId);
    if (here) {
      if (here.id === heardBy.id) return here.replies.say({ room: heardRoom, contact: talker }, text, priority);
      const through = await this.sayThrough(here, roomId, talker.id, text, priority);
      if (through) return through.said;
    }
    const speaker = await this.options.speakers.speakerOf(roomId).catch(() => null);
    if (speaker === null || speaker === heardBy.id) return heardBy.replies.say({ room: heardRoom, contact: talker }, text, priority);
    const mine = this.options.pool.get(speaker);
    // Elected since the last refresh, and held here.
    const through = mine ? await this.sayThrough(mine, roomId, talker.id, text, priority) : null;
    if (through) return through.said;
    await this.relay(roomId, talker.id, text);
  }

  /**
   * Replies a restricted account could not say, handed to their groups' speakers now (the election
   * moved them away from it). A reply whose group has no other speaker waits in the outbox.
   */
  async resend(from: number, pending: PendingReply[]): Promise<void> {
    await this.elect();
    for (const p of pending) {
      if (!p.room) continue;
      const speaker = await this.options.speakers.speakerOf(p.room.id).catch(() => null);
      const mine = speaker !== null && speaker !== from ? this.options.pool.get(speaker) : undefined;
      // Not awaited: the reply waits its turn in the other account's queue.
      if (mine && (await this.sayThrough(mine, p.room.id, p.contact.id, p.text, p.priority))) continue;
      await this.relay(p.room.id, p.contact.id, p.text).catch((err: unknown) =>
        this.options.log.warn({ err }, 'could not hand a reply over to another account'),
      );
    }
  }

  /** Queues the reply at `account` (resolves once said), or null when that account does not know the room or person. */
  private async sayThrough(
    account: WechatAccount,
    roomId: string,
    talkerId: string,
    text: string,
    priority: SendPriority,
  ): Promise<{ said: Promise<void> } | null> {
    const room = await account.bot.Room.find({ id: roomId });
    const contact = await account.bot.Contact.find({ id: talkerId });
    if (!room || !contact) return null;
    // Wrapped: an async function returning the promise itself would wait for it.
    return { said: account.replies.say({ room, contact }, text, priority) };
  }

  /** Into the outbox, for the process that holds the group's speaker (sent while the moment lasts). */
  private async relay(roomId: string, talkerId: string, text: string): Promise<void> {
    const now = this.options.clock.now();
    await enqueueMessage(
      this.options.ds,
      null,
      0,
      {
        channel: 'wechat-room',
        recipient: roomId,
        payload: { text, mentions: [talkerId] },
        validUntil: new Date(now.getTime() + RELAYED_REPLY_VALID_MS),
      },
      now,
    );
  }
}
