import { createHash } from 'node:crypto';

/**
 * What every account in a group sees alike of one message: the room, the sender, the send time
 * (WeChat's own, kept to the second), the message type and its content (the text, or the card's
 * URL; for a mini-program card its app id and page path). Message ids are not part of it: two
 * accounts may get equal or different ids for the same message.
 */
export interface MessageFacts {
  roomId: string;
  senderId: string;
  sentAt: Date;
  kind: 'text' | 'url' | 'mini-program' | 'other';
  /** The text, the card URL, or `appid/pagePath` of a mini-program card. */
  content: string;
}

/** The version prefix of message keys; a new recipe gets a new prefix, so old and new keys never meet. */
const KEY_VERSION = 'mk1';

/**
 * The key of a group message, the same for every account that hears it: `mk1-` and the SHA-256
 * (base64url) of the facts, 47 characters. Two messages from one sender in one second with the
 * same type and content have one key (they count as one share).
 */
export function messageKeyOf(facts: MessageFacts): string {
  const second = Math.floor(facts.sentAt.getTime() / 1000);
  // Length-prefixed fields: no choice of room, sender or text can make two fact sets collide.
  const fields = [facts.roomId, facts.senderId, String(second), facts.kind, facts.content];
  const hash = createHash('sha256');
  for (const f of fields) hash.update(`${Buffer.byteLength(f)}:${f};`);
  return `${KEY_VERSION}-${hash.digest('base64url')}`;
}

/**
 * A bounded set of recently seen strings (least recently used evicted): lets one process skip a
 * message a second account of its own just delivered, before any database work.
 */
export class RecentKeys<V> {
  private readonly map = new Map<string, V>();

  constructor(private readonly capacity: number) {}

  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as string);
  }

  get size(): number {
    return this.map.size;
  }
}
