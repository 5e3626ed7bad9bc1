import { PuppetMock, mock } from 'wechaty-puppet-mock';
import * as PUPPET from 'wechaty-puppet';
import type { MessageFacts } from '../../domain/message-key';
import type { AccountPuppet } from './account-pool';

export interface InjectedMessage {
  talkerId: string;
  roomId?: string;
  /** Defaults to a fresh id; pass the same id twice to simulate a replay after a reconnect. */
  id?: string;
  /** Defaults to now. */
  timestamp?: number;
  text?: string;
}

let sequence = 0;

/**
 * The mock puppet, able to deliver link cards and mini-program cards (the stock PuppetMock
 * only sends text and files), messages with a chosen id and time, and a `ready` event.
 * Used by the demo and by the tests.
 */
export class KepuPuppetMock extends PuppetMock {
  private readonly urlLinks = new Map<string, PUPPET.payloads.UrlLink>();
  private readonly miniPrograms = new Map<string, PUPPET.payloads.MiniProgram>();
  /** Injected messages; kept here so a replayed id is delivered again instead of rejected. */
  private readonly injected = new Map<string, PUPPET.payloads.Message>();

  constructor(options: { mocker?: mock.Mocker } = {}) {
    super({ mocker: options.mocker ?? new mock.Mocker() });
  }

  /** Delivers a text message as if `talkerId` had sent it. Returns the message id. */
  injectText(msg: InjectedMessage & { text: string }): string {
    return this.inject(msg, PUPPET.types.Message.Text, msg.text);
  }

  /** Delivers a link card (Wechaty MessageType.Url). */
  injectUrlLink(msg: InjectedMessage, card: PUPPET.payloads.UrlLink): string {
    const id = this.inject(msg, PUPPET.types.Message.Url, card.title);
    this.urlLinks.set(id, card);
    this.emit('message', { messageId: id });
    return id;
  }

  /** Delivers a mini-program card (Wechaty MessageType.MiniProgram). */
  injectMiniProgram(msg: InjectedMessage, card: PUPPET.payloads.MiniProgram): string {
    const id = this.inject(msg, PUPPET.types.Message.MiniProgram, card.title ?? '');
    this.miniPrograms.set(id, card);
    this.emit('message', { messageId: id });
    return id;
  }

  /** Announces that the account's contacts and rooms are loaded (the mock never does). */
  announceReady(): void {
    this.emit('ready', { data: 'mock ready' });
  }

  /** What every account sees alike of an injected group message (the facts of its message key). */
  factsOf(id: string): MessageFacts | undefined {
    const p = this.injected.get(id);
    if (!p?.roomId) return undefined;
    const card = this.urlLinks.get(id);
    const mp = this.miniPrograms.get(id);
    return {
      roomId: p.roomId,
      senderId: p.talkerId ?? '',
      sentAt: new Date(p.timestamp),
      kind: card ? 'url' : mp ? 'mini-program' : 'text',
      content: card ? card.url : mp ? `${mp.appid ?? ''}/${mp.pagePath ?? ''}` : (p.text ?? ''),
    };
  }

  override async messageRawPayload(id: string): Promise<PUPPET.payloads.Message> {
    return this.injected.get(id) ?? super.messageRawPayload(id);
  }

  override async messageUrl(messageId: string): Promise<PUPPET.payloads.UrlLink> {
    return this.urlLinks.get(messageId) ?? super.messageUrl(messageId);
  }

  override async messageMiniProgram(messageId: string): Promise<PUPPET.payloads.MiniProgram> {
    return this.miniPrograms.get(messageId) ?? super.messageMiniProgram(messageId);
  }

  private inject(msg: InjectedMessage, type: PUPPET.types.Message, text: string): string {
    const id = msg.id ?? `kepu-mock-${Date.now().toString(36)}-${(sequence++).toString(36)}`;
    const base = {
      id,
      talkerId: msg.talkerId,
      timestamp: msg.timestamp ?? Date.now(),
      type,
      text,
    };
    const payload: PUPPET.payloads.Message = msg.roomId
      ? { ...base, roomId: msg.roomId, mentionIdList: [] }
      : { ...base, listenerId: this.currentUserId };
    this.injected.set(id, payload);
    if (type === PUPPET.types.Message.Text) this.emit('message', { messageId: id });
    return id;
  }
}

/**
 * WECHAT_ACCOUNT_PUPPET=mock (tests only): an added account on a mock puppet of its own, logged
 * in as a contact named after the account, so several processes can be driven without a puppet service.
 */
export function mockAccountPuppet(account: { id: number; name: string }, wechatyName: string): AccountPuppet {
  const puppet = new KepuPuppetMock();
  return {
    puppet,
    wechatyName,
    afterStart: () => puppet.mocker.login(puppet.mocker.createContact({ id: `mock-account-${account.id}`, name: account.name })),
  };
}
