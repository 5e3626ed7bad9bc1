import type { WechatStatus } from './wechat-runtime';
import { systemClock, type Clock } from '../../clock';
import type { Logger } from '../../logger';
import { wechatLogoutAlert, type AlertService } from '../../services/alert.service';

/** The alert incident of a logged-out WeChat account. */
export const WECHAT_LOGOUT = 'wechat-logout';

/** A running watch: stop() ends it; idle() waits for the alerts it started to be raised or resolved. */
export interface WechatAlertWatch {
  stop(): void;
  idle(): Promise<void>;
}

export interface WechatAlertOptions {
  log: Logger;
  clock?: Clock;
  /** How long a logged-out account may wait for a QR code before the alert goes without one. Default 30 s. */
  qrGraceMs?: number;
  zone?: string;
  /**
   * The account watched: its incident is `wechat-logout:<id>`, the alert names it, and its QR code
   * goes only to the operator and the staff of the counties it serves (read when the alert is raised).
   */
  account?: { id: number; name: string; counties: () => Promise<number[]> };
}

/** The logout incident of one account. */
export function wechatLogoutIncident(accountId: number): string {
  return `${WECHAT_LOGOUT}:${accountId}`;
}

/**
 * Raises `wechat-logout` (per account: `wechat-logout:<id>`, naming it) when the account is logged out while the puppet is connected (with the
 * login QR code as a PNG as soon as the puppet offers one), and resolves it at the next login.
 * A lost puppet-service connection is not a logout: /readyz shows it, no alert.
 */
export function watchWechatForAlerts(
  runtime: { onChange(listener: (s: WechatStatus) => void): () => void; status(): WechatStatus },
  alerts: AlertService,
  opts: WechatAlertOptions,
): WechatAlertWatch {
  const clock = opts.clock ?? systemClock;
  const incident = opts.account ? wechatLogoutIncident(opts.account.id) : WECHAT_LOGOUT;
  let graceTimer: NodeJS.Timeout | null = null;
  let wasLoggedIn: boolean | null = null;
  let pending: Promise<unknown> = Promise.resolve();
  const track = (p: Promise<unknown>): void => {
    pending = Promise.all([pending, p.catch(() => undefined)]);
  };
  const cancelGrace = (): void => {
    if (graceTimer) clearTimeout(graceTimer);
    graceTimer = null;
  };
  const raise = (qrcode: string | null): void => {
    if (alerts.isOpen(incident)) return; // a QR code refresh during the same incident
    track(
      Promise.all([wechatLogoutAlert(clock.now(), qrcode, opts.zone, opts.account?.name), opts.account?.counties().catch(() => [])])
        .then(([content, qrCounties]) => alerts.raise(incident, content, { qrCounties }))
        .catch((err: unknown) => opts.log.error({ err }, 'raising the logout alert failed')),
    );
  };
  const onChange = (s: WechatStatus): void => {
    if (s.loggedIn) {
      cancelGrace();
      if (wasLoggedIn !== true) {
        track(alerts.resolve(incident).catch((err: unknown) => opts.log.error({ err }, 'resolving the logout alert failed')));
      }
      wasLoggedIn = true;
      return;
    }
    wasLoggedIn = false;
    if (!s.connected || s.state === 'stopped') {
      cancelGrace();
      return;
    }
    if (s.qrcode) {
      cancelGrace();
      raise(s.qrcode);
    } else if (!graceTimer && !alerts.isOpen(incident)) {
      graceTimer = setTimeout(() => {
        graceTimer = null;
        const now = runtime.status();
        if (!now.loggedIn && now.connected) raise(now.qrcode);
      }, opts.qrGraceMs ?? 30_000);
      graceTimer.unref();
    }
  };
  const off = runtime.onChange(onChange);
  onChange(runtime.status());
  return {
    stop: () => {
      off();
      cancelGrace();
    },
    idle: async () => {
      let seen: Promise<unknown>;
      do {
        seen = pending;
        await seen;
      } while (seen !== pending);
    },
  };
}
