import type { KepuLink } from './kepu-links';

/**
 * The share id of the n-th (0-based) distinct item of a message: the message's identity itself
 * for the first, `<identity>#<n+1>` for the others. The identity is the message key in WeChat
 * groups (src/domain/message-key.ts: the same for every account that hears the message, whatever
 * ids they got), the message id elsewhere. share_event is unique on it, so a replayed message, or
 * the copy a second account heard (same items in the same order), adds nothing. The ids follow the items'
 * order: a replay after KEPU_URL_RULES changed which links of a message are items may shift them
 * (an item then counts as a raw share again; effective shares still cannot double).
 */
export function shareIdOf(identity: string, index: number): string {
  return index === 0 ? identity : `${identity}#${index + 1}`;
}

/** One content item of a group message carrying Kepu China links (messageId from shareIdOf). */
export interface ShareInput {
  messageId: string;
  roomId: string;
  talkerId: string;
  talkerName: string;
  link: KepuLink;
  sentAt: Date;
}
