import { createHash } from 'node:crypto';
import pino from 'pino';

/** kepubot's structured logger (pino); child loggers carry the listener id or component. */
export type Logger = pino.Logger;

/**
 * Fields that may hold personal data (names, phone numbers, WeChat/WeCom/MP ids, message text,
 * query strings, the login QR code). Their values never reach the log, at any level, whatever
 * the call site passes; nested one level deep as well (`{ sender: { name } }`).
 */
export const REDACTED_FIELDS = [
  'name',
  'phone',
  'mobile',
  'text',
  'content',
  'user',
  'sender',
  'senderId',
  'senderName',
  'talker',
  'talkerId',
  'talkerName',
  'contact',
  'contactId',
  'wechatId',
  'wechatContactId',
  'openid',
  'openId',
  'userid',
  'userId',
  'from',
  'fromUser',
  'qrcode',
  'parameters',
  'params',
  'query',
  'querystring',
  'body',
] as const;

const REDACT_PATHS = [...REDACTED_FIELDS, ...REDACTED_FIELDS.map((f) => `*.${f}`), 'postgres'];

/**
 * PostgreSQL's own log lines (forwarded by the embedded server) may quote row values in DETAIL
 * (`Key (phone)=(13812345678) already exists`) and statements; only the first line is kept.
 */
function scrubPostgresLine(value: unknown): string {
  const lines = String(value).split('\n');
  return lines
    .filter((l) => !/\b(DETAIL|STATEMENT|PARAMETERS|CONTEXT|QUERY):/.test(l))
    .map((l) => l.replace(/\)=\(.*?\)/g, ')=(…)'))
    .join('\n');
}

function censorFor(loggerName: string) {
  return (value: unknown, path: string[]): unknown => {
    if (path.length === 1 && path[0] === 'postgres') return scrubPostgresLine(value);
    // pino's own `name` field (the logger's name) is not personal.
    if (path.length === 1 && path[0] === 'name' && value === loggerName) return value;
    return '[redacted]';
  };
}

type ErrorLike = Error & Record<string, unknown>;

function isDatabaseErrorShape(err: ErrorLike): boolean {
  return (
    'query' in err ||
    'parameters' in err ||
    'driverError' in err ||
    (typeof err.code === 'string' && /^[0-9A-Z]{5}$/.test(err.code) && 'severity' in err)
  );
}

const DB_ERROR_FIELDS = ['code', 'severity', 'routine', 'table', 'column', 'constraint', 'dataType', 'schema'] as const;

/**
 * pino's `err` serializer: type, code, message and stack, nothing else. A database error
 * (TypeORM's QueryFailedError, pg's DatabaseError) loses its query, parameters, driverError,
 * detail and message (PostgreSQL quotes values in some messages, e.g. `invalid input syntax …:
 * "13812345678"`); its SQLSTATE and the schema names it concerns are kept.
 */
export function serializeError(err: unknown, depth = 0): Record<string, unknown> | unknown {
  if (!(err instanceof Error)) {
    if (err && typeof err === 'object') return { type: 'non-error object' };
    return err === undefined || err === null ? err : { type: typeof err, message: String(err).slice(0, 200) };
  }
  const e = err as ErrorLike;
  const type = e.constructor?.name ?? 'Error';
  const out: Record<string, unknown> = { type };
  const stackFrames =
    typeof e.stack === 'string'
      ? e.stack
          .split('\n')
          .filter((l) => /^\s+at /.test(l))
          .join('\n')
      : undefined;
  if (isDatabaseErrorShape(e)) {
    for (const k of DB_ERROR_FIELDS) if (typeof e[k] === 'string') out[k] = e[k];
    out.message = `database error${typeof e.code === 'string' ? ` ${e.code}` : ''}`;
    out.stack = stackFrames;
  } else {
    if (typeof e.code === 'string' || typeof e.code === 'number') out.code = e.code;
    // Numbers and flags (errcode, status, attempt) carry no personal data; strings might.
    for (const [k, v] of Object.entries(e)) if (typeof v === 'number' || typeof v === 'boolean') out[k] ??= v;
    out.message = e.message;
    out.stack = e.stack;
  }
  if (depth < 3) {
    if (e.cause !== undefined) out.cause = serializeError(e.cause, depth + 1);
    if (Array.isArray(e.errors)) out.errors = e.errors.slice(0, 5).map((x) => serializeError(x, depth + 1));
  }
  return out;
}

/**
 * A short, stable reference to a value that must not be logged (a callback key holding an
 * OpenID, a contact id): the same input gives the same reference, so log lines can be correlated.
 */
export function logRef(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 12);
}

/**
 * Creates kepubot's logger. `destination` defaults to stdout; tests pass a stream to capture
 * every line. Personal data is redacted (see REDACTED_FIELDS) and errors go through
 * `serializeError`.
 */
export function createLogger(level: string = 'info', name = 'kepubot', destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    name,
    level,
    redact: { paths: REDACT_PATHS, censor: censorFor(name) },
    serializers: { err: serializeError, error: serializeError },
  };
  return destination ? pino(options, destination) : pino(options);
}
