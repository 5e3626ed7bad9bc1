import type * as PUPPET from 'wechaty-puppet';
import { KepuPuppetMock } from '../../src/channels/wechat/kepu-puppet-mock';
import { ManualClock } from '../../src/clock';
import { compose, type Kepubot } from '../../src/compose';
import { loadConfig } from '../../src/config';
import { Informant, WechatGroup } from '../../src/db/entities';
import { dayOf } from '../../src/domain/calendar';
import { createLogger, type Logger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import { joinRoster } from '../../src/services/roster-history';
import { createTestDatabase, type TestDatabase } from './db';

/** A message a bot account said (any account, any process). */
export interface SaidMessage {
  account: string;
  conversationId: string;
  text: string;
  mentions?: string[];
}

/** What a member says, delivered to every listening account. */
export type Said = { talkerId: string; roomId: string; text: string } | { talkerId: string; roomId: string; card: PUPPET.payloads.UrlLink };

/**
 * Several bot accounts (each a mock puppet of its own, as separate WeChat accounts are) in the
 * same WeChat groups: the same room ids and member ids seen by every account. The accounts run
 * in one kepubot process or each in its own (several compose() on one database, as several
 * processes share PostgreSQL). A member's message is delivered to every account still running,
 * with equal or different message ids and the same time.
 */
export interface AccountWorld {
  db: TestDatabase;
  clock: ManualClock;
  /** The kepubot processes (compose), in start order. */
  processes: Kepubot[];
  puppets: Map<string, KepuPuppetMock>;
  /** Everything the bot accounts said, in order. */
  said: SaidMessage[];
  /** Account id by name. */
  accountIds: Record<string, number>;
  world(roomId: string, topic: string, members: Array<{ id: string; name: string }>): Promise<void>;
  /** Delivers a member's message to every listening account (or only `to`); ids equal or different per account. */
  say(message: Said, opts: { ids: 'same' | 'different'; at: number; to?: string[] }): void;
  /** The processes still running. */
  live(): Kepubot[];
  /** The process that drives an account now, if any. */
  holderOf(name: string): Kepubot | undefined;
  settle(): Promise<void>;
  /** Elects in every live process (as their timers do every 2 s). */
  elect(): Promise<void>;
  /** Ticks every live process's send queue until nothing more goes out. */
  drainOutboxes(now: Date): Promise<number>;
  seedStation(opts: { station: string; roomId: string; informants: Array<{ name: string; contactId?: string }> }): Promise<number>;
  stop(): Promise<void>;
}

let messageSeq = 0;

export async function startAccountWorld(opts: {
  now: Date;
  accounts: string[];
  /** 1: every account in one process; otherwise one process per account. */
  processes: 1 | 'one-per-account';
  log?: Logger;
  /** More configuration (e.g. COVERAGE_ALERT_MINUTES). */
  env?: Record<string, string>;
}): Promise<AccountWorld> {
  const log = opts.log ?? createLogger('silent');
  const db = await createTestDatabase(log);
  const clock = new ManualClock(opts.now);
  const said: SaidMessage[] = [];
  const puppets = new Map<string, KepuPuppetMock>();
  const accountIds: Record<string, number> = {};
  for (const name of opts.accounts) {
    const [row]: Array<{ id: number }> = await db.ds.query(`INSERT INTO bot_account (name, source) VALUES ($1, 'db') RETURNING id`, [name]);
    accountIds[name] = row.id;
    const puppet = new KepuPuppetMock();
    const send = puppet.messageSendText.bind(puppet);
    puppet.messageSendText = async (conversationId: string, text: string, mentionIdList?: string[]) => {
      said.push({ account: name, conversationId, text, ...(mentionIdList?.length ? { mentions: mentionIdList } : {}) });
      return send(conversationId, text);
    };
    puppets.set(name, puppet);
  }
  const selfOf = (name: string) => `self-${name}`;
  const perProcess = opts.processes === 1 ? opts.accounts.length : 1;
  const processes: Kepubot[] = [];
  const stopped = new Set<Kepubot>();
  const count = opts.processes === 1 ? 1 : opts.accounts.length;
  for (let i = 0; i < count; i++) {
    const config = loadConfig({
      LOG_LEVEL: 'silent',
      SHARE_BATCH_WAIT_MS: '0',
      SEND_INTERVAL_MS: '0',
      SEND_JITTER_MS: '0',
      SEND_GROUP_SWITCH_MS: '0',
      SEND_BATCH_WINDOW_MS: '0',
      SEND_PER_MINUTE: '600',
      WECHATY_NAME: `acc-${Math.random().toString(36).slice(2)}`,
      MAX_ACCOUNTS_PER_PROCESS: String(perProcess),
      ...opts.env,
    });
    const app = await compose(config, {
      dataSource: db.ds,
      puppetFactory: (account) => puppets.get(account.name)!,
      clock,
      log,
      metrics: createMetrics(),
      http: false,
      scheduler: false,
      resilience: false,
    });
    processes.push(app);
    for (const account of app.accounts.list()) {
      await account.runtime.started;
      const puppet = puppets.get(account.name)!;
      puppet.mocker.login(puppet.mocker.createContact({ id: selfOf(account.name), name: `助手${account.name}` }));
    }
  }
  const live = () => processes.filter((p) => !stopped.has(p));
  const holderOf = (name: string) => live().find((p) => p.accounts.byName(name));

  const settle = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setImmediate(r));
      for (const p of live()) {
        await p.channel.idle();
        await p.services.shares.flush();
      }
    }
  };

  const known = new Map<string, Set<string>>();
  const world: AccountWorld['world'] = async (roomId, topic, members) => {
    const selves = opts.accounts.map((n) => ({ id: selfOf(n), name: `助手${n}` }));
    for (const [, puppet] of puppets) {
      const has = known.get(puppet.id) ?? new Set<string>();
      known.set(puppet.id, has);
      for (const m of [...selves, ...members]) {
        if (has.has(m.id)) continue;
        // The account's own contact is created when it logs in.
        if (!puppet.mocker.cacheContactPayload.has(m.id)) puppet.mocker.createContact({ id: m.id, name: m.name });
        has.add(m.id);
      }
      puppet.mocker.createRoom({ id: roomId, topic, memberIdList: [...selves.map((s) => s.id), ...members.map((m) => m.id)] });
      // Contacts and rooms loaded: the account lists its rooms (group_account).
      puppet.announceReady();
    }
    await settle();
  };

  const say: AccountWorld['say'] = (message, o) => {
    const id = `m-${(messageSeq++).toString(36)}`;
    for (const name of o.to ?? opts.accounts) {
      if (!holderOf(name)) continue;
      const puppet = puppets.get(name)!;
      const msg = { id: o.ids === 'same' ? id : `${id}-${name}`, talkerId: message.talkerId, roomId: message.roomId, timestamp: o.at };
      if ('card' in message) puppet.injectUrlLink(msg, message.card);
      else puppet.injectText({ ...msg, text: message.text });
    }
  };

  const seedStation: AccountWorld['seedStation'] = async (s) => {
    const services = processes[0].services;
    const station = await services.stations.add({ name: s.station, county: '测试旗' });
    await db.ds
      .getRepository(WechatGroup)
      .upsert({ roomId: s.roomId, topic: s.station, stationId: station.id, boundAt: opts.now }, ['roomId']);
    const repo = db.ds.getRepository(Informant);
    const informants = await repo.save(
      s.informants.map((i) =>
        repo.create({ stationId: station.id, name: i.name, wechatContactId: i.contactId ?? null, boundAt: i.contactId ? opts.now : null }),
      ),
    );
    await joinRoster(
      db.ds,
      informants.map((i) => i.id),
      dayOf(opts.now),
    );
    return station.id;
  };

  return {
    db,
    clock,
    processes,
    puppets,
    said,
    accountIds,
    world,
    say,
    live,
    holderOf,
    settle,
    elect: async () => {
      for (const p of live()) await p.speech.elect();
    },
    drainOutboxes: async (now) => {
      let sent = 0;
      for (let round = 0; round < 50; round++) {
        let moved = false;
        for (const p of live()) {
          const r = await p.outbox.tick(now);
          if (r === 'sent') sent++;
          if (r !== 'idle') moved = true;
        }
        if (!moved) break;
      }
      await settle();
      return sent;
    },
    seedStation,
    stop: async () => {
      await settle();
      for (const p of live()) {
        stopped.add(p);
        await p.stop();
      }
      await db.close();
    },
  } satisfies AccountWorld;
}

/** Stops one kepubot process of the world (graceful: its leases are let go). */
export async function stopProcess(w: AccountWorld, p: Kepubot): Promise<void> {
  await w.settle();
  w.processes.splice(w.processes.indexOf(p), 1);
  await p.stop();
}
