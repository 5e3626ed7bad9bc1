import path from 'node:path';
import { IANAZone } from 'luxon';
import { z } from 'zod';
import { TIME_ZONE } from './domain/calendar';
import { DEFAULT_RULES, ruleProblem, type JobName } from './domain/schedule';
import { parseUrlRules, type UrlRule } from './domain/kepu-links';
import { PUPPET_ENDPOINT } from './domain/bot-accounts';

const list = z.string().transform((s) =>
  s
    .split(/[,，\s]+/)
    .map((x) => x.trim())
    .filter(Boolean),
);

const boolean = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], {
    error: 'should be true or false',
  })
  .transform((s) => ['true', '1', 'yes', 'on'].includes(s));

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

const domainName = z.string().regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i, 'should be a domain name such as kepu.example.cn');

const aesKey = z.string().regex(/^[A-Za-z0-9]{43}$/, 'should be the 43-character EncodingAESKey');

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port(3000),
  /** Behind a reverse proxy (nginx): trust X-Forwarded-For / -Proto for the client's address and HTTPS. */
  TRUST_PROXY: boolean.default(false),
  /** Node's HTTP server timeouts: a request's headers, a whole request (body included), an idle keep-alive connection. */
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).max(600000).default(20000),
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(3600000).default(120000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600000).default(5000),
  /** Where people open the console (links sent by the bot, the WeCom sign-in's redirect); default http://localhost:PORT. */
  CONSOLE_PUBLIC_URL: z.url({ protocol: /^https?$/, error: "should be the console's address such as https://kepu.example.cn" }).optional(),

  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/.+/, 'should look like postgres://user:password@host:5432/kepubot')
    .optional(),
  DEMO_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/.+/, 'should look like postgres://user:password@host:5432/kepubot_demo')
    .optional(),
  KEPUBOT_DATA_DIR: z.string().min(1).default('./data'),
  EMBEDDED_PG_PORT: port(54329),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),

  WECHATY_PUPPET_SERVICE_TOKEN: z.string().min(1).optional(),
  WECHATY_PUPPET_SERVICE_ENDPOINT: z.string().regex(PUPPET_ENDPOINT, 'should be host:port, e.g. 10.0.0.2:8788').optional(),
  WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT: boolean.default(false),
  WECHATY_NAME: z.string().min(1).max(64).default('kepubot'),
  /** The counties (names) the WeChat account serves; empty: every county. Decides whose staff see its unbound groups. */
  WECHAT_ACCOUNT_COUNTIES: list.default([]),
  /** At most this many WeChat accounts driven by one kepubot process (the others are left to other processes). */
  MAX_ACCOUNTS_PER_PROCESS: z.coerce.number().int().min(1).max(500).default(20),
  /** Tests only: `mock` drives the accounts added with `kepubot account add` on local mock puppets (no puppet service). */
  WECHAT_ACCOUNT_PUPPET: z.enum(['service', 'mock']).default('service'),

  DEMO_MESSAGE_INTERVAL_MS: z.coerce.number().int().min(50).default(3000),
  DEMO_SHARE_LOG: z.string().min(1).optional(),
  /** Days of history the demo county is seeded with (0: none, its members bind as they talk). */
  DEMO_HISTORY_DAYS: z.coerce.number().int().min(0).max(91).default(91),

  KEPU_EXTRA_DOMAINS: list.pipe(z.array(domainName)).default([]),
  KEPU_MINIPROGRAM_NAMES: list.default(['科普中国']),
  KEPU_MINIPROGRAM_APPIDS: list.pipe(z.array(z.string().regex(/^wx[0-9a-f]{16}$/i, 'should be wx + 16 hex digits'))).default([]),
  /** Extra content URL shapes: kind:host/path?param, separated by commas (or a JSON array). */
  KEPU_URL_RULES: z.string().optional(),
  SHARE_ITEMS_PER_MESSAGE_MAX: z.coerce.number().int().min(1).max(20).default(3),
  /** Fetch the <title> of Kepu China pages seen only as a bare URL (digests, content table); off by default. */
  CONTENT_TITLE_FETCH: boolean.default(false),
  CONTENT_TITLE_TIMEOUT_MS: z.coerce.number().int().min(100).max(30000).default(3000),
  CONTENT_TITLE_MAX_KB: z.coerce.number().int().min(1).max(4096).default(256),

  DAILY_SHARE_QUOTA: z.coerce.number().int().min(1).max(100).default(3),
  /** Annual evaluation: the bottom this many percent of the stations counting the whole year are listed to rectify. */
  EVALUATION_BOTTOM_PERCENT: z.coerce.number().int().min(1).max(50).default(10),
  STALE_MESSAGE_SECONDS: z.coerce.number().int().min(1).default(600),
  SHARE_BATCH_MAX: z.coerce.number().int().min(1).max(5000).default(500),
  SHARE_BATCH_WAIT_MS: z.coerce.number().int().min(0).max(1000).default(2),

  WECOM_CORP_ID: z
    .string()
    .regex(/^ww[0-9a-z]{14,16}$|^wx[0-9a-z]{14,16}$/i, 'should be the CorpID, e.g. ww1234567890abcdef')
    .optional(),
  WECOM_AGENT_ID: z.coerce.number().int().positive().optional(),
  WECOM_SECRET: z.string().min(8, 'should be the app Secret').optional(),
  WECOM_TOKEN: z
    .string()
    .regex(/^[A-Za-z0-9]{1,32}$/, 'should be the callback Token (letters and digits)')
    .optional(),
  WECOM_ENCODING_AES_KEY: aesKey.optional(),
  WECOM_API_BASE: z.url({ error: 'should be a URL such as https://qyapi.weixin.qq.com' }).default('https://qyapi.weixin.qq.com'),

  MP_APP_ID: z
    .string()
    .regex(/^wx[0-9a-f]{16}$/i, 'should be the AppID, wx + 16 hex digits')
    .optional(),
  MP_APP_SECRET: z.string().min(8, 'should be the AppSecret').optional(),
  MP_TOKEN: z
    .string()
    .regex(/^[A-Za-z0-9]{3,32}$/, 'should be the server Token (3-32 letters and digits)')
    .optional(),
  MP_ENCODING_AES_KEY: aesKey.optional(),

  CALLBACK_MAX_AGE_SECONDS: z.coerce.number().int().min(10).max(86400).default(300),
  CALLBACK_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(1048576).default(65536),
  CALLBACK_REPLY_DEADLINE_MS: z.coerce.number().int().min(100).max(4800).default(4000),

  SCHEDULER_ENABLED: boolean.default(true),
  SCHEDULE_TIME_ZONE: z.string().default(TIME_ZONE),
  SCHEDULE_GROUP_REMINDER: z.string().default(DEFAULT_RULES['group-reminder']),
  SCHEDULE_GROUP_RANKING: z.string().default(DEFAULT_RULES['group-ranking']),
  SCHEDULE_WEEKLY_DIGEST: z.string().default(DEFAULT_RULES['weekly-digest']),
  SCHEDULE_MONTHLY_CHECK: z.string().default(DEFAULT_RULES['monthly-check']),
  SCHEDULE_QUARTERLY_TABLE: z.string().default(DEFAULT_RULES['quarterly-table']),
  SCHEDULE_ANNUAL_EVALUATION: z.string().default(DEFAULT_RULES['annual-evaluation']),
  SEND_INTERVAL_MS: z.coerce.number().int().min(0).max(600000).default(1500),
  SEND_JITTER_MS: z.coerce.number().int().min(0).max(60000).default(500),
  SEND_DAILY_CAP: z.coerce.number().int().min(1).max(100000).default(300),
  // Sending like a careful person (issue 15): per account, from field reports of WeChat bots.
  SEND_PER_MINUTE: z.coerce.number().int().min(1).max(600).default(20),
  SEND_GROUP_SWITCH_MS: z.coerce.number().int().min(0).max(600000).default(3000),
  SEND_NEW_ACCOUNT_DAYS: z.coerce.number().int().min(0).max(365).default(3),
  SEND_BATCH_WINDOW_MS: z.coerce.number().int().min(0).max(60000).default(1000),
  SEND_BATCH_MAX: z.coerce.number().int().min(1).max(50).default(20),
  SEND_RESTRICTED_BACKOFF_MS: z.coerce.number().int().min(1000).max(604800000).default(1_800_000),
  SEND_RESTRICTED_BACKOFF_MAX_MS: z.coerce.number().int().min(1000).max(2592000000).default(86_400_000),
  QUIET_HOURS: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, 'should be HH:MM-HH:MM, e.g. 22:30-07:30')
    .default('22:30-07:30'),

  // Faults and recovery (issue 8): spool, supervision, shutdown, readiness.
  SPOOL_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024 * 1024)
    .default(512 * 1024 * 1024),
  SPOOL_READY_MAX: z.coerce.number().int().min(0).default(20000),
  SHARE_WRITE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600000).default(5000),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(500).max(600000).default(10000),
  DB_CHECK_INTERVAL_MS: z.coerce.number().int().min(100).max(60000).default(2000),
  EMBEDDED_PG_SUPERVISE: boolean.default(true),
  // Alerts (logout of the WeChat account, database down).
  ALERT_WECOM_USER: z
    .string()
    .regex(/^[\w.@-]{1,64}([|,][\w.@-]{1,64})*$/, 'should be WeCom user ids separated by | or ,, e.g. zhangsan|lisi')
    .optional(),
  ALERT_WEBHOOK_URL: z
    .url({ error: 'should be a group robot webhook URL such as https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…' })
    .optional(),
  DB_DOWN_ALERT_AFTER_SECONDS: z.coerce.number().int().min(10).max(86400).default(300),
  COVERAGE_ALERT_MINUTES: z.coerce.number().int().min(1).max(1440).default(30),
  SUSPECT_ACCOUNT_MINUTES: z.coerce.number().int().min(5).max(10080).default(120),
  WECHAT_RECONNECT_MAX_MS: z.coerce.number().int().min(500).max(600000).default(10000),
  // Backups (issue 16): the nightly dump of the real database into <KEPUBOT_DATA_DIR>/backups.
  SCHEDULE_BACKUP: z.string().default('0 3 * * *'),
  BACKUP_KEEP: z.coerce.number().int().min(1).max(1000).default(14),
  // Retention (issue 18): raw shares (share_event, effective_share) kept this many months before the current one.
  RAW_RETENTION_MONTHS: z.coerce
    .number({ error: 'should be a whole number of months, e.g. 36' })
    .int('should be a whole number of months, e.g. 36')
    .min(12, 'should be at least 12 (a year of raw shares: content tables and personal-data exports read them)')
    .max(1200, 'should be at most 1200 (100 years)')
    .default(36),
});

const SCHEDULE_VARS: Record<JobName, keyof z.infer<typeof schema>> = {
  'group-reminder': 'SCHEDULE_GROUP_REMINDER',
  'group-ranking': 'SCHEDULE_GROUP_RANKING',
  'weekly-digest': 'SCHEDULE_WEEKLY_DIGEST',
  'monthly-check': 'SCHEDULE_MONTHLY_CHECK',
  'quarterly-table': 'SCHEDULE_QUARTERLY_TABLE',
  'annual-evaluation': 'SCHEDULE_ANNUAL_EVALUATION',
};

/** Channels whose variables must be all set or all absent. */
export const CHANNEL_GROUPS: Record<string, Array<keyof z.infer<typeof schema>>> = {
  WeCom: ['WECOM_CORP_ID', 'WECOM_AGENT_ID', 'WECOM_SECRET', 'WECOM_TOKEN', 'WECOM_ENCODING_AES_KEY'],
  'Official Account': ['MP_APP_ID', 'MP_TOKEN'],
};

type Parsed = z.infer<typeof schema>;

/** The application's configuration: read once from the environment, then passed around. */
export interface AppConfig {
  env: Parsed['NODE_ENV'];
  logLevel: Parsed['LOG_LEVEL'];
  http: {
    host: string;
    port: number;
    trustProxy: boolean;
    /** Node's server timeouts (ms): headers, a whole request, an idle keep-alive connection. */
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    keepAliveTimeoutMs: number;
  };
  /** The console (管理后台). */
  console: {
    /** Its public address, without a trailing slash: sign-in links and the WeCom redirect URL start with it. */
    publicUrl: string;
    /** Whether CONSOLE_PUBLIC_URL was set (otherwise publicUrl is the default on PORT). */
    publicUrlSet: boolean;
  };
  database: {
    /** Unset: kepubot starts (or reuses) the embedded PostgreSQL under dataDir. */
    url?: string;
    /** The demo's database (demo mode only); default: `<database>_demo` on the same server. */
    demoUrl?: string;
    dataDir: string;
    embeddedPort: number;
    poolSize: number;
  };
  wechat: {
    name: string;
    /** Set when a puppet service is configured; otherwise the demo runs on the mock puppet. */
    puppetService?: { token?: string; endpoint?: string; noTlsInsecureClient: boolean };
    demoIntervalMs: number;
    /** Demo only: a file the demo appends the id of every share it sends to (fault drills). */
    demoShareLog?: string;
    /** Demo only: days of history seeded before today (0: none). */
    demoHistoryDays: number;
    /** Cap of the backoff between reconnection attempts to the puppet service. */
    reconnectMaxMs: number;
    /** At most this many accounts held by this process. */
    maxAccountsPerProcess: number;
    /** Tests only: 'mock' puts the database's accounts on local mock puppets. */
    accountPuppet: 'service' | 'mock';
    /**
     * The counties (names) the configured WeChat account serves; empty: every county. Staff of a
     * served county see the groups it heard that no station has yet.
     */
    accountCounties: string[];
  };
  links: { extraDomains: string[]; miniProgramNames: string[]; miniProgramAppIds: string[]; urlRules: UrlRule[] };
  /** Titles of Kepu China pages shared only as a bare URL, fetched once per item (services/content-titles.service.ts). */
  contentTitles: { fetch: boolean; timeoutMs: number; maxBytes: number };
  counting: {
    dailyQuota: number;
    staleSeconds: number;
    batchMax: number;
    batchWaitMs: number;
    /** At most this many distinct content items of one message are counted. */
    itemsPerMessage: number;
  };
  /** Annual evaluation (docs/统计口径.md 年度评定). */
  evaluation: { bottomPercent: number };
  /** WeCom self-built app (企业微信自建应用); absent when not configured. */
  wecom?: { corpId: string; agentId: number; secret: string; token: string; encodingAesKey: string; apiBase: string };
  /** Official Account (公众号); plain mode without an EncodingAESKey, safe mode with one. */
  mp?: { appId: string; appSecret?: string; token: string; encodingAesKey?: string };
  callbacks: { maxAgeSeconds: number; bodyLimitBytes: number; replyDeadlineMs: number };
  /** Faults and recovery: the durable share spool, database checks, shutdown. */
  resilience: {
    /** Directory of the share spool (under the data directory). */
    spoolDir: string;
    spoolMaxBytes: number;
    /** /readyz answers 503 when more shares than this wait in the spool. */
    spoolReadyMax: number;
    /** A batch not committed within this time is spooled (the write may still land; replays are deduped). */
    shareWriteTimeoutMs: number;
    shutdownTimeoutMs: number;
    dbCheckIntervalMs: number;
    /** Restart the embedded PostgreSQL when it dies. */
    superviseEmbedded: boolean;
  };
  schedule: {
    enabled: boolean;
    zone: string;
    /** Default rule per job; counties may override (region.schedule). */
    rules: Record<JobName, string>;
    sendIntervalMs: number;
    sendJitterMs: number;
    sendDailyCap: number;
    /** Per account: at most this many messages in any 60 s. */
    sendPerMinute: number;
    /** Per account: spacing when the next message goes to another group than the last. */
    sendSwitchIntervalMs: number;
    /** Days after an account's first login with half the daily cap. */
    sendNewAccountDays: number;
    /** Answers and prompts for one group within this window go out as one message. */
    sendBatchWindowMs: number;
    /** At most this many people in one batched message. */
    sendBatchMax: number;
    /** Pause after WeChat says "too frequent" / "restricted" (doubled on each repeat, up to the max). */
    restrictedBackoffMs: number;
    restrictedBackoffMaxMs: number;
    /** Minutes after midnight: no group messages from `start` until `end`. */
    quiet: { start: number; end: number };
  };
  /** Backups of the real database (kepubot backup, and the nightly one the server makes). */
  backup: {
    /** Where backups are written and pruned: <KEPUBOT_DATA_DIR>/backups. */
    dir: string;
    /** When the server makes its nightly backup (cron, schedule.zone); null: never. */
    rule: string | null;
    /** How many of the newest backups are kept. */
    keep: number;
  };
  /** How long data is kept (the partition upkeep and `kepubot data retention`). */
  retention: {
    /** Raw shares of months before the current one and this many before it are dropped, a month at a time, once summarised. */
    rawMonths: number;
  };
  /** Who is told when the WeChat account logs out or the database stays down, and when. */
  alerts: {
    /** WeCom user ids of the operator (sent through the WeCom app), besides every county's staff. */
    operatorWecomUsers: string[];
    /** The operator's group robot webhook, besides every county's webhook. */
    operatorWebhookUrl?: string;
    /** The database must stay unreachable this long before an alert goes out. */
    dbDownAfterSeconds: number;
    /** A bound group unheard (no account listening) for more than this many minutes of a day: one alert that day. */
    coverageMinutes: number;
    /** An account listening but hearing nothing this long while other accounts in its groups do is suspect. */
    suspectMinutes: number;
  };
}

/** Start-up stops with this error; its message names each bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`配置有误 (invalid configuration):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment once. The only reader of process.env is the caller of this function. */
export function loadConfig(env: Record<string, string | undefined>): AppConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const name = issue.path.join('.') || '(environment)';
        return `${name}: ${issue.message}${name in cleaned ? ` (got "${cleaned[name]}")` : ''}`;
      }),
    );
  }
  const c = result.data;
  const half: string[] = [];
  for (const [channel, names] of Object.entries(CHANNEL_GROUPS)) {
    const present = names.filter((n) => c[n] !== undefined);
    if (present.length > 0 && present.length < names.length) {
      for (const n of names.filter((x) => c[x] === undefined)) {
        half.push(`${n}: missing (the ${channel} channel is half configured: ${present.join(', ')} set)`);
      }
    }
  }
  if (c.MP_ENCODING_AES_KEY && !c.MP_APP_ID) half.push('MP_APP_ID: missing (MP_ENCODING_AES_KEY is set)');
  if (c.ALERT_WECOM_USER && !c.WECOM_CORP_ID) {
    half.push(
      'ALERT_WECOM_USER: alerts to WeCom users need the WeCom app (set WECOM_CORP_ID and the other WECOM_* variables), or use ALERT_WEBHOOK_URL',
    );
  }
  if (c.SCHEDULE_BACKUP !== 'off') {
    const problem = ruleProblem(c.SCHEDULE_BACKUP, IANAZone.isValidZone(c.SCHEDULE_TIME_ZONE) ? c.SCHEDULE_TIME_ZONE : TIME_ZONE);
    if (problem && !problem.startsWith('unknown time zone')) half.push(`SCHEDULE_BACKUP: ${problem} (or "off")`);
  }
  if (c.HTTP_HEADERS_TIMEOUT_MS > c.HTTP_REQUEST_TIMEOUT_MS) {
    half.push(`HTTP_HEADERS_TIMEOUT_MS: should not be longer than HTTP_REQUEST_TIMEOUT_MS (${c.HTTP_REQUEST_TIMEOUT_MS})`);
  }
  if (!IANAZone.isValidZone(c.SCHEDULE_TIME_ZONE)) {
    half.push(`SCHEDULE_TIME_ZONE: unknown time zone (got "${c.SCHEDULE_TIME_ZONE}"), e.g. Asia/Shanghai`);
  }
  for (const [job, name] of Object.entries(SCHEDULE_VARS)) {
    const problem = ruleProblem(String(c[name]), IANAZone.isValidZone(c.SCHEDULE_TIME_ZONE) ? c.SCHEDULE_TIME_ZONE : TIME_ZONE);
    if (problem && !problem.startsWith('unknown time zone')) half.push(`${name}: ${problem} (job ${job})`);
  }
  let urlRules: UrlRule[] = [];
  try {
    urlRules = parseUrlRules(c.KEPU_URL_RULES ?? '', c.KEPU_EXTRA_DOMAINS);
  } catch (err) {
    half.push(`KEPU_URL_RULES: ${(err as Error).message}`);
  }
  if (half.length > 0) throw new ConfigError(half);
  const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
  const hasPuppetService = Boolean(c.WECHATY_PUPPET_SERVICE_TOKEN || c.WECHATY_PUPPET_SERVICE_ENDPOINT);
  return {
    env: c.NODE_ENV,
    logLevel: c.LOG_LEVEL,
    http: {
      host: c.HOST,
      port: c.PORT,
      trustProxy: c.TRUST_PROXY,
      headersTimeoutMs: c.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: c.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: c.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    },
    console: {
      publicUrl: (c.CONSOLE_PUBLIC_URL ?? `http://localhost:${c.PORT}`).replace(/\/+$/, ''),
      publicUrlSet: c.CONSOLE_PUBLIC_URL !== undefined,
    },
    database: {
      url: c.DATABASE_URL,
      demoUrl: c.DEMO_DATABASE_URL,
      dataDir: c.KEPUBOT_DATA_DIR,
      embeddedPort: c.EMBEDDED_PG_PORT,
      poolSize: c.DB_POOL_SIZE,
    },
    wechat: {
      name: c.WECHATY_NAME,
      reconnectMaxMs: c.WECHAT_RECONNECT_MAX_MS,
      maxAccountsPerProcess: c.MAX_ACCOUNTS_PER_PROCESS,
      accountPuppet: c.WECHAT_ACCOUNT_PUPPET,
      accountCounties: c.WECHAT_ACCOUNT_COUNTIES,
      puppetService: hasPuppetService
        ? {
            token: c.WECHATY_PUPPET_SERVICE_TOKEN,
            endpoint: c.WECHATY_PUPPET_SERVICE_ENDPOINT,
            noTlsInsecureClient: c.WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT,
          }
        : undefined,
      demoIntervalMs: c.DEMO_MESSAGE_INTERVAL_MS,
      demoShareLog: c.DEMO_SHARE_LOG,
      demoHistoryDays: c.DEMO_HISTORY_DAYS,
    },
    links: {
      extraDomains: c.KEPU_EXTRA_DOMAINS.map((d) => d.toLowerCase()),
      miniProgramNames: c.KEPU_MINIPROGRAM_NAMES,
      miniProgramAppIds: c.KEPU_MINIPROGRAM_APPIDS,
      urlRules,
    },
    contentTitles: { fetch: c.CONTENT_TITLE_FETCH, timeoutMs: c.CONTENT_TITLE_TIMEOUT_MS, maxBytes: c.CONTENT_TITLE_MAX_KB * 1024 },
    counting: {
      dailyQuota: c.DAILY_SHARE_QUOTA,
      staleSeconds: c.STALE_MESSAGE_SECONDS,
      batchMax: c.SHARE_BATCH_MAX,
      batchWaitMs: c.SHARE_BATCH_WAIT_MS,
      itemsPerMessage: c.SHARE_ITEMS_PER_MESSAGE_MAX,
    },
    evaluation: { bottomPercent: c.EVALUATION_BOTTOM_PERCENT },
    wecom: c.WECOM_CORP_ID
      ? {
          corpId: c.WECOM_CORP_ID,
          agentId: c.WECOM_AGENT_ID!,
          secret: c.WECOM_SECRET!,
          token: c.WECOM_TOKEN!,
          encodingAesKey: c.WECOM_ENCODING_AES_KEY!,
          apiBase: c.WECOM_API_BASE.replace(/\/+$/, ''),
        }
      : undefined,
    mp: c.MP_APP_ID
      ? { appId: c.MP_APP_ID, appSecret: c.MP_APP_SECRET, token: c.MP_TOKEN!, encodingAesKey: c.MP_ENCODING_AES_KEY }
      : undefined,
    schedule: {
      enabled: c.SCHEDULER_ENABLED,
      zone: c.SCHEDULE_TIME_ZONE,
      rules: Object.fromEntries(Object.entries(SCHEDULE_VARS).map(([job, name]) => [job, String(c[name])])) as Record<JobName, string>,
      sendIntervalMs: c.SEND_INTERVAL_MS,
      sendJitterMs: c.SEND_JITTER_MS,
      sendDailyCap: c.SEND_DAILY_CAP,
      sendPerMinute: c.SEND_PER_MINUTE,
      sendSwitchIntervalMs: c.SEND_GROUP_SWITCH_MS,
      sendNewAccountDays: c.SEND_NEW_ACCOUNT_DAYS,
      sendBatchWindowMs: c.SEND_BATCH_WINDOW_MS,
      sendBatchMax: c.SEND_BATCH_MAX,
      restrictedBackoffMs: c.SEND_RESTRICTED_BACKOFF_MS,
      restrictedBackoffMaxMs: c.SEND_RESTRICTED_BACKOFF_MAX_MS,
      quiet: { start: minutes(c.QUIET_HOURS.slice(0, 5)), end: minutes(c.QUIET_HOURS.slice(6, 11)) },
    },
    resilience: {
      spoolDir: path.join(c.KEPUBOT_DATA_DIR, 'spool'),
      spoolMaxBytes: c.SPOOL_MAX_BYTES,
      spoolReadyMax: c.SPOOL_READY_MAX,
      shareWriteTimeoutMs: c.SHARE_WRITE_TIMEOUT_MS,
      shutdownTimeoutMs: c.SHUTDOWN_TIMEOUT_MS,
      dbCheckIntervalMs: c.DB_CHECK_INTERVAL_MS,
      superviseEmbedded: c.EMBEDDED_PG_SUPERVISE,
    },
    backup: {
      dir: path.join(c.KEPUBOT_DATA_DIR, 'backups'),
      rule: c.SCHEDULE_BACKUP === 'off' ? null : c.SCHEDULE_BACKUP,
      keep: c.BACKUP_KEEP,
    },
    retention: { rawMonths: c.RAW_RETENTION_MONTHS },
    alerts: {
      operatorWecomUsers: (c.ALERT_WECOM_USER ?? '').split(/[|,]/).filter(Boolean),
      operatorWebhookUrl: c.ALERT_WEBHOOK_URL,
      dbDownAfterSeconds: c.DB_DOWN_ALERT_AFTER_SECONDS,
      coverageMinutes: c.COVERAGE_ALERT_MINUTES,
      suspectMinutes: c.SUSPECT_ACCOUNT_MINUTES,
    },
    callbacks: {
      maxAgeSeconds: c.CALLBACK_MAX_AGE_SECONDS,
      bodyLimitBytes: c.CALLBACK_BODY_LIMIT_BYTES,
      replyDeadlineMs: c.CALLBACK_REPLY_DEADLINE_MS,
    },
  };
}
