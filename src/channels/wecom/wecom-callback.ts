import type Router from '@koa/router';
import { randomBytes } from 'node:crypto';
import type { AppConfig } from '../../config';
import { callbackChannel, callbackRouter, type CallbackChannelSpec, type CallbackDeps } from '../callback/callback-route';
import { openMessage, signedTriple, verifyUrl, wechatDelivery, type EnvelopeKeys } from '../callback/wechat-envelope';
import type { ChannelFactory } from '../channel';
import { WecomApiClient } from './wecom-api';

const WELCOME = '您好，这里是科普e站助手。e站管理员可以在这里登记活动、查看本站指标，发“帮助”查看命令。';

/**
 * The WeCom self-built app's callback (/wecom/callback): always encrypted (msg_signature, the
 * CorpID as receiveid; the query's encrypt_type is not read); answers that miss the deadline go
 * out through message/send.
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
    identityKind: 'wecom-user',
    path: '/wecom/callback',
    bodyLimitBytes: callbacks.bodyLimitBytes,
    replyDeadlineMs: callbacks.replyDeadlineMs,
    verifyUrl: (q, now) => verifyUrl(keys, q, now, true),
    open: (q, body, now) =>
      wechatDelivery(keys, openMessage(keys, q, body, now, true), {
        encrypted: true,
        nonce: q.nonce || randomBytes(8).toString('hex'),
        signed: signedTriple(keys, q, true),
        emptyBody: '',
        now: () => clock.now(),
      }),
    send: (toUser, text) => api.sendText(toUser, text),
    onEvent: (event) => (event === 'enter_agent' || event === 'subscribe' ? WELCOME : null),
  };
}

function apiFor(wecom: NonNullable<AppConfig['wecom']>, log: CallbackDeps['log']): WecomApiClient {
  return new WecomApiClient({ baseUrl: wecom.apiBase, corpId: wecom.corpId, secret: wecom.secret, agentId: wecom.agentId, log });
}

/** The WeCom app as a channel plug-in (null when WECOM_* is not configured). */
export const wecomChannel: ChannelFactory = (config, deps) =>
  config.wecom
    ? callbackChannel(wecomSpec(config.wecom, config.callbacks, deps.wecomApi ?? apiFor(config.wecom, deps.log), deps.clock), deps)
    : null;

/** The WeCom app's callback routes alone (for callers that mount one channel by hand). */
export function wecomCallback(
  wecom: NonNullable<AppConfig['wecom']>,
  callbacks: AppConfig['callbacks'],
  deps: CallbackDeps,
  api: WecomApiClient = apiFor(wecom, deps.log),
): Router {
  return callbackRouter(wecomSpec(wecom, callbacks, api, deps.clock), deps);
}
