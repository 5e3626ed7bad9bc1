import { createDeliver } from '../channels/outbound';
import type { DemoWorld } from '../channels/wechat/demo';
import type { WecomApiClient } from '../channels/wecom/wecom-api';
import type { DatabaseServer } from '../db/embedded-postgres';
import { NightlyBackup } from '../jobs/nightly-backup';
import { OutboxWorker } from '../jobs/outbox';
import type { PartitionUpkeep } from '../jobs/partition-upkeep';
import type { JobRunner } from '../jobs/runner';
import { Scheduler } from '../jobs/scheduler';
import type { Services } from '../services';
import type { AlertService } from '../services/alert.service';
import type { DataSource } from 'typeorm';
import { sendThrottle, type WechatPart } from './accounts';
import type { Ground, Started } from './parts';

/**
 * The send queue and, when the scheduler runs (SCHEDULER_ENABLED), the scheduled jobs,
 * housekeeping (partitions, callback receipts) and the nightly backup. A group's entries go out only through its speaker, claimed
 * only by the process that holds it; a contact's through an account here that knows the contact.
 */
export async function startScheduler(
  { config, log, clock, overrides }: Ground,
  parts: Started,
  deps: {
    ds: DataSource;
    dbServer: DatabaseServer;
    services: Services;
    jobs: JobRunner;
    wechat: WechatPart;
    alerts: AlertService;
    wecomApi?: WecomApiClient;
    demo: DemoWorld | null;
    partitions: PartitionUpkeep;
  },
): Promise<{ outbox: OutboxWorker; scheduler: Scheduler | null }> {
  const { accounts, speech } = deps.wechat;
  const { services, wecomApi } = deps;
  const outbox = new OutboxWorker(
    deps.ds,
    createDeliver({ wecom: wecomApi }),
    sendThrottle(config),
    log.child({ component: 'outbox' }),
    Math.random,
    async (msg) => {
      const account =
        msg.channel === 'wechat-room'
          ? (speech.speakerHere(msg.recipient) ?? accounts.get((await services.speakers.speakerOf(msg.recipient)) ?? -1) ?? null)
          : await accounts.senderFor('wechat-contact', msg.recipient);
      return account ? { limiter: account.limiter, deliver: createDeliver({ bot: account.bot, wecom: wecomApi }) } : null;
    },
    () => accounts.list().map((a) => a.id),
  );
  if (!(overrides.scheduler ?? config.schedule.enabled)) return { outbox, scheduler: null };
  // Housekeeping: the raw tables' partitions, callback receipts and used signatures past their retry window.
  const housekeeping = [
    (now: Date) => deps.partitions.daily(now),
    async (now: Date) => {
      const pruned = await services.receipts.prune(now);
      if (pruned.receipts + pruned.signatures > 0) log.debug(pruned, 'old callback receipts deleted');
    },
  ];
  const scheduler = new Scheduler(deps.jobs, outbox, config, clock, log.child({ component: 'scheduler' }), housekeeping);
  parts.scheduler = scheduler;
  await scheduler.start();
  // The nightly backup is of the real database: the demo's own database is not backed up.
  if (!deps.demo && !overrides.dataSource) {
    const backup = new NightlyBackup(deps.dbServer.url, config, deps.alerts, clock, log.child({ component: 'backup' }));
    parts.backup = backup;
    backup.start();
  }
  return { outbox, scheduler };
}
