import { WechatyBuilder, type Wechaty } from 'wechaty';
import type * as PUPPET from 'wechaty-puppet';
import { PuppetService } from 'wechaty-puppet-service';
import type { AppConfig } from '../../config';
import type { Logger } from '../../logger';

export type WechatState = 'starting' | 'online' | 'retrying' | 'stopped';

/** Exponential backoff with jitter, capped. */
export function backoffMs(attempt: number, baseMs = 1000, capMs = 60_000): number {
  const exp = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 16));
  return Math.round(exp / 2 + Math.random() * (exp / 2));
}

/**
 * Owns the Wechaty instance: starts it, retries with backoff when the puppet cannot connect,
 * and never lets a puppet failure take the process down.
 */
export class WechatRuntime {
  readonly bot: Wechaty;
  private state: WechatState = 'stopped';
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  private loggedInAs: string | null = null;
  private markStarted: () => void = () => undefined;
  /** Resolves the first time the puppet has started. */
  readonly started: Promise<void> = new Promise((resolve) => {
    this.markStarted = resolve;
  });

  constructor(
    readonly puppet: PUPPET.Puppet,
    name: string,
    private readonly log: Logger,
  ) {
    this.bot = WechatyBuilder.build({ name, puppet });
    this.bot.on('error', (err) => this.log.warn({ err }, 'wechaty error'));
    this.bot.on('login', (user) => {
      this.loggedInAs = user.name();
      this.log.info({ user: user.name() }, 'WeChat account logged in');
    });
    this.bot.on('logout', (user) => {
      this.loggedInAs = null;
      this.log.warn({ user: user.name() }, 'WeChat account logged out');
    });
    this.bot.on('scan', (qrcode, status) =>
      this.log.info({ status, qrcode }, 'scan the QR code with the WeChat account the bot should use'),
    );
  }

  status(): { state: WechatState; loggedIn: boolean; user: string | null } {
    return { state: this.state, loggedIn: this.loggedInAs !== null, user: this.loggedInAs };
  }

  /** Starts in the background; failures are logged and retried. */
  start(): void {
    this.stopping = false;
    void this.tryStart();
  }

  private async tryStart(): Promise<void> {
    this.state = this.attempt === 0 ? 'starting' : 'retrying';
    try {
      await this.bot.start();
      this.state = 'online';
      this.attempt = 0;
      this.markStarted();
    } catch (err) {
      if (this.stopping) return;
      const delay = backoffMs(this.attempt++);
      this.state = 'retrying';
      this.log.error({ err, retryInMs: delay }, 'could not start WeChat (puppet); retrying');
      await this.bot.stop().catch(() => undefined);
      this.retryTimer = setTimeout(() => void this.tryStart(), delay);
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.state = 'stopped';
    await this.bot.stop().catch((err: unknown) => this.log.warn({ err }, 'stopping WeChat failed'));
  }
}

/** The puppet for a real WeChat account through a puppet service (token and/or endpoint). */
export function createServicePuppet(settings: NonNullable<AppConfig['wechat']['puppetService']>): PUPPET.Puppet {
  return new PuppetService({
    token: settings.token,
    endpoint: settings.endpoint,
    tls: settings.noTlsInsecureClient ? { disable: true } : undefined,
  });
}
