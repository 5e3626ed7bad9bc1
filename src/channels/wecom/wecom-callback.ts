import type Router from '@koa/router';
import { randomBytes } from 'node:crypto';
import type { AppConfig } from '../../config';
import { WECOM_USER } from '../../domain/identity-kinds';
import { notConfigured } from '../../services/channels';
import { callbackChannel, callbackRouter, type CallbackChannelSpec, type CallbackDeps } from '../callback/callback-route';
import { openMessage, signedTriple, verifyUrl, wechatDelivery, type EnvelopeKeys } from '../callback/wechat-envelope';
import type { ChannelRegistration } from '../channel';
import type { WecomApiClient } from './wecom-api';
import { wecomClient } from './wecom-client';

const WELCOME = '您好，这里是科普e站助手。e站管理员可以在这里登记活动、查看本站指标，发“帮助”查看命令。';

/**
 * The WeCom self-built app's callback (/wecom/callback): always encrypted (msg_signature, the
 * CorpID as receiveid; the query's encrypt_type is not read); answers that miss the deadline go
 * out through message/send to the sender.
 */
export function wecomSpec(
  wecom: NonNullable<AppConfig['wecom']>,
  callbacks: AppConfig['callbacks'],
  api: WecomApiClient,
  clock: CallbackDeps['clock'],
): CallbackChannelSpec {
  const keys: EnvelopeKeys = {
    token: wecom.token,
    aesKey: wecom.encodingAesKey,
    receiveId: wecom.corpId,
    maxAgeSeconds: callbacks.maxAgeSeconds,
  };
  return {
    name: 'wecom',
    identityKind: WECOM_USER.kind,
    path: '/wecom/callback',
    bodyLimitBytes: callbacks.bodyLimitBytes,
    replyDeadlineMs: callbacks.replyDeadlineMs,
    verifyUrl: (req) => verifyUrl(keys, req.query, req.receivedAt, true),
    open: (req) =>
      wechatDelivery(keys, openMessage(keys, req.query, req.body, req.receivedAt, true), {
        encrypted: true,
        nonce: req.query.nonce || randomBytes(8).toString('hex'),
        signed: signedTriple(keys, req.query, true),
        emptyBody: '',
        now: () => clock.now(),
      }),
    send: (toUser, text) => api.sendText(toUser, text),
    onEvent: (event) => (event === 'enter_agent' || event === 'subscribe' ? WELCOME : null),
  };
}

/** The WeCom app as a channel plug-in (built when WECOM_* is configured), its senders known by their WeCom user id. */
export const wecomChannel: ChannelRegistration = {
  identity: WECOM_USER,
  notConfigured: (config) => notConfigured(config, 'wecom'),
  build: (config, deps) =>
    config.wecom ? callbackChannel(wecomSpec(config.wecom, config.callbacks, wecomClient(config.wecom, deps.log), deps.clock), deps) : null,
};

/** The WeCom app's callback routes alone (for callers that mount one channel by hand). */
export function wecomCallback(
  wecom: NonNullable<AppConfig['wecom']>,
  callbacks: AppConfig['callbacks'],
  deps: CallbackDeps,
  api: WecomApiClient = wecomClient(wecom, deps.log),
): Router {
  return callbackRouter(wecomSpec(wecom, callbacks, api, deps.clock), deps);
}
