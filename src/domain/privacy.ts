/**
 * How personal data is shown outside the roster itself. Pure.
 */

const MOBILE_IN_TEXT = /(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)/g;

/**
 * A phone number as kepubot shows it in replies, reports and CLI output: 13812345678 →
 * 138****5678. Anything else that looks like a number keeps at most its first 3 and last 4
 * digits; short values are starred out entirely.
 */
export function maskPhone(phone: string): string {
  const s = phone.trim();
  if (s.length >= 8) return `${s.slice(0, 3)}${'*'.repeat(s.length - 7)}${s.slice(-4)}`;
  return '*'.repeat(s.length);
}

/** Masks every mainland mobile number (11 digits starting 13–19) inside a text. */
export function maskPhonesInText(text: string): string {
  return text.replace(MOBILE_IN_TEXT, (_m, a: string, _b: string, c: string) => `${a}****${c}`);
}
