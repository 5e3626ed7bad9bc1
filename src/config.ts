import { z } from 'zod';

/** Time zone of every kepubot day, week, month and quarter (DOMAIN.md). */
export const TIME_ZONE = 'Asia/Shanghai';

const list = z
  .string()
  .transform((s) =>
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

const domainName = z
  .string()
  .regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i, 'should be a domain name such as kepu.example.cn');

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port(3000),

  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/.+/, 'should look like postgres://user:password@host:5432/kepubot')
    .optional(),
  KEPUBOT_DATA_DIR: z.string().min(1).default('./data'),
  EMBEDDED_PG_PORT: port(54329),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),

  WECHATY_PUPPET_SERVICE_TOKEN: z.string().min(1).optional(),
  WECHATY_PUPPET_SERVICE_ENDPOINT: z
    .string()
    .regex(/^[\w.-]+:\d+$/, 'should be host:port, e.g. 10.0.0.2:8788')
    .optional(),
  WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT: boolean.default(false),
  WECHATY_NAME: z.string().min(1).default('kepubot'),

  DEMO_MESSAGE_INTERVAL_MS: z.coerce.number().int().min(50).default(3000),

  KEPU_EXTRA_DOMAINS: list.pipe(z.array(domainName)).default([]),
  KEPU_MINIPROGRAM_NAMES: list.default(['科普中国']),
  KEPU_MINIPROGRAM_APPIDS: list.pipe(z.array(z.string().regex(/^wx[0-9a-f]{16}$/i, 'should be wx + 16 hex digits'))).default([]),

  DAILY_SHARE_QUOTA: z.coerce.number().int().min(1).max(100).default(3),
  STALE_MESSAGE_SECONDS: z.coerce.number().int().min(1).default(600),
  SHARE_BATCH_MAX: z.coerce.number().int().min(1).max(5000).default(500),
  SHARE_BATCH_WAIT_MS: z.coerce.number().int().min(0).max(1000).default(2),
});

type Parsed = z.infer<typeof schema>;

/** The application's configuration: read once from the environment, then passed around. */
export interface AppConfig {
  env: Parsed['NODE_ENV'];
  logLevel: Parsed['LOG_LEVEL'];
  http: { host: string; port: number };
  database: {
    /** Unset: kepubot starts (or reuses) the embedded PostgreSQL under dataDir. */
    url?: string;
    dataDir: string;
    embeddedPort: number;
    poolSize: number;
  };
  wechat: {
    name: string;
    /** Set when a puppet service is configured; otherwise the demo runs on the mock puppet. */
    puppetService?: { token?: string; endpoint?: string; noTlsInsecureClient: boolean };
    demoIntervalMs: number;
  };
  links: { extraDomains: string[]; miniProgramNames: string[]; miniProgramAppIds: string[] };
  counting: { dailyQuota: number; staleSeconds: number; batchMax: number; batchWaitMs: number };
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
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''),
  );
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
  const hasPuppetService = Boolean(c.WECHATY_PUPPET_SERVICE_TOKEN || c.WECHATY_PUPPET_SERVICE_ENDPOINT);
  return {
    env: c.NODE_ENV,
    logLevel: c.LOG_LEVEL,
    http: { host: c.HOST, port: c.PORT },
    database: {
      url: c.DATABASE_URL,
      dataDir: c.KEPUBOT_DATA_DIR,
      embeddedPort: c.EMBEDDED_PG_PORT,
      poolSize: c.DB_POOL_SIZE,
    },
    wechat: {
      name: c.WECHATY_NAME,
      puppetService: hasPuppetService
        ? {
            token: c.WECHATY_PUPPET_SERVICE_TOKEN,
            endpoint: c.WECHATY_PUPPET_SERVICE_ENDPOINT,
            noTlsInsecureClient: c.WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT,
          }
        : undefined,
      demoIntervalMs: c.DEMO_MESSAGE_INTERVAL_MS,
    },
    links: {
      extraDomains: c.KEPU_EXTRA_DOMAINS.map((d) => d.toLowerCase()),
      miniProgramNames: c.KEPU_MINIPROGRAM_NAMES,
      miniProgramAppIds: c.KEPU_MINIPROGRAM_APPIDS,
    },
    counting: {
      dailyQuota: c.DAILY_SHARE_QUOTA,
      staleSeconds: c.STALE_MESSAGE_SECONDS,
      batchMax: c.SHARE_BATCH_MAX,
      batchWaitMs: c.SHARE_BATCH_WAIT_MS,
    },
  };
}
