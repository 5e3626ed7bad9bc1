import createError from 'http-errors';
import { timingSafeEqual } from 'node:crypto';
import { callbackChannel, type Delivery } from '../../../src/channels/callback/callback-route';
import type { ChannelRegistration } from '../../../src/channels/channel';
import { MP_OPENID } from '../../../src/domain/identity-kinds';

/** What the fake "testchat" service posts: one JSON message per callback, signed by a shared token. */
export interface TestchatMessage {
  id: string;
  from: string;
  type: 'text' | 'event' | 'image';
  text?: string;
  event?: string;
  at?: number;
}

export interface TestchatOptions {
  token: string;
  bodyLimitBytes: number;
  replyDeadlineMs: number;
  /** Where answers sent after the deadline go (the fake service's inbox). */
  send(to: string, text: string): Promise<void>;
}

function sameToken(expected: string, given: string | undefined): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given ?? '');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * A channel plug-in for tests: JSON callbacks at /testchat/callback, the token in the query, JSON
 * replies; senders are identified by their Official Account openid (a channel may share a kind:
 * tests/support/channels/signed/ has its own). Everything else (dedupe, robot, audit, deadline,
 * late send) is the shared callback code.
 */
export function testchat(options: TestchatOptions): ChannelRegistration {
  return {
    identity: MP_OPENID,
    notConfigured: () => null,
    build: (_config, deps) =>
      callbackChannel(
        {
          name: 'testchat',
          identityKind: MP_OPENID.kind,
          path: '/testchat/callback',
          bodyLimitBytes: options.bodyLimitBytes,
          replyDeadlineMs: options.replyDeadlineMs,
          verifyUrl: ({ query: q }) => {
            if (!sameToken(options.token, q.token)) throw createError(403, 'token mismatch');
            return q.challenge ?? '';
          },
          open: ({ query: q, body }): Delivery => {
            if (!sameToken(options.token, q.token)) throw createError(403, 'token mismatch');
            let m: TestchatMessage;
            try {
              m = JSON.parse(body) as TestchatMessage;
            } catch {
              throw createError(400, 'malformed JSON');
            }
            return {
              from: m.from,
              type: m.type,
              text: m.text,
              event: m.event,
              messageId: m.id,
              createTime: m.at === undefined ? undefined : String(m.at),
              reply: (text) => ({ type: 'application/json', body: JSON.stringify({ to: m.from, text }) }),
              empty: { type: 'application/json', body: '{}' },
            };
          },
          send: (to, text) => options.send(to, text),
          onEvent: (event) => (event === 'follow' ? '欢迎使用 testchat' : null),
        },
        deps,
      ),
  };
}

/** The fake testchat service's inbox: answers the channel sent after the reply deadline. */
export class TestchatInbox {
  readonly sent: Array<{ to: string; text: string }> = [];
  private waiters: Array<() => void> = [];

  async deliver(to: string, text: string): Promise<void> {
    this.sent.push({ to, text });
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves once `n` messages have arrived. */
  async received(n: number): Promise<void> {
    while (this.sent.length < n) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
}
