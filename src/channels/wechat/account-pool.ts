/**
 * AccountPool: the WeChat accounts this process drives, one WechatRuntime per account it holds a
 * lease on (bot_account_lease, PostgreSQL; see src/services/account-lease.service.ts).
 *
 * The interface other parts use (keep it stable):
 *   pool.start()                     first heartbeat + scan (accounts attached), then every `tickMs`
 *   pool.stop()                      detaches every account and lets its lease go (another process takes it at once)
 *   pool.list(): WechatAccount[]     the accounts attached now, by id;  pool.get(id), pool.byName(name)
 *   pool.on('attached', (account: WechatAccount) => …)   before its runtime starts (subscribe to its bot here)
 *   pool.on('detached', (accountId, reason: DetachReason) => …)   after it was taken out of list()
 *   pool.assertLease(m, accountId)   the fencing check inside a sending transaction (throws LeaseLostError)
 *   pool.summary(): WechatStatus     one status for /healthz and the overview (the best account's)
 *   pool.readiness()                 ready = at least one account online here (or, holding none, in another process)
 *   pool.tick()                      one heartbeat + scan now (tests)
 *   pool.senderFor(channel, id)      the account a scheduled message goes out through (first held account in the room)
 *   WechatAccount = { id, name, source, runtime, bot, fencingToken, replies, limiter }
 *   Each account's replies and sends pass its own WechatSendLimiter (key `account:<id>`), which
 *   runs the fencing check in its booking transaction.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { Wechaty } from 'wechaty';
import type * as PUPPET from 'wechaty-puppet';
import type { Clock } from '../../clock';
import type { BotAccount, BotAccountSource } from '../../db/entities';
import type { Logger } from '../../logger';
import type { Metrics } from '../../metrics';
import { AccountLeaseStore, LeaseLostError, type HeldLease } from '../../services/account-lease.service';
import { sendSlotKey, type BotAccountService } from '../../services/bot-account.service';
import { WechatSendLimiter, type ThrottleOptions } from '../../services/wechat-send-limiter';
import { WechatReplies, type PendingReply } from './wechat-replies';
import { WechatRuntime, type WechatStatus } from './wechat-runtime';

/** One account this process drives. */
export interface WechatAccount {
  id: number;
  name: string;
  source: BotAccountSource;
  runtime: WechatRuntime;
  bot: Wechaty;
  /** The fencing token of this process's lease (a bigint, as text). */
  fencingToken: string;
  /** The account's immediate replies (its own queue, through its limiter). */
  replies: WechatReplies;
  /** The account's send budget (shared with other processes through PostgreSQL). */
  limiter: WechatSendLimiter;
}

/** Why an account left this process. */
export type DetachReason = 'paused' | 'removed' | 'lease-lost' | 'stopping';

/** How to reach an account: its puppet, and optionally a reachability probe and a hook once started. */
export interface AccountPuppet {
  puppet: PUPPET.Puppet;
  /** Wechaty's name for the instance. */
  wechatyName: string;
  probe?: () => Promise<void>;
  /** Called once the puppet has started (the demo and the test mock log in here). */
  afterStart?: () => void;
}

/** Builds the puppet of an account (service puppet in production; mocks in the demo and tests). */
export type PuppetFactory = (account: BotAccount) => AccountPuppet;

export interface AccountPoolOptions {
  ds: DataSource;
  accounts: BotAccountService;
  /** Which account rows this process may drive (e.g. ['env', 'db']; the demo ['demo']). */
  sources: BotAccountSource[];
  /**
   * The name of this configuration's own account (WECHATY_NAME): env, demo and test rows of
   * another name (WECHATY_NAME changed since) are never driven on its puppet.
   */
  ownName: string;
  puppetFor: PuppetFactory;
  /** MAX_ACCOUNTS_PER_PROCESS. */
  maxAccounts: number;
  throttle: ThrottleOptions;
  /** Replies of one group waiting together within this window go out as one message (SEND_BATCH_WINDOW_MS). */
  batchWindowMs?: number;
  /** At most this many people in one batched message (SEND_BATCH_MAX). */
  batchMax?: number;
  clock: Clock;
  log: Logger;
  metrics?: Metrics;
  reconnectMaxMs?: number;
  /** Heartbeat + scan interval. Default 3 s. */
  tickMs?: number;
  /** A lease without a heartbeat for this long is free. Default 20 s. */
  ttlSeconds?: number;
  /** Process identity; default hostname:pid:random. */
  holder?: string;
}

interface Held {
  account: WechatAccount;
  /** When PostgreSQL last confirmed the lease (process monotonic time, ms). */
  confirmedAt: number;
  offStatus: () => void;
  statusWrite: Promise<void>;
  groups?: number;
}

/** This process's identity in leases: hostname:pid:random. */
export function processHolder(): string {
  return `${hostname().slice(0, 80)}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

const monotonicMs = (): number => Number(process.hrtime.bigint() / 1_000_000n);

export class AccountPool {
  readonly holder: string;
  readonly leases: AccountLeaseStore;
  private readonly held = new Map<number, Held>();
  private readonly attachedListeners = new Set<(account: WechatAccount) => void>();
  private readonly detachedListeners = new Set<(accountId: number, reason: DetachReason) => void>();
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private stopped = false;
  private readonly tickMs: number;
  /** What a "too frequent"/"restricted" send error does (set by compose once alerts exist); none: the reply is dropped. */
  restrictions: {
    restricted(account: { id: number; name: string }, pending: PendingReply[]): Promise<unknown>;
    sent(accountId: number): void;
  } | null = null;
  private readonly ttlSeconds: number;

  constructor(private readonly options: AccountPoolOptions) {
    this.holder = options.holder ?? processHolder();
    this.tickMs = options.tickMs ?? 3000;
    this.ttlSeconds = options.ttlSeconds ?? 20;
    this.leases = new AccountLeaseStore(options.ds, this.holder, this.ttlSeconds);
  }

  on(event: 'attached', listener: (account: WechatAccount) => void): () => void;
  on(event: 'detached', listener: (accountId: number, reason: DetachReason) => void): () => void;
  on(event: 'attached' | 'detached', listener: never): () => void {
    const set = (event === 'attached' ? this.attachedListeners : this.detachedListeners) as Set<unknown>;
    set.add(listener);
    return () => set.delete(listener);
  }

  list(): WechatAccount[] {
    return [...this.held.values()].map((h) => h.account).sort((a, b) => a.id - b.id);
  }

  get(id: number): WechatAccount | undefined {
    return this.held.get(id)?.account;
  }

  byName(name: string): WechatAccount | undefined {
    return this.list().find((a) => a.name === name);
  }

  /** Attaches what it can now, then keeps heartbeating and scanning every tickMs. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.tick();
    if (this.stopped) return;
    this.timer = setInterval(() => void this.tick(), this.tickMs);
    this.timer.unref();
  }

  /** Detaches every account (its replies finish or drop, its runtime stops) and releases the leases. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.ticking;
    await Promise.all(this.list().map((a) => this.detach(a.id, 'stopping')));
  }

  /** The fencing check for a send through `accountId`, inside the sending transaction. */
  async assertLease(m: EntityManager, accountId: number): Promise<void> {
    const held = this.held.get(accountId);
    if (!held) throw new LeaseLostError(accountId);
    await this.leases.assert(m, this.leaseOf(held.account));
  }

  /** The counties-independent status of the best account here (online first), for /healthz and the overview. */
  summary(): WechatStatus {
    const statuses = this.list().map((a) => a.runtime.status());
    const best = statuses.find((s) => s.state !== 'stopped' && s.connected && s.loggedIn) ?? statuses[0];
    const lastMessageAt = statuses.reduce<Date | null>(
      (max, s) => (s.lastMessageAt && (!max || s.lastMessageAt > max) ? s.lastMessageAt : max),
      null,
    );
    if (!best) {
      return {
        state: 'stopped',
        loggedIn: false,
        connected: false,
        since: null,
        reason: '本进程没有连接微信号',
        qrcode: null,
        lastMessageAt,
      };
    }
    return { ...best, lastMessageAt };
  }

  /**
   * Ready when an account here is connected and logged in; a process holding none is ready when
   * another live process holds a logged-in account (it stands by). Reasons name accounts by name.
   */
  async readiness(): Promise<{ ready: boolean; reasons: string[] }> {
    const accounts = this.list();
    const reasons: string[] = [];
    for (const a of accounts) {
      const s = a.runtime.status();
      if (s.state !== 'stopped' && s.connected && s.loggedIn) return { ready: true, reasons: [] };
      reasons.push(`微信号“${a.name}”：${s.reason ?? '未就绪'}`);
    }
    if (accounts.length === 0) {
      if ((await this.leases.othersOnline().catch(() => 0)) > 0) return { ready: true, reasons: [] };
      reasons.push('没有可用的微信号（用 kepubot account add 添加，或由其他进程持有）');
    }
    return { ready: false, reasons };
  }

  /**
   * The account an unsolicited message goes out through: the first logged-in account here that
   * is in the room (or knows the contact); null when none is. (Until groups have speakers.)
   */
  async senderFor(channel: 'wechat-room' | 'wechat-contact', recipient: string): Promise<WechatAccount | null> {
    for (const account of this.list()) {
      const s = account.runtime.status();
      if (!s.loggedIn || !s.connected) continue;
      try {
        const found =
          channel === 'wechat-room' ? await account.bot.Room.find({ id: recipient }) : await account.bot.Contact.find({ id: recipient });
        if (found) return account;
      } catch (err) {
        this.options.log.debug({ err, account: account.name }, 'could not look the recipient up');
      }
    }
    return null;
  }

  /** Replies waiting in every account's queue. */
  get repliesWaiting(): number {
    return this.list().reduce((n, a) => n + a.replies.depth, 0);
  }

  /** Records how many groups an account is in (the channel lists them at login). */
  groupsListed(accountId: number, count: number): void {
    const held = this.held.get(accountId);
    if (!held) return;
    held.groups = count;
    this.writeStatus(held);
  }

  /** One heartbeat and scan; ticks never overlap. */
  tick(): Promise<void> {
    if (!this.ticking) {
      this.ticking = this.doTick()
        .catch((err: unknown) => this.options.log.warn({ err }, 'the account pool could not reach PostgreSQL; retrying'))
        .finally(() => (this.ticking = null));
    }
    return this.ticking;
  }

  private async doTick(): Promise<void> {
    if (this.stopped) return;
    const held = [...this.held.values()];
    const alive = await this.leases.heartbeat(held.map((h) => this.leaseOf(h.account)));
    const now = monotonicMs();
    for (const h of held) {
      if (alive.has(h.account.id)) {
        h.confirmedAt = now;
        this.writeStatus(h);
        continue;
      }
      const reason = await this.whyLost(h.account.id);
      this.options.log.warn({ account: h.account.name, reason }, 'the account leaves this process');
      await this.detach(h.account.id, reason);
    }
    if (this.stopped) return;
    const free = this.options.maxAccounts - this.held.size;
    const candidates = await this.leases.candidates(this.options.sources, [...this.held.keys()], free, this.options.ownName);
    for (const row of candidates) {
      if (this.stopped) return;
      await this.attach(row);
    }
  }

  private async whyLost(id: number): Promise<DetachReason> {
    const rows: Array<{ paused: boolean; removed: boolean }> = await this.options.ds.query(
      `SELECT paused, removed_at IS NOT NULL AS removed FROM bot_account WHERE id = $1`,
      [id],
    );
    const r = rows[0];
    if (!r || r.removed) return 'removed';
    return r.paused ? 'paused' : 'lease-lost';
  }

  private leaseOf(account: WechatAccount): HeldLease {
    return { accountId: account.id, fencingToken: account.fencingToken };
  }

  private async attach(row: BotAccount): Promise<void> {
    const { options } = this;
    const fencingToken = await this.leases.acquire(row.id);
    if (!fencingToken) return;
    let made: AccountPuppet;
    try {
      made = options.puppetFor(row);
    } catch (err) {
      options.log.error({ err, account: row.name }, 'could not build the puppet of an account');
      await this.leases.release({ accountId: row.id, fencingToken });
      return;
    }
    const log = options.log.child({ account: row.name });
    const runtime = new WechatRuntime(made.puppet, made.wechatyName, log, {
      clock: options.clock,
      reconnectMaxMs: options.reconnectMaxMs,
      probe: made.probe,
    });
    const lease: HeldLease = { accountId: row.id, fencingToken };
    const limiter = new WechatSendLimiter(options.throttle, Math.random, sendSlotKey(row.id), (m) => this.leases.assert(m, lease), row.id);
    const replies = new WechatReplies(
      options.ds,
      limiter,
      options.clock,
      {
        intervalMs: options.throttle.intervalMs,
        batchWindowMs: options.batchWindowMs,
        batchMax: options.batchMax,
        restricted: async (pending) => {
          await this.restrictions?.restricted({ id: row.id, name: row.name }, pending);
        },
        sent: () => this.restrictions?.sent(row.id),
        lease: {
          lost: () => void this.detach(row.id, 'lease-lost'),
          freshLocally: () => this.freshLocally(row.id),
        },
      },
      log.child({ component: 'replies' }),
      options.metrics,
    );
    const account: WechatAccount = {
      id: row.id,
      name: row.name,
      source: row.source,
      runtime,
      bot: runtime.bot,
      fencingToken,
      replies,
      limiter,
    };
    const held: Held = { account, confirmedAt: monotonicMs(), offStatus: () => undefined, statusWrite: Promise.resolve() };
    this.held.set(row.id, held);
    held.offStatus = runtime.onChange(() => this.writeStatus(held));
    log.info({ fencingToken }, 'account attached to this process');
    for (const listener of this.attachedListeners) {
      try {
        listener(account);
      } catch (err) {
        log.error({ err }, 'an account listener failed');
      }
    }
    runtime.start();
    if (made.afterStart) {
      const after = made.afterStart;
      void runtime.started.then(() => {
        if (this.held.get(row.id)?.account === account) after();
      });
    }
  }

  /** Takes an account out of this process: out of list() first (no new sends), then its replies and runtime stop. */
  private async detach(id: number, reason: DetachReason): Promise<void> {
    const held = this.held.get(id);
    if (!held) return;
    this.held.delete(id);
    held.offStatus();
    for (const listener of this.detachedListeners) {
      try {
        listener(id, reason);
      } catch (err) {
        this.options.log.error({ err }, 'an account listener failed');
      }
    }
    const { account } = held;
    await account.replies.stop();
    await account.runtime.stop();
    await held.statusWrite;
    if (reason === 'lease-lost') return;
    try {
      await this.options.accounts.writeStatus(account.id, this.holder, {
        state: 'stopped',
        loggedIn: false,
        qrcode: null,
        lastEventAt: null,
      });
      await this.leases.release(this.leaseOf(account));
    } catch (err) {
      this.options.log.warn({ err, account: account.name }, 'could not release the lease (it expires by itself)');
    }
    this.options.log.info({ account: account.name, reason }, 'account detached from this process');
  }

  /** Whether the lease may still be ours without asking PostgreSQL (confirmed within the TTL, with a margin). */
  private freshLocally(id: number): boolean {
    const held = this.held.get(id);
    if (!held) return false;
    return monotonicMs() - held.confirmedAt < Math.max(1, this.ttlSeconds - 5) * 1000;
  }

  /** Writes the account's status to its row (serialised per account; failures only logged). */
  private writeStatus(held: Held): void {
    const { account } = held;
    held.statusWrite = held.statusWrite.then(async () => {
      const s = account.runtime.status();
      let user: { name: string; id: string } | undefined;
      if (s.loggedIn) {
        try {
          const me = account.bot.currentUser;
          user = { name: me.name(), id: me.id };
        } catch {
          user = undefined;
        }
      }
      await this.options.accounts
        .writeStatus(
          account.id,
          this.holder,
          {
            state: s.state,
            loggedIn: s.loggedIn,
            ...(user ? { wechatName: user.name, wechatUserId: user.id } : {}),
            qrcode: s.qrcode,
            lastEventAt: s.lastMessageAt,
          },
          held.groups,
        )
        .catch((err: unknown) => this.options.log.debug({ err }, 'could not write the account status'));
    });
  }
}
