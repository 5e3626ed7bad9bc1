import type Router from '@koa/router';
import type { AppConfig } from '../../config';
import { callbackRouter, type CallbackDeps } from '../callback/callback-route';
import { WecomApiClient } from './wecom-api';

const WELCOME = '您好，这里是科普e站助手。e站管理员可以在这里登记活动、查看本站指标，发“帮助”查看命令。';

/** The WeCom self-built app's callback (/wecom/callback); late answers go out through message/send. */
export function wecomCallback(
  wecom: NonNullable<AppConfig['wecom']>,
  callbacks: AppConfig['callbacks'],
  deps: CallbackDeps,
  api: WecomApiClient = new WecomApiClient({
    baseUrl: wecom.apiBase,
    corpId: wecom.corpId,
    secret: wecom.secret,
    agentId: wecom.agentId,
    log: deps.log,
  }),
): Router {
  return callbackRouter(
    {
      channel: 'wecom',
      path: '/wecom/callback',
      token: wecom.token,
      aesKey: wecom.encodingAesKey,
      receiveId: wecom.corpId,
      ...callbacks,
      sendLate: (toUser, text) => api.sendText(toUser, text),
      onEvent: (event) => (event === 'enter_agent' || event === 'subscribe' ? WELCOME : null),
    },
    deps,
  );
}
