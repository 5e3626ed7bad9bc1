import type Router from '@koa/router';
import createError from 'http-errors';
import { randomBytes } from 'node:crypto';
import type { AppConfig } from '../../config';
import { callbackChannel, callbackRouter, type CallbackChannelSpec, type CallbackDeps } from '../callback/callback-route';
import { openMessage, signedTriple, verifyUrl, wechatDelivery, type EnvelopeKeys } from '../callback/wechat-envelope';
import { MP_OPENID } from '../../domain/identity-kinds';
import { notConfigured } from '../../services/channels';
import type { ChannelRegistration } from '../channel';

const WELCOME = '欢迎关注！e站管理员登记后，可以直接在这里发送命令登记活动、查看本站指标，发“帮助”查看命令。';

/**
 * Whether messages are encrypted is configuration's choice, never the request's: with
 * MP_ENCODING_AES_KEY only safe mode (encrypt_type=aes; the compatible mode sends it too and its
 * encrypted part is what is read), without it only plain mode (no encrypt_type, or raw).
 */
function configuredMode(mp: NonNullable<AppConfig['mp']>, encryptType: string | undefined): { encrypted: boolean } {
  const encrypted = mp.encodingAesKey !== undefined;
  const asked = encryptType ?? 'raw';
  if (encrypted && asked !== 'aes') {
    throw createError(400, '已配置 MP_ENCODING_AES_KEY，只接受安全模式（encrypt_type=aes）的消息 (plain-mode callback refused)');
  }
  if (!encrypted && asked !== 'raw') {
    throw createError(400, '没有配置 MP_ENCODING_AES_KEY，只接受明文模式的消息 (encrypted callback refused)');
  }
  return { encrypted };
}

/**
 * The Official Account's callback (/mp/callback): plain mode without an EncodingAESKey, safe mode
 * (encrypt_type=aes, the AppID as receiveid) with one; the request never chooses. The URL
 * verification uses the plain signature in both modes, as WeChat sends it. No customer-service
 * send: an answer that misses the deadline is logged, not sent.
 */
export function mpSpec(
  mp: NonNullable<AppConfig['mp']>,
  callbacks: AppConfig['callbacks'],
  clock: CallbackDeps['clock'],
): CallbackChannelSpec {
  const keys: EnvelopeKeys = { token: mp.token, aesKey: mp.encodingAesKey, receiveId: mp.appId, maxAgeSeconds: callbacks.maxAgeSeconds };
  return {
    name: 'mp',
    identityKind: MP_OPENID.kind,
    path: '/mp/callback',
    bodyLimitBytes: callbacks.bodyLimitBytes,
    replyDeadlineMs: callbacks.replyDeadlineMs,
    verifyUrl: (req) => verifyUrl(keys, req.query, req.receivedAt, false),
    open: ({ query: q, body, receivedAt }) => {
      const { encrypted } = configuredMode(mp, q.encrypt_type);
      return wechatDelivery(keys, openMessage(keys, q, body, receivedAt, encrypted), {
        encrypted,
        nonce: q.nonce || randomBytes(8).toString('hex'),
        signed: signedTriple(keys, q, encrypted),
        emptyBody: 'success',
        now: () => clock.now(),
      });
    },
    onEvent: (event) => (event === 'subscribe' ? WELCOME : null),
  };
}

/** The Official Account as a channel plug-in (built when MP_* is configured), its senders known by their openid. */
export const mpChannel: ChannelRegistration = {
  identity: MP_OPENID,
  notConfigured: (config) => notConfigured(config, 'mp'),
  build: (config, deps) => (config.mp ? callbackChannel(mpSpec(config.mp, config.callbacks, deps.clock), deps) : null),
};

/** The Official Account's callback routes alone (for callers that mount one channel by hand). */
export function mpCallback(mp: NonNullable<AppConfig['mp']>, callbacks: AppConfig['callbacks'], deps: CallbackDeps): Router {
  return callbackRouter(mpSpec(mp, callbacks, deps.clock), deps);
}
