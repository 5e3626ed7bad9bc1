import type { Clock } from '../../clock';

interface Window {
  failures: number;
  /** When the window started (epoch ms). */
  start: number;
}

export interface LoginLimits {
  /** Failed attempts allowed per name within the window. */
  perName: number;
  /** Failed attempts allowed per client address within the window. */
  perIp: number;
  windowMs: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { perName: 5, perIp: 20, windowMs: 15 * 60 * 1000 };

/**
 * Failed sign-in attempts counted per name and per client address, in this process's memory
 * (a restart forgets them; each instance counts its own). A key over its limit is refused until
 * its window, started at the first failure, ends. A success clears the name's count.
 */
export class LoginLimiter {
  private readonly byName = new Map<string, Window>();
  private readonly byIp = new Map<string, Window>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
  ) {}

  /** Seconds to wait before another attempt, or 0 when one is allowed now. */
  retryAfter(name: string, ip: string): number {
    const now = this.clock.now().getTime();
    const wait = (map: Map<string, Window>, key: string, limit: number): number => {
      const w = map.get(key);
      if (!w) return 0;
      if (now - w.start >= this.limits.windowMs) {
        map.delete(key);
        return 0;
      }
      return w.failures >= limit ? Math.ceil((w.start + this.limits.windowMs - now) / 1000) : 0;
    };
    return Math.max(wait(this.byName, name, this.limits.perName), wait(this.byIp, ip, this.limits.perIp));
  }

  failed(name: string, ip: string): void {
    const now = this.clock.now().getTime();
    // Attempts with ever new names must not grow the maps without end.
    for (const map of [this.byName, this.byIp]) {
      if (map.size < 10_000) continue;
      for (const [key, w] of map) if (now - w.start >= this.limits.windowMs) map.delete(key);
    }
    for (const [map, key] of [
      [this.byName, name],
      [this.byIp, ip],
    ] as const) {
      const w = map.get(key);
      if (!w || now - w.start >= this.limits.windowMs) map.set(key, { failures: 1, start: now });
      else w.failures++;
    }
  }

  succeeded(name: string): void {
    this.byName.delete(name);
  }
}
