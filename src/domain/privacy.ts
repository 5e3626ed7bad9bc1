/**
 * How personal data is shown outside the roster itself. Pure.
 */

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
