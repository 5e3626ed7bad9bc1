type ErrorLike = Error & Record<string, unknown>;

/** SQLSTATE classes that mean "the server or the connection is gone", not "this query is wrong". */
const CONNECTION_SQLSTATE = /^(08|57P0[1-3]|53300)/;
const CONNECTION_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
const CONNECTION_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Connection is not established',
  'the database system is',
  'terminating connection',
  'connection timeout',
  'DataSource is not initialized',
  'Driver not Connected',
  'is not currently accepting connections',
];

/**
 * True when `err` (or its cause / driverError / one of an AggregateError's errors) says the
 * database cannot be reached: refused or dropped connection, server shutting down or starting
 * (57P01–57P03), connection exceptions (SQLSTATE class 08), too many connections.
 */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 4) return false;
  const e = err as ErrorLike;
  const code = typeof e.code === 'string' ? e.code : '';
  if (CONNECTION_NODE_CODES.has(code)) return true;
  if (/^[0-9A-Z]{5}$/.test(code) && CONNECTION_SQLSTATE.test(code)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  if (CONNECTION_MESSAGES.some((m) => message.includes(m))) return true;
  const nested = [e.cause, e.driverError, ...(Array.isArray(e.errors) ? e.errors : [])];
  return nested.some((n) => isDatabaseUnavailable(n, depth + 1));
}
