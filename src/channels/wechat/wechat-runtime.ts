import { EventEmitter } from 'node:events';
import { WechatyBuilder, type Wechaty } from 'wechaty';
import * as PUPPET from 'wechaty-puppet';
import { systemClock, type Clock } from '../../clock';
import type { AppConfig } from '../../config';
import type { Logger } from '../../logger';
import { isConnectionWatchable, tcpProbe, WatchedPuppetService } from './watched-puppet-service';

/**
 * starting: first connection under way; online: the puppet is running; reconnecting: the
 * connection to the puppet service was lost and is being re-established; stopped.
 */
export type WechatState = 'starting' | 'online' | 'reconnecting' | 'stopped';

/** What the WeChat side is doing, for /readyz, /healthz and the alerts. */
export interface WechatStatus {
  state: WechatState;
  /** The account is logged in (as last reported by the puppet). */
  loggedIn: boolean;
  /** The puppet (service) is connected; always true for a local puppet once started. */
  connected: boolean;
  /** When `connected`/`loggedIn` last changed (null before the first start). */
  since: Date | null;
  /** Why the bot cannot work now, in Chinese; null when it is connected and logged in. */
  reason: string | null;
  /** The latest login QR code payload while logged out and waiting for a scan. */
  qrcode: string | null;
  /** When the last message from someone else arrived (since this process started); null before any. */
  lastMessageAt: Date | null;
}

/** Exponential backoff with jitter, capped. */
export function backoffMs(attempt: number, baseMs = 1000, capMs = 60_000): number {
  const exp = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 16));
  return Math.round(exp / 2 + Math.random() * (exp / 2));
}

/** Whether the WeChat side can do its work (for /readyz): connected and logged in. */
export function wechatReadiness(status: WechatStatus): { ready: boolean; reason?: string } {
  if (status.state !== 'stopped' && status.connected && status.loggedIn) return { ready: true };
  return { ready: false, reason: status.reason ?? '微信未就绪' };
}

export interface WechatRuntimeOptions {
  clock?: Clock;
  /** First wait between reconnection attempts (doubles each time, with jitter). Default 500 ms. */
  reconnectBaseMs?: number;
  /** Longest wait between reconnection attempts. Default 10 s. */
  reconnectMaxMs?: number;
  /** A cheap reachability check run before each (re)connection attempt; throws when unreachable. */
  probe?: () => Promise<void>;
}

/** One lost connection and how it was recovered (for tests and logs). */
export interface Outage {
  reason: string;
  /** Connection attempts made so far in this outage. */
  attempts: number;
  /** Sum of the backoff waits scheduled so far in this outage. */
  scheduledWaitMs: number;
  recovered: boolean;
}

/**
 * Owns the Wechaty instance: starts it, retries with backoff when the puppet cannot connect, and
 * never lets a puppet failure take the process down. With a puppet service it notices a lost
 * connection the moment the gRPC event stream ends (not when the 60 s puppet watchdog fires),
 * restarts the puppet with backoff (reconnectBaseMs doubling up to reconnectMaxMs) and reports
 * the gap in status(). Subscribe to changes with onChange().
 */
export class WechatRuntime {
  readonly bot: Wechaty;
  private readonly clock: Clock;
  private readonly events = new EventEmitter();
  private state: WechatState = 'stopped';
  private connected = false;
  private loggedIn = false;
  private since: Date | null = null;
  private qrcode: string | null = null;
  private lastMessageAt: Date | null = null;
  private lostReason: string | null = null;
  /** The bot (Wechaty) has started once: later reconnections restart only the puppet. */
  private botStarted = false;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  /** The connection was reported lost while a connection attempt was under way. */
  private lostWhileConnecting: string | null = null;
  private outage: Outage | null = null;
  private markStarted: () => void = () => undefined;
  /** Resolves the first time the puppet has started. */
  readonly started: Promise<void> = new Promise((resolve) => {
    this.markStarted = resolve;
  });

  constructor(
    readonly puppet: PUPPET.Puppet,
    name: string,
    private readonly log: Logger,
    private readonly options: WechatRuntimeOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.events.setMaxListeners(0);
    this.bot = WechatyBuilder.build({ name, puppet });
    // Wechaty's error messages may carry contact or room ids: log the code only.
    this.bot.on('error', (err) => this.log.warn({ code: (err as { code?: unknown }).code ?? null }, 'wechaty error'));
    // When, only: nothing about the message is kept.
    this.bot.on('message', (message) => {
      if (!message.self()) this.lastMessageAt = this.clock.now();
    });
    puppet.on('login', () => {
      this.log.info('WeChat account logged in');
      this.qrcode = null;
      this.set({ loggedIn: true });
    });
    puppet.on('logout', () => {
      // Stopping the puppet (ours, to reconnect) reports a logout too; only a logout while
      // connected is the account's own. (The puppet's reason text is not logged: it may name the account.)
      if (this.connected && !this.stopping) this.log.warn('WeChat account logged out');
      this.set({ loggedIn: false });
    });
    puppet.on('scan', ({ qrcode, status }) => {
      const waiting = status === PUPPET.types.ScanStatus.Waiting || status === PUPPET.types.ScanStatus.Timeout;
      this.log.info(
        { status: PUPPET.types.ScanStatus[status] ?? status, qrcode: waiting ? qrcode : undefined },
        'scan the QR code with the WeChat account the bot should use',
      );
      this.qrcode = waiting && qrcode ? qrcode : null;
      this.emitChange();
    });
    if (isConnectionWatchable(puppet)) puppet.onConnectionLost((reason) => this.connectionLost(reason));
  }

  status(): WechatStatus {
    return {
      state: this.state,
      loggedIn: this.loggedIn,
      connected: this.connected,
      since: this.since,
      reason: this.reason(),
      qrcode: this.loggedIn ? null : this.qrcode,
      lastMessageAt: this.lastMessageAt,
    };
  }

  /** Calls `listener` with the new status after every change; returns a function that unsubscribes. */
  onChange(listener: (status: WechatStatus) => void): () => void {
    this.events.on('change', listener);
    return () => this.events.off('change', listener);
  }

  /** The latest lost connection (null if none so far). */
  lastOutage(): Outage | null {
    return this.outage ? { ...this.outage } : null;
  }

  /** Starts in the background; failures are logged and retried. */
  start(): void {
    this.stopping = false;
    this.state = 'starting';
    this.emitChange();
    void this.attemptConnect();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.state = 'stopped';
    this.set({ connected: false });
    await this.bot.stop().catch((err: unknown) => this.log.warn({ err }, 'stopping WeChat failed'));
  }

  private reason(): string | null {
    if (this.state === 'stopped') return '微信通道已停止';
    if (!this.connected) {
      const tried = this.attempt > 0 ? `，已尝试 ${this.attempt} 次` : '';
      if (this.state === 'starting') return `正在连接微信 puppet 服务${tried}`;
      return `与微信 puppet 服务的连接已断开（${this.lostReason ?? '原因不明'}），正在重连${tried}`;
    }
    if (!this.loggedIn) return this.qrcode ? '微信号已退出登录，等待扫码登录' : '微信号未登录';
    return null;
  }

  private set(change: { connected?: boolean; loggedIn?: boolean }): void {
    const before = [this.connected, this.loggedIn];
    if (change.connected !== undefined) this.connected = change.connected;
    if (change.loggedIn !== undefined) this.loggedIn = change.loggedIn;
    if (before[0] !== this.connected || before[1] !== this.loggedIn) this.since = this.clock.now();
    this.emitChange();
  }

  private emitChange(): void {
    const status = this.status();
    for (const listener of this.events.listeners('change') as Array<(s: WechatStatus) => void>) {
      try {
        listener(status);
      } catch (err) {
        this.log.error({ err }, 'a WeChat status listener failed');
      }
    }
  }

  private connectionLost(reason: string): void {
    if (this.stopping) return;
    if (this.state !== 'online') {
      this.lostWhileConnecting = reason;
      return;
    }
    this.log.warn({ reason }, 'lost the connection to the puppet service; reconnecting');
    this.outage = { reason, attempts: 0, scheduledWaitMs: 0, recovered: false };
    this.lostReason = reason;
    this.state = 'reconnecting';
    this.attempt = 0;
    this.set({ connected: false });
    void this.reconnect();
  }

  private async reconnect(): Promise<void> {
    // Stop the puppet first (closes the dead gRPC client); it reports a logout while doing so.
    await this.puppet.stop().catch((err: unknown) => this.log.debug({ err }, 'stopping the puppet before reconnecting failed'));
    if (this.stopping) return;
    await this.attemptConnect();
  }

  private async attemptConnect(): Promise<void> {
    if (this.stopping) return;
    this.retryTimer = null;
    this.lostWhileConnecting = null;
    if (this.outage) this.outage.attempts++;
    try {
      if (this.options.probe) await this.options.probe();
      if (this.botStarted) await this.puppet.start();
      else await this.bot.start();
    } catch (err) {
      if (this.stopping) return;
      const delay = backoffMs(this.attempt++, this.options.reconnectBaseMs ?? 500, this.options.reconnectMaxMs ?? 10_000);
      if (this.outage) this.outage.scheduledWaitMs += delay;
      this.log.warn({ err, attempt: this.attempt, retryInMs: delay }, 'could not connect WeChat (puppet); retrying');
      if (this.botStarted) await this.puppet.stop().catch(() => undefined);
      else await this.bot.stop().catch(() => undefined);
      if (this.stopping) return;
      this.retryTimer = setTimeout(() => void this.attemptConnect(), delay);
      this.emitChange();
      return;
    }
    if (this.stopping) return;
    const first = !this.botStarted;
    this.botStarted = true;
    this.attempt = 0;
    this.state = 'online';
    this.lostReason = null;
    if (this.outage) this.outage.recovered = true;
    if (!first) this.log.info({ attempts: this.outage?.attempts }, 'reconnected to the puppet service');
    this.set({ connected: true });
    this.markStarted();
    if (this.lostWhileConnecting) this.connectionLost(this.lostWhileConnecting);
  }
}

/** The puppet for a real WeChat account through a puppet service (token and/or endpoint). */
export function createServicePuppet(settings: NonNullable<AppConfig['wechat']['puppetService']>): WatchedPuppetService {
  return new WatchedPuppetService({
    token: settings.token,
    endpoint: settings.endpoint,
    tls: settings.noTlsInsecureClient ? { disable: true } : undefined,
  });
}

/** The reachability probe for a puppet service, when its endpoint is known (token discovery has none). */
export function servicePuppetProbe(settings: NonNullable<AppConfig['wechat']['puppetService']>): (() => Promise<void>) | undefined {
  return settings.endpoint ? tcpProbe(settings.endpoint) : undefined;
}
