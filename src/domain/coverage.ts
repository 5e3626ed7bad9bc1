/**
 * Coverage of a group: the share of a window during which at least one bot account was
 * listening in it. Listening is recorded as intervals per account (account_listen_interval);
 * a group's unheard windows are the complement, within the window, of the union of its
 * accounts' intervals. Pure arithmetic on epoch milliseconds.
 */

/** A group covered less than this share of a week is named in the weekly digest. */
export const WEAK_COVERAGE = 0.99;

/** A half-open span of time [from, to) in epoch milliseconds. */
export interface Span {
  from: number;
  to: number;
}

/** The spans clipped to the window, merged where they overlap or touch, in order. */
export function unionWithin(spans: readonly Span[], window: Span): Span[] {
  const clipped = spans
    .map((s) => ({ from: Math.max(s.from, window.from), to: Math.min(s.to, window.to) }))
    .filter((s) => s.to > s.from)
    .sort((a, b) => a.from - b.from);
  const out: Span[] = [];
  for (const s of clipped) {
    const last = out[out.length - 1];
    if (last && s.from <= last.to) last.to = Math.max(last.to, s.to);
    else out.push({ ...s });
  }
  return out;
}

/** The parts of the window no span covers (when no account was listening), in order. */
export function gapsWithin(spans: readonly Span[], window: Span): Span[] {
  const gaps: Span[] = [];
  let at = window.from;
  for (const s of unionWithin(spans, window)) {
    if (s.from > at) gaps.push({ from: at, to: s.from });
    at = s.to;
  }
  if (window.to > at) gaps.push({ from: at, to: window.to });
  return gaps;
}

/** Milliseconds of the window no span covers. */
export function unheardMs(spans: readonly Span[], window: Span): number {
  return gapsWithin(spans, window).reduce((n, g) => n + (g.to - g.from), 0);
}

/** Covered share of the window, 0–1; null for an empty window (nothing to measure). */
export function coverageRatio(spans: readonly Span[], window: Span): number | null {
  const length = window.to - window.from;
  if (length <= 0) return null;
  return 1 - unheardMs(spans, window) / length;
}
