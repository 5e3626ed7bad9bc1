/**
 * Every table of kepubot's schema, by how it scales (issue 18, docs/scale.md). A new table must be
 * put in one list: tests/db/county-keys.test.ts reads the catalog and fails on a table in none.
 *
 * - COUNTY_TABLES grow with informants or messages. Each carries `county_id integer NOT NULL`,
 *   first in its primary key and in every unique key; foreign keys between them include it. With
 *   Citus they are distributed tables co-located on county_id.
 * - REFERENCE_TABLES are small and read alongside a county's rows (regions, stations, groups,
 *   accounts, content titles, settings). With Citus: reference tables (a copy on every node).
 * - COORDINATOR_TABLES are the process's own working state, never joined with a county's rows
 *   (sessions, receipts, claims, jobs, the send queue, the audit ledger). With Citus they stay local
 *   tables on the coordinator.
 */
export const COUNTY_TABLES: readonly string[] = [
  'share_event',
  'effective_share',
  'daily_rollup',
  'station_day',
  'informant_period',
  'station_period',
  'station_roster_day',
  'informant',
  'informant_roster',
];

export const REFERENCE_TABLES: readonly string[] = [
  'region',
  'station',
  'station_manager',
  'county_staff',
  'person_identity',
  'wechat_group',
  'activity',
  'resource_log',
  'content_title',
  'unknown_link_shape',
  'bot_account',
  'bot_account_county',
  'group_account',
  'summary_watermark',
];

export const COORDINATOR_TABLES: readonly string[] = [
  'typeorm_migrations',
  'audit_log',
  'callback_receipt',
  'callback_signature',
  'console_login_ticket',
  'console_session',
  'login_attempt',
  'operator_account',
  'job_run',
  'outbox_message',
  'alert_incident',
  'message_claim',
  'wechat_send_slot',
  'bot_account_lease',
  'account_listen_interval',
];
