import type { KepuLink } from './kepu-links';

/** One group message that carries a Kepu China link. */
export interface ShareInput {
  messageId: string;
  roomId: string;
  talkerId: string;
  talkerName: string;
  link: KepuLink;
  sentAt: Date;
}
