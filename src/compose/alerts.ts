import type { DataSource } from 'typeorm';
import type { WechatAccount } from '../channels/wechat/account-pool';
import { createDeliver } from '../channels/outbound';
import { CoverageMonitor } from '../channels/wechat/coverage-monitor';
import { SendRestrictions } from '../channels/wechat/send-restrictions';
import { watchWechatForAlerts, type WechatAlertWatch } from '../channels/wechat/wechat-alerts';
import type { WecomApiClient } from '../channels/wecom/wecom-api';
import type { Services } from '../services';
import { AlertService, DatabaseDownAlarm } from '../services/alert.service';
import type { DatabaseMonitor } from '../services/database-monitor';
import type { WechatPart } from './accounts';
import type { Ground, Started } from './parts';

/**
 * Alerts to county staff and the operator, and what raises them: a restricted account, each
 * account's logout, unheard groups and suspect accounts, the database down too long.
 */
export async function startAlerts(
  { config, log, clock, metrics }: Ground,
  parts: Started,
  {
    ds,
    services,
    wechat,
    dbMonitor,
    wecomApi,
  }: { ds: DataSource; services: Services; wechat: WechatPart; dbMonitor: DatabaseMonitor; wecomApi?: WecomApiClient },
): Promise<{ alerts: AlertService; coverage: CoverageMonitor }> {
  const { accounts, speech } = wechat;
  const alertLog = log.child({ component: 'alerts' });
  const alerts = new AlertService({ ds, config, deliver: createDeliver({ wecom: wecomApi }), log: alertLog, clock });
  await alerts.refreshRecipients().catch((err: unknown) => alertLog.warn({ err }, 'could not read alert recipients'));
  accounts.restrictions = new SendRestrictions({
    speakers: services.speakers,
    speech,
    alerts,
    clock,
    log: log.child({ component: 'send-restrictions' }),
    zone: config.schedule.zone,
    backoffMs: config.schedule.restrictedBackoffMs,
    backoffMaxMs: config.schedule.restrictedBackoffMaxMs,
  });
  // Each account's logout is its own incident, watched while this process drives it.
  const wechatAlerts = new Map<number, WechatAlertWatch>();
  parts.wechatAlerts = wechatAlerts;
  const watchAccount = (account: WechatAccount): void => {
    wechatAlerts.set(
      account.id,
      watchWechatForAlerts(account.runtime, alerts, {
        log: alertLog,
        clock,
        zone: config.schedule.zone,
        account: { id: account.id, name: account.name, counties: () => services.accounts.countiesOf(account.id) },
      }),
    );
  };
  accounts.list().forEach(watchAccount);
  accounts.on('attached', watchAccount);
  accounts.on('detached', (id) => {
    wechatAlerts.get(id)?.stop();
    wechatAlerts.delete(id);
  });
  // When each account here listens (intervals extended every few seconds); unheard groups and suspect accounts every minute.
  const coverage = new CoverageMonitor({
    pool: accounts,
    coverage: services.coverage,
    alerts,
    clock,
    log: log.child({ component: 'coverage' }),
    metrics,
    alertMinutes: config.alerts.coverageMinutes,
    suspectMinutes: config.alerts.suspectMinutes,
  });
  parts.coverage = coverage;
  coverage.start();
  // The database down for longer than DB_DOWN_ALERT_AFTER_SECONDS: one direct alert per incident.
  const dbAlarm = new DatabaseDownAlarm(alerts, config.alerts.dbDownAfterSeconds, clock, config.schedule.zone);
  dbMonitor.onCheck((up) => {
    dbAlarm.observe(up).catch((err: unknown) => alertLog.warn({ err }, 'the database alarm failed'));
  });
  return { alerts, coverage };
}
