import createError from 'http-errors';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { callbackChannel, type Delivery } from '../../../../src/channels/callback/callback-route';
import type { ChannelRegistration, ChannelRequest } from '../../../../src/channels/channel';
import type { IdentityKindSpec } from '../../../../src/domain/identity-kinds';

/**
 * The "signed" channel's senders: ids `u-` and lower-case letters or digits. Declared here, with
 * the channel: adding it needs no migration (person_identity takes any kind).
 */
export const SIGNED_USER: IdentityKindSpec = {
  kind: 'signed-user',
  label: '签名渠道账号',
  short: '签名渠道',
  flag: 'signed-user',
  maxLength: 32,
  check: (id) => (/^u-[a-z0-9]+$/.test(id) ? null : '应为 u- 开头、后接小写字母或数字'),
};

/** What the fake "signed" service posts: one JSON message, with the address its answer goes to. */
export interface SignedMessage {
  id: string;
  from: string;
  text: string;
  /** Where the answer to this message goes (a per-message response URL, as DingTalk's sessionWebhook). */
  replyUrl: string;
}

export interface SignedOptions {
  /** The shared secret (configuration's, never the request's). */
  secret: string;
  /** Reply addresses must be under this origin (the service's; anything else is refused, so the bot posts nowhere else). */
  replyOrigin: string;
  maxAgeSeconds: number;
  bodyLimitBytes: number;
}

export const TIMESTAMP_HEADER = 'x-signed-timestamp';
export const SIGNATURE_HEADER = 'x-signed-signature';

/** The signature of a request: hex HMAC-SHA256 of `<timestamp>\n<body>` with the shared secret. */
export function signature(secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}\n${body}`, 'utf8').digest('hex');
}

const BAD_SIGNATURE = '签名不对：请求头 x-signed-signature 应为用约定密钥对“时间戳、换行、消息体”计算的 HMAC-SHA256（十六进制）';

/** Checks the headers' timestamp and signature (401 with a Chinese message otherwise); returns the timestamp. */
function verified(options: SignedOptions, req: ChannelRequest): { timestamp: string; sig: string } {
  const timestamp = req.headers[TIMESTAMP_HEADER] ?? '';
  const sig = req.headers[SIGNATURE_HEADER] ?? '';
  if (!/^\d{1,12}$/.test(timestamp) || !/^[0-9a-f]{64}$/.test(sig))
    throw createError(401, '缺少签名：请在请求头带上 x-signed-timestamp 和 x-signed-signature');
  const age = Math.abs(req.receivedAt.getTime() / 1000 - Number(timestamp));
  if (age > options.maxAgeSeconds) throw createError(401, `时间戳超出 ${options.maxAgeSeconds} 秒的有效期，请用当前时间重新签名`);
  const expected = Buffer.from(signature(options.secret, timestamp, req.body), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(sig, 'hex'))) throw createError(401, BAD_SIGNATURE);
  return { timestamp, sig };
}

/** The reply address of a message, when it is under the configured origin (400 otherwise). */
function replyAddress(options: SignedOptions, raw: unknown): string {
  let url: URL | null = null;
  try {
    url = typeof raw === 'string' && raw.length <= 512 ? new URL(raw) : null;
  } catch {
    url = null;
  }
  if (!url || url.origin !== new URL(options.replyOrigin).origin) throw createError(400, 'replyUrl 应为本渠道服务的回复地址');
  return url.toString();
}

/** Posts an answer to a message's reply address (the fake service answers 2xx; anything else is a failure, logged by the route). */
async function postAnswer(replyTo: string, text: string): Promise<void> {
  const res = await fetch(replyTo, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
    signal: AbortSignal.timeout(5000),
  });
  if (!res.ok) throw new Error(`reply address answered ${res.status}`);
}

/**
 * A channel plug-in that signs in headers (as DingTalk's and Feishu's robots do) and answers each
 * message at the address the message gave, never in the HTTP response: POST /signed/callback with
 * JSON, headers x-signed-timestamp and x-signed-signature. Its senders have their own identity
 * kind. Dedupe, robot, audit and the signature-once rule are the shared callback code.
 */
export function signedChannel(options: SignedOptions): ChannelRegistration {
  return {
    identity: SIGNED_USER,
    notConfigured: () => null,
    build: (_config, deps) =>
      callbackChannel(
        {
          name: 'signed',
          identityKind: SIGNED_USER.kind,
          path: '/signed/callback',
          bodyLimitBytes: options.bodyLimitBytes,
          replyDeadlineMs: 0,
          verifyUrl: (req) => {
            verified(options, req);
            return 'ok';
          },
          open: (req): Delivery => {
            const { timestamp, sig } = verified(options, req);
            let m: Partial<SignedMessage>;
            try {
              m = JSON.parse(req.body) as Partial<SignedMessage>;
            } catch {
              throw createError(400, '消息体不是合法的 JSON');
            }
            return {
              from: typeof m.from === 'string' ? m.from : undefined,
              type: 'text',
              text: typeof m.text === 'string' ? m.text : '',
              messageId: typeof m.id === 'string' ? m.id : undefined,
              createTime: timestamp,
              signed: {
                signature: sig,
                timestamp,
                nonce: '',
                validUntil: new Date((Number(timestamp) + options.maxAgeSeconds) * 1000),
              },
              replyTo: replyAddress(options, m.replyUrl),
              empty: { type: 'application/json', body: '{}' },
            };
          },
          send: (replyTo, text) => postAnswer(replyTo, text),
        },
        deps,
      ),
  };
}
