/**
 * Whether an error means "PostgreSQL is not reachable right now" (down, restarting, shutting
 * down, out of connections, the connection broke) rather than a problem with the statement.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string; message?: string }; message?: string } | null;
  if (!e) return false;
  const code = e.driverError?.code ?? e.code ?? '';
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN'].includes(code)) return true;
  // 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now; class 08 connection
  // exceptions; 53300 too many connections.
  if (/^(57P0[123]|08...|53300)$/.test(code)) return true;
  const message = `${e.driverError?.message ?? ''} ${e.message ?? ''}`;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down|in recovery mode)|terminating connection|DataSource is not initialized|Driver not Connected/i.test(
    message,
  );
}
