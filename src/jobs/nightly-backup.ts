import schedule from 'node-schedule';
import type { Clock } from '../clock';
import type { AppConfig } from '../config';
import type { Logger } from '../logger';
import type { AlertService } from '../services/alert.service';
import { createBackup, pruneBackups, type BackupSummary } from '../services/backup.service';

/** The alert incident of a failed nightly backup; the next good backup ends it. */
export const BACKUP_FAILED = 'backup-failed';

/**
 * The server's nightly backup (SCHEDULE_BACKUP, in SCHEDULE_TIME_ZONE) of the real database into
 * <KEPUBOT_DATA_DIR>/backups, keeping the newest BACKUP_KEEP. A failure raises one alert (through
 * the alert service, to the operator and county staff) until a backup succeeds again.
 */
export class NightlyBackup {
  private job: schedule.Job | null = null;
  private running: Promise<BackupSummary | null> | null = null;

  constructor(
    private readonly url: string,
    private readonly config: Pick<AppConfig, 'backup' | 'schedule'>,
    private readonly alerts: AlertService,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  start(): void {
    const rule = this.config.backup.rule;
    if (!rule) return;
    this.job = schedule.scheduleJob({ rule, tz: this.config.schedule.zone }, () => void this.run());
    if (!this.job) throw new Error(`cannot schedule the backup with rule "${rule}" in ${this.config.schedule.zone}`);
    this.log.info({ rule, keep: this.config.backup.keep }, 'nightly backup scheduled');
  }

  /** One backup now (the schedule calls it); null when it failed (alerted). */
  run(): Promise<BackupSummary | null> {
    this.running ??= this.once().finally(() => (this.running = null));
    return this.running;
  }

  private async once(): Promise<BackupSummary | null> {
    const now = this.clock.now();
    try {
      const summary = await createBackup(this.url, this.config.backup.dir, now);
      const removed = await pruneBackups(this.config.backup.dir, this.config.backup.keep);
      this.log.info({ file: summary.file, bytes: summary.bytes, removed: removed.length }, 'backup written');
      await this.alerts.resolve(BACKUP_FAILED).catch((err: unknown) => this.log.warn({ err }, 'could not close the backup alert'));
      return summary;
    } catch (err) {
      const reason = err instanceof Error ? err.message.slice(0, 200) : String(err);
      this.log.error({ reason }, 'the nightly backup failed');
      await this.alerts
        .raise(BACKUP_FAILED, {
          text: `【kepubot 告警】数据库夜间备份失败：${reason}\n备份目录：${this.config.backup.dir}。请检查磁盘空间和数据库，然后运行 kepubot backup 手动备份一次。`,
        })
        .catch((e: unknown) => this.log.error({ err: e }, 'could not raise the backup alert'));
      return null;
    }
  }

  /** Stops the schedule and waits for a backup under way. */
  async stop(): Promise<void> {
    this.job?.cancel();
    this.job = null;
    await this.running?.catch(() => undefined);
  }
}
