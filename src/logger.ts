import pino from 'pino';

/** kepubot's structured logger (pino); child loggers carry the listener id or component. */
export type Logger = pino.Logger;

/** `destination`: where lines go (stdout by default; tests capture them to check for personal data). */
export function createLogger(level: string = 'info', name = 'kepubot', destination?: pino.DestinationStream): Logger {
  return destination ? pino({ name, level }, destination) : pino({ name, level });
}
