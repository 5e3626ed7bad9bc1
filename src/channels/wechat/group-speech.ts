import type { DataSource } from 'typeorm';
import type { Contact, Room } from 'wechaty';
import type { Clock } from '../../clock';
import type { Logger } from '../../logger';
import { ELECTION_INTERVAL_MS, type GroupSpeakers } from '../../services/group-speakers.service';
import type { AccountPool, WechatAccount } from './account-pool';
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
  async reply(roomId: string, talker: Contact, text: string, heardBy: ChannelAccount, heardRoom: Room): Promise<void> {
    const here = this.speakerHere(roomId);
    if (here) {
      if (here.id === heardBy.id) return here.replies.say({ room: heardRoom, contact: talker }, text);
      const room = await here.bot.Room.find({ id: roomId });
      const contact = await here.bot.Contact.find({ id: talker.id });
      if (room && contact) return here.replies.say({ room, contact }, text);
    }
    const speaker = await this.options.speakers.speakerOf(roomId).catch(() => null);
    if (speaker === null || speaker === heardBy.id) return heardBy.replies.say({ room: heardRoom, contact: talker }, text);
    const mine = this.options.pool.get(speaker);
    if (mine) {
      // Elected since the last refresh, and held here.
      const room = await mine.bot.Room.find({ id: roomId });
      const contact = await mine.bot.Contact.find({ id: talker.id });
      if (room && contact) return mine.replies.say({ room, contact }, text);
    }
    const now = this.options.clock.now();
    await this.options.ds.query(
      `INSERT INTO outbox_message (run_id, round, recipient, part, channel, payload, due_at, valid_until)
       VALUES (NULL, 0, $1, 0, 'wechat-room', $2, $3, $4)`,
      [roomId, JSON.stringify({ text, mentions: [talker.id] }), now, new Date(now.getTime() + RELAYED_REPLY_VALID_MS)],
    );
  }
}
