import type { SendPriority } from '../domain/send-pacing';
import type { Clock } from '../clock';
import type { AppConfig } from '../config';
import type { KepuLink, UnknownShape } from '../domain/kepu-links';
import type { Logger } from '../logger';
import type { Services } from '../services';
import type { ClaimPurpose } from '../services/message-claims';

export type { ChannelName, IdentityKind } from '../domain/channels';
import type { ChannelName, IdentityKind } from '../domain/channels';
import { WECHAT_CONTACT } from '../domain/identity-kinds';

/** What a listener may serve: a channel by name, or 'private' for every one-to-one channel. */
export type ChannelFilter = ChannelName | 'private';

/** The identity kind of a message's sender: the one its channel declared, else a WeChat contact (the WeChat channels). */
export function identityKindOf(message: Pick<IncomingMessage, 'channel' | 'identityKind'>): IdentityKind {
  return message.identityKind ?? WECHAT_CONTACT.kind;
}

/** Whether a message came through a one-to-one channel (anything but a WeChat group). */
export function isPrivate(message: Pick<IncomingMessage, 'channel'>): boolean {
  return message.channel !== 'wechat-group';
}

/** A message from any channel, in one shape. */
export interface IncomingMessage {
  /** The channel's message id (WeChat message id, WeCom MsgId, ...). */
  id: string;
  /**
   * A WeChat group message's key (src/domain/message-key.ts): the same for every account that
   * hears it, whatever ids they got; shares are identified by it.
   */
  key?: string;
  channel: ChannelName;
  /** Plain text; for cards, the card title. */
  text: string;
  /** 'url' link card, 'mini-program' card, 'text', or 'other' (images, voice, ...). */
  kind: 'text' | 'url' | 'mini-program' | 'other';
  sentAt: Date;
  sender: { id: string; name: string };
  /** Which of a person's identities `sender.id` is; set by every channel plug-in (absent: a WeChat contact). */
  identityKind?: IdentityKind;
  room?: { id: string; topic: string };
  /** Kepu China content links the message carries (recognised by the channel), distinct items in order. */
  links: KepuLink[];
  /** Kepu China URLs of shapes no rule knows (not counted; kept for the operator). */
  unknownLinks?: UnknownShape[];
  /** WeChat only: the bot account (bot_account.id) that heard the message. */
  via?: { accountId: number };
}

/** How a reply is said, beyond its text. */
export interface ReplyOptions {
  /**
   * The text carries a secret that signs someone in (a one-time console link). A channel that keeps
   * answers to repeat them to retried deliveries keeps only a marker: a retry runs the command
   * again (a fresh secret) where replies are encrypted for the account, or gets a hint to ask
   * again; so a listener whose reply is secret must be safe to run again.
   */
  secret?: boolean;
  /** Why it is said (set by the robot: a command's answer, or a prompt the bot makes unasked); answers go first. */
  priority?: SendPriority;
}

/** Says one reply in the conversation a message came from. */
export type ReplyFn = (text: string, options?: ReplyOptions) => Promise<void>;

/** Everything a bot-script handler needs: the message, a way to answer, the services, the clock. */
export interface BotContext {
  listenerId: string;
  message: IncomingMessage;
  /** The match of a `respond`/`hear` pattern against the command text. */
  match: RegExpMatchArray | null;
  /** Answers in the same conversation (in a group, @-mentions the sender). */
  reply: ReplyFn;
  /**
   * True when this copy of the message is the one to act on for `purpose`: a group message heard
   * by several accounts is claimed once (src/services/message-claims.ts); always true elsewhere.
   */
  once(purpose: ClaimPurpose): Promise<boolean>;
  services: Services;
  config: AppConfig;
  clock: Clock;
  log: Logger;
  /** The commands listed in the bot-scripts' headers, for help. */
  help: HelpEntry[];
}

export interface HelpEntry {
  script: string;
  command: string;
  description: string;
  /** Who may run it (header `Audience:`): informant, manager, staff. */
  audience: Audience[];
}

export type Audience = 'informant' | 'manager' | 'staff';

/** What a listener may report about a command, for the audit log. */
export type HandlerOutcome = void | { outcome?: 'ok' | 'invalid' | 'refused'; detail?: string; stationId?: number };

export type Handler = (ctx: BotContext) => Promise<HandlerOutcome> | HandlerOutcome;
