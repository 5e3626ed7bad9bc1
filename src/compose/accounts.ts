import type { DataSource } from 'typeorm';
import type { Robot } from '../bot/robot';
import { AccountPool, type PuppetFactory } from '../channels/wechat/account-pool';
import type { DemoWorld } from '../channels/wechat/demo';
import { GroupSpeech } from '../channels/wechat/group-speech';
import { mockAccountPuppet } from '../channels/wechat/kepu-puppet-mock';
import { WechatChannel } from '../channels/wechat/wechat-channel';
import { createServicePuppet, servicePuppetProbe } from '../channels/wechat/wechat-runtime';
import type { AppConfig } from '../config';
import type { BotAccount, BotAccountSource } from '../db/entities';
import type { Services } from '../services';
import type { Ground, Started } from './parts';

/** The WeChat side: the accounts this process drives, each group's speaker, and the channel that hears them. */
export interface WechatPart {
  accounts: AccountPool;
  speech: GroupSpeech;
  channel: WechatChannel;
}

/** The send pacing shared by replies and the send queue. */
export function sendThrottle(config: AppConfig) {
  const s = config.schedule;
  return {
    intervalMs: s.sendIntervalMs,
    jitterMs: s.sendJitterMs,
    dailyCap: s.sendDailyCap,
    perMinute: s.sendPerMinute,
    switchIntervalMs: s.sendSwitchIntervalMs,
    newAccountDays: s.sendNewAccountDays,
    quiet: s.quiet,
    zone: s.zone,
  };
}

/**
 * Starts the accounts this process can take now (attached to the channel before start-up goes
 * on; more later) and elects every group's speaker (now, every couple of seconds, and when an
 * account comes or goes).
 */
export async function startWechat(
  ground: Ground,
  parts: Started,
  { ds, services, robot, demo }: { ds: DataSource; services: Services; robot: Robot; demo: DemoWorld | null },
): Promise<WechatPart> {
  const { config, log, clock, metrics, overrides } = ground;
  const accounts = new AccountPool({
    ds,
    accounts: services.accounts,
    sources: await accountSources(ground, services, demo),
    ownName: config.wechat.name,
    puppetFor: puppetFor(ground, demo),
    maxAccounts: config.wechat.maxAccountsPerProcess,
    throttle: sendThrottle(config),
    clock,
    log: log.child({ component: 'wechat' }),
    metrics,
    reconnectMaxMs: config.wechat.reconnectMaxMs,
    batchWindowMs: config.schedule.sendBatchWindowMs,
    batchMax: config.schedule.sendBatchMax,
    ...overrides.pool,
  });
  parts.accounts = accounts;
  const speech = new GroupSpeech({ ds, pool: accounts, speakers: services.speakers, clock, log: log.child({ component: 'speakers' }) });
  parts.speech = speech;
  const channel = new WechatChannel({
    robot,
    rules: config.links,
    clock,
    staleSeconds: config.counting.staleSeconds,
    groups: services.groups,
    metrics,
    log: log.child({ component: 'wechat-channel' }),
    roomsListed: (id, count) => accounts.groupsListed(id, count),
    claims: services.claims,
    speakers: services.speakers,
    groupReply: (roomId, talker, text, heardBy, room, priority) => speech.reply(roomId, talker, text, heardBy, room, priority),
  });
  parts.channel = channel;
  accounts.on('attached', (account) => channel.attach(account));
  await accounts.start();
  await speech.start();
  return { accounts, speech, channel };
}

/** Which account rows this process drives (registering the test, demo or env account it brings). */
async function accountSources({ config, log, overrides }: Ground, services: Services, demo: DemoWorld | null): Promise<BotAccountSource[]> {
  const sources: BotAccountSource[] = [];
  const wechatName = config.wechat.name;
  if (overrides.puppet) {
    await services.accounts.ensure(wechatName, 'test');
    sources.push('test');
  } else if (demo) {
    await services.accounts.ensure(wechatName, 'demo');
    sources.push('demo');
    log.warn('no WECHATY_PUPPET_SERVICE_TOKEN and no account added: running the demo WeChat (mock puppet, demo county)');
  } else if (config.wechat.puppetService) {
    await services.accounts.ensure(wechatName, 'env');
    // WECHAT_ACCOUNT_COUNTIES: the counties the env account serves (whose staff may scan its QR code).
    const skipped = await services.accounts.setCounties(wechatName, config.wechat.accountCounties, { skipUnknown: true });
    if (skipped.length > 0) log.warn({ counties: skipped }, 'WECHAT_ACCOUNT_COUNTIES names counties that do not exist (yet): ignored');
    sources.push('env');
  }
  if (!demo) sources.push('db');
  return sources;
}

/** How each account reaches WeChat: the test's puppet, the demo's, the env puppet service, or an added account's. */
function puppetFor({ config, overrides }: Ground, demo: DemoWorld | null): PuppetFactory {
  const wechatName = config.wechat.name;
  return (account: BotAccount) => {
    switch (account.source) {
      case 'test':
        return { puppet: overrides.puppet!, wechatyName: wechatName };
      case 'demo':
        return { puppet: demo!.puppet, wechatyName: wechatName, afterStart: () => demo!.login() };
      case 'env':
        return {
          puppet: createServicePuppet(config.wechat.puppetService!),
          wechatyName: wechatName,
          probe: servicePuppetProbe(config.wechat.puppetService!),
        };
      case 'db': {
        const wechatyName = `${wechatName}-${account.id}`;
        if (overrides.puppetFactory) return { puppet: overrides.puppetFactory(account), wechatyName };
        if (config.wechat.accountPuppet === 'mock') return mockAccountPuppet(account, wechatyName);
        const settings = {
          token: account.token ?? undefined,
          endpoint: account.endpoint ?? undefined,
          noTlsInsecureClient: !account.tls,
        };
        return { puppet: createServicePuppet(settings), wechatyName, probe: servicePuppetProbe(settings) };
      }
    }
  };
}
