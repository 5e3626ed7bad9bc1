import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** kepubot's Prometheus metrics, on a registry of their own (served at GET /metrics). */
export interface Metrics {
  registry: Registry;
  messages: Counter<'channel'>;
  sharesCounted: Counter;
  effectiveShares: Counter;
  duplicatesIgnored: Counter<'reason'>;
  messagesIgnored: Counter<'reason'>;
  scriptErrors: Counter<'listener'>;
  shareBatchSeconds: Histogram;
  sharesSpooled: Counter;
  sharesDrained: Counter;
  sharesLost: Counter;
  spoolDepth: Gauge;
  spoolBytes: Gauge;
  repliesDropped: Counter<'reason'>;
  linksNotCounted: Counter<'reason'>;
  groupCoverage: Gauge<'group' | 'window'>;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'kepubot_' });
  return {
    registry,
    messages: new Counter({
      name: 'kepubot_messages_total',
      help: 'Messages seen by the bot, by channel',
      labelNames: ['channel'],
      registers: [registry],
    }),
    sharesCounted: new Counter({
      name: 'kepubot_shares_counted_total',
      help: 'Kepu China shares stored (raw shares: each distinct content item of a WeChat message once)',
      registers: [registry],
    }),
    effectiveShares: new Counter({
      name: 'kepubot_effective_shares_total',
      help: 'Effective shares: a new (sender, content item, day)',
      registers: [registry],
    }),
    duplicatesIgnored: new Counter({
      name: 'kepubot_duplicates_ignored_total',
      help: 'Duplicates not acted on again: message_replay (same WeChat message), same_item_same_day, other_account (a copy another account of this process already handled), command_claimed (a command another copy answers)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    messagesIgnored: new Counter({
      name: 'kepubot_messages_ignored_total',
      help: 'Messages dropped before counting: self, stale, unbound_group',
      labelNames: ['reason'],
      registers: [registry],
    }),
    scriptErrors: new Counter({
      name: 'kepubot_script_errors_total',
      help: 'Bot script listeners that threw',
      labelNames: ['listener'],
      registers: [registry],
    }),
    shareBatchSeconds: new Histogram({
      name: 'kepubot_share_batch_seconds',
      help: 'Time to write one batch of shares to PostgreSQL',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    sharesSpooled: new Counter({
      name: 'kepubot_shares_spooled_total',
      help: 'Shares written to the durable spool because PostgreSQL could not take them',
      registers: [registry],
    }),
    sharesDrained: new Counter({
      name: 'kepubot_shares_drained_total',
      help: 'Spooled shares written back to PostgreSQL',
      registers: [registry],
    }),
    sharesLost: new Counter({
      name: 'kepubot_shares_lost_total',
      help: 'Shares neither written nor spooled (spool full or the disk failing)',
      registers: [registry],
    }),
    spoolDepth: new Gauge({
      name: 'kepubot_spool_depth',
      help: 'Shares waiting in the spool',
      registers: [registry],
    }),
    spoolBytes: new Gauge({
      name: 'kepubot_spool_bytes',
      help: 'Size of the spool on disk',
      registers: [registry],
    }),
    repliesDropped: new Counter({
      name: 'kepubot_replies_dropped_total',
      help: 'Immediate WeChat replies not sent: queue_full, too_old (waited for the limiter too long), stopping',
      labelNames: ['reason'],
      registers: [registry],
    }),
    linksNotCounted: new Counter({
      name: 'kepubot_links_not_counted_total',
      help: 'Kepu China links in group messages not counted: unknown_shape (no rule knows the URL; see `kepubot links unknown`), over_limit (beyond SHARE_ITEMS_PER_MESSAGE_MAX items in one message)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    groupCoverage: new Gauge({
      name: 'kepubot_group_coverage_ratio',
      help: 'Share of time at least one bot account was listening in the group (0-1), by group id (wechat_group.id, no names) and window: day (last 24 h), week (last 7 days)',
      labelNames: ['group', 'window'],
      registers: [registry],
    }),
  };
}
