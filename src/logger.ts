import pino from 'pino';

/** kepubot's structured logger (pino); child loggers carry the listener id or component. */
export type Logger = pino.Logger;

/** Errors as logged: type, message, code and stack, never a failed query's text or parameters. */
function safeError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const e = err as Error & { code?: string; driverError?: { code?: string } };
  return { type: e.name, message: e.message, code: e.code ?? e.driverError?.code, stack: e.stack };
}

/** `destination`: where lines go (stdout by default; tests capture them to check for personal data). */
export function createLogger(level: string = 'info', name = 'kepubot', destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = { name, level, serializers: { err: safeError } };
  return destination ? pino(options, destination) : pino(options);
}
