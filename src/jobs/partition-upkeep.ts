import type { AppConfig } from '../config';
import { isDatabaseUnavailable } from '../db/errors';
import { dayOf, type DayKey } from '../domain/calendar';
import type { Logger } from '../logger';
import type { AlertService } from '../services/alert.service';
import type { PartitionInfo, PartitionKeeper } from '../services/partitions.service';

/** The alert incident of a failed partition upkeep; the next good run ends it. */
export const PARTITIONS_FAILED = 'partitions-failed';

/** What one upkeep run did. */
export interface UpkeepResult {
  created: string[];
  dropped: PartitionInfo[];
  /** Partitions past retention kept because their month is not summarised yet. */
  waiting: PartitionInfo[];
}

const STEP_LABEL = { create: '提前创建下几个月的分区', retain: '按保留期限删除旧的原始转发分区' } as const;

/** What PostgreSQL said, by its SQLSTATE (its message may quote values); our own errors by their message, cut short. */
const SQLSTATE_REASON: Record<string, string> = {
  '55P03': '等待表锁超时，可能有长时间运行的查询',
  '42501': '数据库用户没有建表或删表的权限',
  '53100': '数据库磁盘已满',
  '57014': '语句被取消或超时',
};

function reasonOf(err: unknown): string {
  const e = err as { code?: unknown; driverError?: { code?: unknown } } | null;
  const code = [e?.driverError?.code, e?.code].find((c): c is string => typeof c === 'string' && /^[0-9A-Z]{5}$/.test(c));
  if (code) return `PostgreSQL 错误 ${code}${SQLSTATE_REASON[code] ? `（${SQLSTATE_REASON[code]}）` : ''}`;
  return (err instanceof Error ? err.message : String(err)).slice(0, 200);
}

/**
 * The raw tables' partitions kept in shape: the months ahead created (PartitionKeeper.ensureAhead)
 * and raw shares past RAW_RETENTION_MONTHS dropped once summarised. Runs at start (compose) and
 * once a day from the scheduler's housekeeping; after a failure it runs again on the next
 * housekeeping pass. A failure raises one alert (to the operator and county staff, through the
 * alert service) until a run succeeds; while PostgreSQL is unreachable it only waits (the
 * database alarm speaks for that).
 */
export class PartitionUpkeep {
  private doneDay: DayKey | null = null;
  private running: Promise<UpkeepResult | null> | null = null;

  constructor(
    private readonly keeper: PartitionKeeper,
    private readonly alerts: AlertService,
    private readonly config: Pick<AppConfig, 'retention'>,
    private readonly log: Logger,
  ) {}

  /** The housekeeping's entry: runs unless a run succeeded already this (Asia/Shanghai) day. */
  daily(now: Date): Promise<UpkeepResult | null> {
    if (this.doneDay === dayOf(now)) return Promise.resolve(null);
    return this.run(now);
  }

  /** One run now (null when it failed); never throws. One at a time. */
  run(now: Date): Promise<UpkeepResult | null> {
    this.running ??= this.once(dayOf(now)).finally(() => (this.running = null));
    return this.running;
  }

  private async once(today: DayKey): Promise<UpkeepResult | null> {
    let step: keyof typeof STEP_LABEL = 'create';
    try {
      const created = await this.keeper.ensureAhead(today);
      step = 'retain';
      const { plan, dropped } = await this.keeper.retain(today, this.config.retention.rawMonths);
      if (created.length > 0) this.log.info({ created }, 'monthly partitions created ahead');
      if (dropped.length > 0) {
        this.log.info({ dropped: dropped.map((p) => p.partition), keepFrom: plan.keepFrom }, 'raw share partitions past retention dropped');
      }
      if (plan.unsummarised.length > 0) {
        const months = [...new Set(plan.unsummarised.map((p) => p.month))];
        this.log.warn({ months }, 'raw share partitions past retention are kept until the summaries cover their months');
      }
      this.doneDay = today;
      await this.alerts.resolve(PARTITIONS_FAILED).catch((err: unknown) => this.log.warn({ err }, 'could not close the partition alert'));
      return { created, dropped, waiting: plan.unsummarised };
    } catch (err) {
      if (isDatabaseUnavailable(err)) {
        this.log.debug({ step }, 'partition upkeep waits for PostgreSQL');
        return null;
      }
      const reason = reasonOf(err);
      this.log.error({ step, err }, 'partition upkeep failed');
      await this.alerts
        .raise(PARTITIONS_FAILED, {
          text:
            `【科普e站助手】数据库分区维护失败（${STEP_LABEL[step]}）：${reason}\n` +
            '新月份的分区没有建好时，转发先暂存在服务器上，分区建好后再写入数据库，不会丢失；服务每 5 分钟重试一次。' +
            '请检查数据库（磁盘空间、权限、长时间运行的查询），然后运行 kepubot data partitions 手动补建分区。',
        })
        .catch((e: unknown) => this.log.error({ err: e }, 'could not raise the partition alert'));
      return null;
    }
  }
}
