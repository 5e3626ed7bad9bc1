import type { Message, Wechaty } from 'wechaty';
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
import type { Logger } from '../../logger';
import type { Metrics } from '../../metrics';
import type { GroupService } from '../../services/group.service';
import type { WechatReplies } from './wechat-replies';

export interface WechatChannelDeps {
  robot: Robot;
  rules: LinkRules;
  clock: Clock;
  /** Messages older than this (at arrival) are history replayed on (re)connect: ignored. */
  staleSeconds: number;
  groups: GroupService;
  metrics: Metrics;
  log: Logger;
  /** Every reply goes through the account's limiter. */
  replies: WechatReplies;
}

/** Turns Wechaty messages (groups and private chats) into IncomingMessages for the robot. */
export class WechatChannel {
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly deps: WechatChannelDeps) {}

  /** Subscribes to the bot's messages. */
  attach(bot: Wechaty): void {
    bot.on('message', (message: Message) => {
      const p = this.handle(message)
        .catch((err: unknown) => this.deps.log.error({ err, messageId: message.id }, 'message handling failed'))
        .finally(() => this.pending.delete(p));
      this.pending.add(p);
    });
  }

  /** Waits until every message received so far has been handled. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  async handle(message: Message): Promise<void> {
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
    const room = message.room();
    if (room && incoming.room) {
      // Knowing the group's topic is a nicety: a database outage must not keep the share from the spool.
      await this.deps.groups
        .remember(incoming.room.id, incoming.room.topic)
        .catch((err: unknown) => this.deps.log.debug({ err }, 'could not remember the group'));
    }
    const talker = message.talker();
    await this.deps.robot.receive(incoming, (text) => this.deps.replies.say({ room: room ?? undefined, contact: talker }, text));
  }

  private async toIncoming(message: Message, sentAt: Date): Promise<IncomingMessage | null> {
    const room = message.room();
    const talker = message.talker();
    const { rules } = this.deps;
    let kind: IncomingMessage['kind'] = 'other';
    let text = '';
    let links: KepuLink[] = [];
    let unknownLinks: UnknownShape[] = [];
    switch (message.type()) {
      case types.Message.Text: {
        kind = 'text';
        text = message.text();
        const scan = scanKepuText(text, rules);
        links = scan.links;
        unknownLinks = scan.unknown;
        break;
      }
      case types.Message.Url: {
        kind = 'url';
        const card = await message.toUrlLink();
        text = card.title() ?? '';
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
