import type { Wechaty } from 'wechaty';
import { type Robot } from '../../src/bot/robot';
import { KepuPuppetMock } from '../../src/channels/wechat/kepu-puppet-mock';
import { type WechatChannel } from '../../src/channels/wechat/wechat-channel';
import { ManualClock } from '../../src/clock';
import { loadConfig, type AppConfig } from '../../src/config';
import { Informant, WechatGroup } from '../../src/db/entities';
import { createLogger, type Logger } from '../../src/logger';
import { createMetrics, type Metrics } from '../../src/metrics';
import type { Services } from '../../src/services';
import { compose } from '../../src/compose';
import { dayOf } from '../../src/domain/calendar';
import { joinRoster } from '../../src/services/roster-history';
import { createTestDatabase, type TestDatabase } from './db';

export interface SentMessage {
  conversationId: string;
  text: string;
  mentions?: string[];
  file?: string;
}

/**
 * A real Wechaty on the mock puppet, wired to the real robot, scripts, services and a fresh
 * PostgreSQL database. Tests make contacts talk and read what was stored and said.
 */
export interface BotHarness {
  db: TestDatabase;
  config: AppConfig;
  services: Services;
  metrics: Metrics;
  clock: ManualClock;
  robot: Robot;
  bot: Wechaty;
  puppet: KepuPuppetMock;
  channel: WechatChannel;
  selfId: string;
  sent: SentMessage[];
  /** Waits until the bot has handled every message injected so far and flushed the shares. */
  settle(): Promise<void>;
  /** A station in a county, with a bound group and informants bound to contacts, on the roster from the harness's start day. */
  seedStation(opts: {
    station: string;
    roomId: string;
    topic?: string;
    informants: Array<{ name: string; contactId?: string; phone?: string }>;
    bindGroup?: boolean;
  }): Promise<{ stationId: number; informants: Informant[] }>;
  /** Registers contacts and a room with the mocker (so Wechaty can load their payloads). */
  world(roomId: string, topic: string, members: Array<{ id: string; name: string }>): void;
  stop(): Promise<void>;
}

/** `log` (default silent) is given to every part, the database's failed-query logging included. */
export async function startHarness(
  env: Record<string, string> = {},
  now = new Date(),
  log: Logger = createLogger('silent'),
): Promise<BotHarness> {
  const db = await createTestDatabase(log);
  // Replies pass the account's limiter; spacing 0 here so tests need not move the clock between answers.
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    SHARE_BATCH_WAIT_MS: '0',
    SEND_INTERVAL_MS: '0',
    SEND_JITTER_MS: '0',
    SEND_GROUP_SWITCH_MS: '0',
    SEND_BATCH_WINDOW_MS: '0',
    SEND_PER_MINUTE: '600',
    WECHATY_NAME: `test-${Math.random().toString(36).slice(2)}`,
    ...env,
  });
  const metrics = createMetrics();
  const clock = new ManualClock(now);
  const puppet = new KepuPuppetMock();
  const sent: SentMessage[] = [];
  const originalSend = puppet.messageSendText.bind(puppet);
  puppet.messageSendText = async (conversationId: string, text: string, mentionIdList?: string[]) => {
    sent.push({ conversationId, text, ...(mentionIdList?.length ? { mentions: mentionIdList } : {}) });
    return originalSend(conversationId, text);
  };
  puppet.messageSendFile = async (conversationId: string, file) => {
    sent.push({ conversationId, text: '', file: file.name });
    return undefined;
  };
  // The real wiring (src/compose.ts), with the test's database, clock and puppet; no HTTP, no
  // scheduler timers, no background database checks.
  const app = await compose(config, {
    dataSource: db.ds,
    puppet,
    clock,
    log,
    metrics,
    http: false,
    scheduler: false,
    resilience: false,
  });
  const { services, robot, channel } = app;
  // The one account (WECHATY_NAME) on the mock puppet.
  const account = app.accounts.list()[0];
  const bot = account.bot;
  await account.runtime.started;
  const self = puppet.mocker.createContact({ id: 'kepubot-self', name: '科普e站助手' });
  puppet.mocker.login(self);

  const settle = async (): Promise<void> => {
    // Wechaty loads each message's payload asynchronously before emitting it.
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setImmediate(r));
      await channel.idle();
      await services.shares.flush();
    }
  };

  const contacts = new Set<string>([self.id]);
  const world: BotHarness['world'] = (roomId, topic, members) => {
    for (const m of members) {
      if (contacts.has(m.id)) continue;
      puppet.mocker.createContact({ id: m.id, name: m.name });
      contacts.add(m.id);
    }
    puppet.mocker.createRoom({ id: roomId, topic, memberIdList: [self.id, ...members.map((m) => m.id)] });
  };

  const seedStation: BotHarness['seedStation'] = async (opts) => {
    const station = await services.stations.add({ name: opts.station, county: '测试旗' });
    if (opts.bindGroup !== false) {
      const repo = db.ds.getRepository(WechatGroup);
      // The bot may already know the room (it lists its rooms at login): bind it, or add it.
      await repo.upsert({ roomId: opts.roomId, topic: opts.topic ?? opts.station, stationId: station.id, boundAt: now }, ['roomId']);
    }
    const repo = db.ds.getRepository(Informant);
    const informants = await repo.save(
      opts.informants.map((i) =>
        repo.create({
          stationId: station.id,
          name: i.name,
          phone: i.phone ?? null,
          wechatContactId: i.contactId ?? null,
          boundAt: i.contactId ? now : null,
        }),
      ),
    );
    await joinRoster(
      db.ds,
      informants.map((i) => i.id),
      dayOf(now),
    );
    return { stationId: station.id, informants };
  };

  return {
    db,
    config,
    services,
    metrics,
    clock,
    robot,
    bot,
    puppet,
    channel,
    selfId: self.id,
    sent,
    settle,
    seedStation,
    world,
    stop: async () => {
      await settle();
      await app.stop();
      await db.close();
    },
  };
}
