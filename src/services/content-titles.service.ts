import { Parser } from 'htmlparser2';
import type { DataSource } from 'typeorm';
import { isKepuHost, type LinkRules } from '../domain/kepu-links';
import type { ContentTitleOutcome } from '../db/entities';
import type { Logger } from '../logger';

/** A failed fetch (no answer in time, network down) is tried again after this long. */
const RETRY_FAILED_MS = 24 * 3600 * 1000;
/** Titles longer than this are cut (the column holds 200). */
const TITLE_MAX = 200;
/** Redirects followed, each to a Kepu China host (or the same origin). */
const MAX_REDIRECTS = 3;
/** Pages fetched at once by one fill(). */
const PARALLEL = 4;

export interface ContentTitleOptions {
  /** CONTENT_TITLE_FETCH: false reads the cache only. */
  fetch: boolean;
  timeoutMs: number;
  /** At most this many bytes of a page are read. */
  maxBytes: number;
}

/** An item to name: its content key, a URL of it, and the title a link card gave (if any). */
export interface TitleWanted {
  contentKey: string;
  url: string;
  title: string | null;
}

/** What one fetch found. */
export interface FetchedTitle {
  outcome: ContentTitleOutcome;
  title: string | null;
}

/**
 * Reads the <title> of an HTML page: at most `maxBytes` of the body, within `timeoutMs` overall,
 * with htmlparser2 (entities decoded, whitespace collapsed). Only http(s) answers of type
 * text/html count; a redirect is followed only where `allowed` says. Never throws.
 */
export async function fetchPageTitle(
  url: string,
  opts: { timeoutMs: number; maxBytes: number; allowed: (url: URL) => boolean },
): Promise<FetchedTitle> {
  const signal = AbortSignal.timeout(opts.timeoutMs);
  try {
    let target = new URL(url);
    let res: Response | null = null;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      res = await fetch(target, {
        signal,
        redirect: 'manual',
        headers: { accept: 'text/html', 'user-agent': 'kepubot (title of a shared Kepu China page)' },
      });
      const location = res.status >= 300 && res.status < 400 ? res.headers.get('location') : null;
      if (!location) break;
      await res.body?.cancel();
      const next = new URL(location, target);
      if (!/^https?:$/.test(next.protocol) || !(next.origin === target.origin || opts.allowed(next)))
        return { outcome: 'none', title: null };
      target = next;
      res = null;
    }
    if (!res) return { outcome: 'none', title: null };
    if (!res.ok) {
      await res.body?.cancel();
      return { outcome: res.status >= 500 || res.status === 429 ? 'failed' : 'none', title: null };
    }
    const type = res.headers.get('content-type') ?? '';
    if (!/^\s*(text\/html|application\/xhtml\+xml)/i.test(type) || !res.body) {
      await res.body?.cancel();
      return { outcome: 'none', title: null };
    }
    const title = await readTitle(res.body, charsetOf(type), opts.maxBytes);
    return title ? { outcome: 'found', title } : { outcome: 'none', title: null };
  } catch {
    return { outcome: 'failed', title: null };
  }
}

/** The charset of a content type (utf-8 when absent or unknown to TextDecoder). */
function charsetOf(contentType: string): string {
  const m = /charset\s*=\s*"?([\w-]+)/i.exec(contentType);
  const label = m?.[1] ?? 'utf-8';
  try {
    new TextDecoder(label);
    return label;
  } catch {
    return 'utf-8';
  }
}

/** Streams the body into htmlparser2 until the first </title> or `maxBytes`, then stops reading. */
async function readTitle(body: ReadableStream<Uint8Array>, charset: string, maxBytes: number): Promise<string | null> {
  let inTitle = false;
  let done = false;
  let text = '';
  const parser = new Parser(
    {
      onopentag(name) {
        if (name === 'title' && !done) inTitle = true;
      },
      ontext(t) {
        if (inTitle) text += t;
      },
      onclosetag(name) {
        if (name === 'title' && inTitle) {
          inTitle = false;
          done = true;
        }
      },
    },
    { decodeEntities: true },
  );
  const decoder = new TextDecoder(charset);
  const reader = body.getReader();
  let read = 0;
  try {
    while (!done && read < maxBytes) {
      const { value, done: end } = await reader.read();
      if (end) break;
      const chunk = value.byteLength > maxBytes - read ? value.subarray(0, maxBytes - read) : value;
      read += chunk.byteLength;
      parser.write(decoder.decode(chunk, { stream: true }));
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  if (!done) return null;
  const title = text.replace(/\s+/g, ' ').trim();
  return title ? title.slice(0, TITLE_MAX) : null;
}

/**
 * Titles of Kepu China items that were shared only as a bare URL (no link card named them),
 * fetched once per item from the item's page and kept in PostgreSQL (content_title). Run before a
 * digest is planned, never on the counting path; with CONTENT_TITLE_FETCH off only the cache is used.
 */
export class ContentTitleService {
  constructor(
    private readonly ds: DataSource,
    private readonly options: ContentTitleOptions,
    private readonly rules: LinkRules,
    private readonly log?: Logger,
    /** Where an item's page is fetched from (tests: a local fake site); default the URL itself. */
    private readonly locate: (url: URL) => URL = (u) => u,
  ) {}

  /**
   * Fetches and stores the titles of the items that have none yet (no card title, nothing cached,
   * or a failure more than a day old). Returns how many titles were found. Never throws.
   */
  async fill(items: TitleWanted[], now: Date): Promise<number> {
    if (!this.options.fetch) return 0;
    const wanted = new Map<string, URL>();
    for (const item of items) {
      if (item.title || wanted.has(item.contentKey)) continue;
      const url = URL.canParse(item.url) ? new URL(item.url) : null;
      if (url && /^https?:$/.test(url.protocol) && isKepuHost(url.hostname, this.rules)) wanted.set(item.contentKey, url);
    }
    if (wanted.size === 0) return 0;
    let found = 0;
    try {
      const known: Array<{ content_key: string }> = await this.ds.query(
        `SELECT content_key FROM content_title WHERE content_key = ANY($1) AND (outcome <> 'failed' OR fetched_at > $2)`,
        [[...wanted.keys()], new Date(now.getTime() - RETRY_FAILED_MS)],
      );
      for (const k of known) wanted.delete(k.content_key);
      const queue = [...wanted.entries()];
      const worker = async (): Promise<void> => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          const [contentKey, url] = next;
          const r = await fetchPageTitle(this.locate(url).toString(), {
            timeoutMs: this.options.timeoutMs,
            maxBytes: this.options.maxBytes,
            allowed: (u) => isKepuHost(u.hostname, this.rules),
          });
          if (r.outcome === 'found') found++;
          await this.store(contentKey, url.toString(), r, now);
        }
      };
      await Promise.all(Array.from({ length: Math.min(PARALLEL, queue.length) }, worker));
      if (wanted.size > 0) this.log?.info({ pages: wanted.size, found }, 'titles of shared pages fetched');
    } catch (err) {
      this.log?.warn({ err }, 'fetching titles of shared pages failed');
    }
    return found;
  }

  /** Stores what is known of an item's title (a fetch, or the demo's own titles). */
  async store(contentKey: string, url: string, r: FetchedTitle, now: Date): Promise<void> {
    await this.ds.query(
      `INSERT INTO content_title (content_key, url, title, outcome, fetched_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (content_key) DO UPDATE SET url = excluded.url, title = excluded.title, outcome = excluded.outcome, fetched_at = excluded.fetched_at`,
      [contentKey.slice(0, 512), url, r.title?.slice(0, TITLE_MAX) ?? null, r.outcome, now],
    );
  }
}
