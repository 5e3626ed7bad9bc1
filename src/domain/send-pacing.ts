/**
 * Sending like a careful person (issue 15, item 7): the pure rules of each WeChat account's
 * pace. Field reports on WeChat bots: about 20 messages a minute at most, a few seconds between
 * different groups, a daily cap, new accounts (first days after their first login) at half the
 * budget, and "too frequent" / "restricted" answers mean: stop sending for a while.
 */

/** Why a message goes out, in the order they go: a person's question first. */
export type SendPriority = 'answer' | 'prompt' | 'scheduled';

export const PRIORITY_ORDER: Record<SendPriority, number> = { answer: 0, prompt: 1, scheduled: 2 };

const DAY_MS = 86_400_000;

/** The daily cap of an account: half (at least 1) while its first login is less than `newDays` days ago, or unknown. */
export function dailyCapFor(cap: number, firstLoginAt: Date | null, now: Date, newDays: number): number {
  const isNew = firstLoginAt === null || now.getTime() - firstLoginAt.getTime() < newDays * DAY_MS;
  return isNew ? Math.max(1, Math.floor(cap / 2)) : cap;
}

/**
 * Texts WeChat (through the puppet service) answers a sending account with when it throttles or
 * restricts it. Matched on the error's message only.
 */
const RESTRICTION_PATTERNS = [
  /频繁/,
  /太快/,
  /限制/,
  /封(号|禁)/,
  /风控/,
  /too\s*(many|frequent|fast)/i,
  /frequen(t|cy)/i,
  /rate[\s-]*limit/i,
  /restrict/i,
  /\bbanned\b/i,
  /\bblocked\b/i,
];

/** Whether a send error means WeChat throttled or restricted the account (not a plain failure). */
export function isRestrictionError(err: unknown): boolean {
  const text = err instanceof Error ? err.message : typeof err === 'string' ? err : '';
  return RESTRICTION_PATTERNS.some((p) => p.test(text.slice(0, 500)));
}

/** The pause after the `strike`-th restriction in a row (1, 2, …): `baseMs` doubled each time, at most `maxMs`. */
export function restrictionBackoffMs(strike: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(30, strike - 1)));
}

/**
 * Several answers to one group as one message: each person on a line of their own, @-mentioned
 * at its start. Returns the pieces of a template call (`room.say(strings, ...people)`): the
 * strings around the mentions.
 */
export function batchedLines<P>(lines: Array<{ person: P; text: string }>): { strings: string[]; people: P[] } {
  const strings = [''];
  const people: P[] = [];
  lines.forEach((l, i) => {
    people.push(l.person);
    strings.push(` ${l.text}${i < lines.length - 1 ? '\n' : ''}`);
  });
  return { strings, people };
}
