import pino from 'pino';

/** kepubot's structured logger (pino); child loggers carry the listener id or component. */
export type Logger = pino.Logger;

export function createLogger(level: string = 'info', name = 'kepubot'): Logger {
  return pino({ name, level });
}
