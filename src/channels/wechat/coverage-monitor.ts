import type { Clock } from '../../clock';
import { dayOf } from '../../domain/calendar';
import type { Logger } from '../../logger';
import type { Metrics } from '../../metrics';
import {
  accountSuspectAlert,
  accountSuspectIncident,
  groupUnheardAlert,
  groupUnheardIncident,
  type AlertService,
} from '../../services/alert.service';
import type { GroupCoverage } from '../../services/group-coverage.service';
import type { AccountPool } from './account-pool';

export interface CoverageMonitorOptions {
  pool: AccountPool;
  coverage: GroupCoverage;
  alerts: AlertService;
  clock: Clock;
  log: Logger;
  metrics?: Metrics;
  /** COVERAGE_ALERT_MINUTES. */
  alertMinutes: number;
  /** SUSPECT_ACCOUNT_MINUTES. */
  suspectMinutes: number;
  /** How often listening is recorded (default 5 s; at most LISTEN_MAX_STEP_MS). */
  beatMs?: number;
  /** How often gaps, suspects and the metric are checked (default 60 s). */
  checkMs?: number;
}

/**
 * Records when this process's accounts listen (connected, logged in, lease held) and, every
 * minute, alerts on bound groups unheard for too long today (one alert per group per day, the
 * incident key carrying the day), marks and alerts suspect accounts (once per incident, resolved
 * when the account hears again), and refreshes kepubot_group_coverage_ratio.
 */
export class CoverageMonitor {
  private beatTimer: NodeJS.Timeout | null = null;
  private checkTimer: NodeJS.Timeout | null = null;
  private beating: Promise<void> | null = null;
  private checking: Promise<void> | null = null;
  /** Groups alerted on, by day (only today's kept). */
  private alerted = { day: '', groups: new Set<number>() };
  private readonly offDetached: () => void;

  constructor(private readonly options: CoverageMonitorOptions) {
    this.offDetached = options.pool.on('detached', (id) => options.coverage.stopped(id));
  }

  start(): void {
    this.beatTimer = setInterval(() => void this.beat(), this.options.beatMs ?? 5000);
    this.beatTimer.unref();
    this.checkTimer = setInterval(() => void this.check(), this.options.checkMs ?? 60_000);
    this.checkTimer.unref();
    void this.beat();
  }

  async stop(): Promise<void> {
    if (this.beatTimer) clearInterval(this.beatTimer);
    if (this.checkTimer) clearInterval(this.checkTimer);
    this.beatTimer = this.checkTimer = null;
    this.offDetached();
    await Promise.all([this.beating, this.checking]);
  }

  /** Records, for each account here, whether it listens now. Never throws. */
  beat(): Promise<void> {
    if (!this.beating) {
      this.beating = (async () => {
        const now = this.options.clock.now();
        for (const account of this.options.pool.list()) {
          const s = account.runtime.status();
          if (s.state !== 'stopped' && s.connected && s.loggedIn) await this.options.coverage.listening(account.id, now);
          else this.options.coverage.stopped(account.id);
        }
      })()
        .catch((err: unknown) => this.options.log.warn({ err }, 'could not record which accounts listen'))
        .finally(() => (this.beating = null));
    }
    return this.beating;
  }

  /** Gap alerts, suspect accounts and the coverage metric. Never throws. */
  check(): Promise<void> {
    if (!this.checking) {
      this.checking = this.doCheck()
        .catch((err: unknown) => this.options.log.warn({ err }, 'the coverage check could not run'))
        .finally(() => (this.checking = null));
    }
    return this.checking;
  }

  private async doCheck(): Promise<void> {
    const { coverage, alerts, clock, log, metrics, alertMinutes, suspectMinutes } = this.options;
    const now = clock.now();
    if (this.alerted.day !== dayOf(now)) this.alerted = { day: dayOf(now), groups: new Set() };
    const unheard = await coverage.unheardToday(now, alertMinutes, this.alerted.groups);
    for (const g of unheard) {
      const outcome = await alerts.raise(groupUnheardIncident(g.groupId, g.day), groupUnheardAlert(g, alertMinutes));
      if (outcome !== 'failed') this.alerted.groups.add(g.groupId);
      log.warn({ group: g.groupId, unheardMinutes: g.unheardMinutes, outcome }, 'a bound group was unheard too long today');
    }
    const { marked, cleared } = await coverage.markSuspects(now, suspectMinutes);
    for (const a of marked) {
      log.warn({ account: a.name }, 'the account is logged in but hears nothing while others in its groups do: suspect');
      await alerts.raise(accountSuspectIncident(a.accountId), accountSuspectAlert(a.name, suspectMinutes));
    }
    for (const a of cleared) await alerts.resolve(accountSuspectIncident(a.accountId));
    if (metrics) {
      const groups = await coverage.measuredGroups();
      const figures = await coverage.figures(groups, now);
      metrics.groupCoverage.reset();
      for (const [id, f] of figures) {
        if (f.day !== null) metrics.groupCoverage.set({ group: String(id), window: 'day' }, f.day);
        if (f.week !== null) metrics.groupCoverage.set({ group: String(id), window: 'week' }, f.week);
      }
    }
  }
}
