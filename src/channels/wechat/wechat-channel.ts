import type { SendPriority } from '../../domain/send-pacing';
import type { Contact, Message, Room } from 'wechaty';
import { types } from 'wechaty';
import type { Robot } from '../../bot/robot';
import type { IncomingMessage } from '../../bot/context';
import type { Clock } from '../../clock';
import {
  recognizeMiniProgram,
  recognizeUrlCard,
  scanKepuText,
  unknownShapeOfCard,
  type KepuLink,
  type LinkRules,
  type UnknownShape,
} from '../../domain/kepu-links';
import { messageKeyOf, RecentKeys } from '../../domain/message-key';
import type { Logger } from '../../logger';
import type { Metrics } from '../../metrics';
import type { GroupService } from '../../services/group.service';
import type { GroupSpeakers } from '../../services/group-speakers.service';
import type { MessageClaims } from '../../services/message-claims';
import type { WechatAccount } from './account-pool';

export interface WechatChannelDeps {
  robot: Robot;
  rules: LinkRules;
  clock: Clock;
  /** Messages older than this (at arrival) are history replayed on (re)connect: ignored. */
  staleSeconds: number;
  groups: GroupService;
  metrics: Metrics;
  log: Logger;
  /** Told how many groups an account is in whenever it lists its rooms. */
  roomsListed?: (accountId: number, count: number) => void;
  /** Claims group commands and prompts once across accounts and processes (none: every copy acts). */
  claims?: MessageClaims;
  /** How many recent group message keys the process remembers to skip another account's copy (default 20,000). */
  recentKeys?: number;
  /** Records which accounts are in which group and when each last heard it. */
  speakers?: GroupSpeakers;
  /** Says a group reply through the group's speaker (default: the account that heard the message). */
  groupReply?: (
    roomId: string,
    talker: Contact,
    text: string,
    heardBy: ChannelAccount,
    room: Room,
    priority?: SendPriority,
  ) => Promise<void>;
}

/** What the channel needs of an account: its id, its Wechaty and its replies (through its limiter). */
export type ChannelAccount = Pick<WechatAccount, 'id' | 'bot' | 'replies'>;

/** Turns Wechaty messages (groups and private chats) into IncomingMessages for the robot. */
export class WechatChannel {
  private readonly pending = new Set<Promise<void>>();
  /** Keys of recent group messages and the account that first heard each. */
  private readonly recent: RecentKeys<number>;

  constructor(private readonly deps: WechatChannelDeps) {
    this.recent = new RecentKeys(deps.recentKeys ?? 20_000);
  }

  /**
   * Subscribes to an account's messages, and keeps the list of groups the account is in: every
   * room WeChat lists at login (and again when the contacts and rooms are loaded), and a room the
   * account is added to, not only rooms where someone has spoken. Replies go out through the
   * account that heard the message.
   */
  attach(account: ChannelAccount): void {
    const { bot } = account;
    bot.on('message', (message: Message) => {
      this.track(this.handle(message, account), (err) => this.deps.log.error({ err, messageId: message.id }, 'message handling failed'));
    });
    const listRooms = () => this.track(this.rememberAllRooms(account), (err) => this.deps.log.warn({ err }, 'could not list the rooms'));
    bot.on('login', listRooms);
    bot.on('ready', listRooms);
    bot.on('room-join', (room: Room, invitees: Contact[]) => {
      if (!invitees.some((c) => c.self())) return;
      this.track(this.rememberRooms([room]), (err) => this.deps.log.warn({ err }, 'could not remember the room joined'));
      const speakers = this.deps.speakers;
      if (speakers)
        this.track(speakers.joined(room.id, account.id), (err) => this.deps.log.warn({ err }, 'could not record the room joined'));
    });
    bot.on('room-leave', (room: Room, leavers: Contact[]) => {
      const speakers = this.deps.speakers;
      if (!speakers || !leavers.some((c) => c.self())) return;
      this.track(speakers.left(room.id, account.id), (err) => this.deps.log.warn({ err }, 'could not record the room left'));
    });
  }

  private track(work: Promise<void>, onError: (err: unknown) => void): void {
    const p = work.catch(onError).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Records every room the account is in (Wechaty's room list). */
  private async rememberAllRooms(account: ChannelAccount): Promise<void> {
    const rooms = await account.bot.Room.findAll();
    this.deps.roomsListed?.(account.id, rooms.length);
    await this.rememberRooms(rooms);
    await this.deps.speakers?.listed(
      account.id,
      rooms.map((r) => r.id),
    );
    this.deps.log.info({ rooms: rooms.length }, 'rooms listed');
  }

  private async rememberRooms(rooms: Room[]): Promise<void> {
    const listed = await Promise.all(
      rooms.map(async (room) => ({
        roomId: room.id,
        topic: await room.topic(),
        // From the room's payload: no extra call per room.
        memberCount: room.payload?.memberIdList?.length ?? null,
      })),
    );
    await this.deps.groups.rememberRooms(listed);
  }

  /** Waits until every message received so far has been handled. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /**
   * Handles one message an account heard. A group message gets its key (the same for every
   * account that hears it); a copy that another account of this process already handled is
   * skipped here, before any database work; copies heard in other processes are one share by
   * their key and one answer by their claim.
   */
  async handle(message: Message, account: ChannelAccount): Promise<void> {
    if (message.self()) {
      this.deps.metrics.messagesIgnored.inc({ reason: 'self' });
      return;
    }
    const sentAt = message.date();
    if (this.deps.clock.now().getTime() - sentAt.getTime() > this.deps.staleSeconds * 1000) {
      this.deps.metrics.messagesIgnored.inc({ reason: 'stale' });
      return;
    }
    const incoming = await this.toIncoming(message, sentAt);
    if (!incoming) return;
    incoming.via = { accountId: account.id };
    const room = message.room();
    if (incoming.room && this.deps.speakers) {
      // Which accounts hear the group (every copy counts here, also the ones skipped below).
      await this.deps.speakers
        .heard(incoming.room.id, account.id, sentAt)
        .catch((err: unknown) => this.deps.log.debug({ err }, 'could not record that the account heard the group'));
    }
    if (incoming.key) {
      const heardBy = this.recent.get(incoming.key);
      this.recent.set(incoming.key, heardBy ?? account.id);
      // The same account again is a replay: the database ignores it (and counts it as one).
      if (heardBy !== undefined && heardBy !== account.id) {
        this.deps.metrics.duplicatesIgnored.inc({ reason: 'other_account' });
        return;
      }
    }
    if (room && incoming.room) {
      // Knowing the group's topic and last message time is a nicety: a database outage must not
      // keep the share from the spool.
      await this.deps.groups
        .remember(incoming.room.id, incoming.room.topic, sentAt)
        .catch((err: unknown) => this.deps.log.debug({ err }, 'could not remember the group'));
    }
    const talker = message.talker();
    const key = incoming.key;
    const claims = this.deps.claims;
    await this.deps.robot.receive(
      incoming,
      (text, opts) =>
        room && this.deps.groupReply
          ? this.deps.groupReply(room.id, talker, text, account, room, opts?.priority)
          : account.replies.say({ room: room ?? undefined, contact: talker }, text, opts?.priority),
      key && claims ? { claim: (purpose) => claims.claim(key, purpose, this.deps.clock.now()) } : {},
    );
  }

  private async toIncoming(message: Message, sentAt: Date): Promise<IncomingMessage | null> {
    const room = message.room();
    const talker = message.talker();
    const { rules } = this.deps;
    let kind: IncomingMessage['kind'] = 'other';
    let text = '';
    // What the message key takes as the content: the text, the card URL, the mini-program's page.
    let content = '';
    let links: KepuLink[] = [];
    let unknownLinks: UnknownShape[] = [];
    switch (message.type()) {
      case types.Message.Text: {
        kind = 'text';
        text = message.text();
        content = text;
        const scan = scanKepuText(text, rules);
        links = scan.links;
        unknownLinks = scan.unknown;
        break;
      }
      case types.Message.Url: {
        kind = 'url';
        const card = await message.toUrlLink();
        text = card.title() ?? '';
        content = card.url();
        const link = recognizeUrlCard({ url: card.url(), title: card.title(), description: card.description() }, rules);
        links = link ? [link] : [];
        const unknown = link ? undefined : unknownShapeOfCard({ url: card.url() }, rules);
        unknownLinks = unknown ? [unknown] : [];
        break;
      }
      case types.Message.MiniProgram: {
        kind = 'mini-program';
        const mp = await message.toMiniProgram();
        text = mp.title() ?? '';
        content = `${mp.appid() ?? ''}/${mp.pagePath() ?? ''}`;
        const link = recognizeMiniProgram(
          {
            appid: mp.appid(),
            title: mp.title(),
            pagePath: mp.pagePath(),
            username: mp.username(),
            description: mp.description(),
          },
          rules,
        );
        links = link ? [link] : [];
        break;
      }
      default:
        return null;
    }
    return {
      id: message.id,
      key: room ? messageKeyOf({ roomId: room.id, senderId: talker.id, sentAt, kind, content }) : undefined,
      channel: room ? 'wechat-group' : 'wechat-private',
      kind,
      text,
      sentAt,
      sender: { id: talker.id, name: talker.name() },
      room: room ? { id: room.id, topic: await room.topic() } : undefined,
      links,
      unknownLinks,
    };
  }
}
