import type Router from '@koa/router';
import type { AppConfig } from '../../config';
import { callbackRouter, type CallbackDeps } from '../callback/callback-route';

const WELCOME = '欢迎关注！e站管理员登记后，可以直接在这里发送命令登记活动、查看本站指标，发“帮助”查看命令。';

/** The Official Account's callback (/mp/callback), in plain mode or safe (encrypted) mode. */
export function mpCallback(mp: NonNullable<AppConfig['mp']>, callbacks: AppConfig['callbacks'], deps: CallbackDeps): Router {
  return callbackRouter(
    {
      channel: 'mp',
      path: '/mp/callback',
      token: mp.token,
      aesKey: mp.encodingAesKey,
      receiveId: mp.appId,
      ...callbacks,
      onEvent: (event) => (event === 'subscribe' ? WELCOME : null),
    },
    deps,
  );
}
