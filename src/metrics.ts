import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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
      help: 'Kepu China shares stored (raw shares, each WeChat message once)',
      registers: [registry],
    }),
    effectiveShares: new Counter({
      name: 'kepubot_effective_shares_total',
      help: 'Effective shares: a new (sender, content item, day)',
      registers: [registry],
    }),
    duplicatesIgnored: new Counter({
      name: 'kepubot_duplicates_ignored_total',
      help: 'Shares not counted again: message_replay (same WeChat message) or same_item_same_day',
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
  };
}
