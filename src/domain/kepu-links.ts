/**
 * Recognises Kepu China (科普中国) content links in WeChat messages (text, link cards,
 * mini-program cards) and maps each to a content key: one key per content item, whichever
 * front-end (desktop, mobile, cloud, mini-program) it was shared from. Pure: no I/O.
 */

/** Operator-configurable recognition rules. */
export interface LinkRules {
  /** Domains treated as Kepu China besides kepuchina.cn (their subdomains too). */
  extraDomains: string[];
  /** Mini-program display names (or gh_…@app usernames) treated as Kepu China. */
  miniProgramNames: string[];
  /** Mini-program appids treated as Kepu China. */
  miniProgramAppIds: string[];
}

/** Rules used when none are given: kepuchina.cn and the 科普中国 mini-program. */
export const DEFAULT_LINK_RULES: LinkRules = Object.freeze({
  extraDomains: Object.freeze([]) as unknown as string[],
  miniProgramNames: Object.freeze(['科普中国']) as unknown as string[],
  miniProgramAppIds: Object.freeze([]) as unknown as string[],
});

/** How the link was shared: link card, mini-program card or a URL in a text message. */
export type ShareKind = 'url' | 'mini-program' | 'text';

/** A recognised Kepu China share. */
export interface KepuLink {
  /** Identity of the content item: equal keys are the same item. */
  contentKey: string;
  /** Normalised absolute URL, or miniprogram://<appid or name>/<pagePath>. */
  url: string;
  title?: string;
  kind: ShareKind;
}

const KEPU_DOMAIN = 'kepuchina.cn';
const HOST_RE = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$/;
/** A scheme; `host:port` (a digit after the colon) is not one. */
const SCHEME_RE = /^[a-z][a-z0-9+.-]*:(?!\d)/i;
/** Older static pages: /<YYYYMM>/t<YYYYMMDD>_<n>.shtml. */
const PAGE_RE = /\/\d{6}\/(t\d{8}_\d+)\.s?html?$/i;
/** Query parameters naming the item, by priority (lower case). */
const ITEM_ID_PARAMS = ['ar_id', 'articleid', 'contentid', 'id'];
const ITEM_ID_RE = /^[\w.-]{1,128}$/;
const TRACKING_PARAMS = new Set([
  'from',
  'isappinstalled',
  'spm',
  'timestamp',
  'scene',
  'subscene',
  'ascene',
  'clicktime',
  'enterid',
  'nsukey',
  'sessionid',
  'pass_ticket',
  'wx_header',
  'exportkey',
  'devicetype',
  'fbclid',
  'gclid',
]);
const TRACKING_PREFIXES = ['utm_', 'share'];

/** A run of characters that can belong to a URL in free text: printable ASCII except "'<>. */
const URL_RUN_RE = /[\x21\x23-\x26\x28-\x3b\x3d\x3f-\x7e]+/g;
/**
 * Where a URL starts inside a run: a scheme, or a bare host followed by a path, query,
 * fragment or port (not when the host is itself inside a path, query, e-mail, ...).
 */
const URL_START_RE = /([a-z][a-z0-9+.-]*):\/\/|(?<![\w.@/\\%=?&#+~-])(?:[a-z0-9-]+\.)+[a-z][a-z0-9-]*\.?(?=[/?#]|:\d)/i;
const TRAILING_PUNCT_RE = /[.,;:!?)\]]+$/;

function normalizeDomain(domain: string): string {
  return domain.trim().toLowerCase().replace(/^\*?\./, '').replace(/\.$/, '');
}

function kepuDomains(rules: LinkRules): string[] {
  return [KEPU_DOMAIN, ...rules.extraDomains.map(normalizeDomain).filter(Boolean)];
}

/** true when the host is kepuchina.cn, one of its subdomains, or an extra domain (or subdomain of one). */
export function isKepuHost(host: string, rules: LinkRules = DEFAULT_LINK_RULES): boolean {
  if (typeof host !== 'string') return false;
  const h = host.trim().toLowerCase().replace(/:\d*$/, '').replace(/\.$/, '');
  if (!HOST_RE.test(h)) return false;
  return kepuDomains(rules).some((d) => h === d || h.endsWith(`.${d}`));
}

/** Parses an http(s) URL (scheme optional) on a Kepu host; undefined otherwise. */
function parseKepuUrl(raw: string, rules: LinkRules): URL | undefined {
  if (typeof raw !== 'string') return undefined;
  let s = raw.trim().replace(/&amp;/gi, '&');
  if (!s) return undefined;
  if (s.startsWith('//')) s = `https:${s}`;
  else if (!SCHEME_RE.test(s)) s = `https://${s}`;
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  return isKepuHost(url.hostname, rules) ? url : undefined;
}

/** The item id carried by query parameters (ar_id, articleId, contentId, id), if any. */
function itemIdOf(params: URLSearchParams): string | undefined {
  const byName = new Map<string, string>();
  for (const [name, value] of params) {
    const n = name.toLowerCase();
    if (!byName.has(n)) byName.set(n, value.trim());
  }
  for (const name of ITEM_ID_PARAMS) {
    const value = byName.get(name);
    if (value && ITEM_ID_RE.test(value)) return value;
  }
  return undefined;
}

function isTracking(name: string): boolean {
  const n = name.toLowerCase();
  return TRACKING_PARAMS.has(n) || TRACKING_PREFIXES.some((p) => n.startsWith(p));
}

function canonicalQuery(params: URLSearchParams): string {
  const kept = [...params]
    .filter(([name]) => name !== '' && !isTracking(name))
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return new URLSearchParams(kept).toString();
}

function keyHost(hostname: string): string {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  const m = /^(?:www|m)\.(.+\..+)$/.exec(h);
  return m ? m[1] : h;
}

function normalizePath(pathname: string): string {
  return pathname
    .replace(/\/{2,}/g, '/')
    .replace(/\/+$/, '')
    .replace(/%[0-9a-f]{2}/gi, (e) => e.toUpperCase());
}

function keyOfUrl(url: URL): string {
  const path = normalizePath(url.pathname);
  const page = PAGE_RE.exec(path);
  if (page) return `kepu:page:${page[1].toLowerCase()}`;
  const id = itemIdOf(url.searchParams);
  if (id) return `kepu:item:${id}`;
  const query = canonicalQuery(url.searchParams);
  return `kepu:url:${keyHost(url.hostname)}${path}${query ? `?${query}` : ''}`;
}

function cleanText(s: string | undefined): string | undefined {
  const t = typeof s === 'string' ? s.replace(/\s+/g, ' ').trim() : '';
  return t || undefined;
}

function withTitle(link: KepuLink, title: string | undefined): KepuLink {
  const t = cleanText(title);
  return t ? { ...link, title: t } : link;
}

/** Normalised content key of a Kepu China URL, or undefined when the URL is not Kepu China. */
export function contentKeyOf(url: string, rules: LinkRules = DEFAULT_LINK_RULES): string | undefined {
  const parsed = parseKepuUrl(url, rules);
  return parsed ? keyOfUrl(parsed) : undefined;
}

/**
 * All distinct Kepu China links found in free text (order of appearance, deduped by contentKey).
 * A URL ends at whitespace, any non-ASCII character (Chinese text and punctuation, full-width
 * forms) or "'<>; trailing .,;:!?)] are trimmed. Every URL is consumed whole, so a Kepu URL
 * inside another URL (query, path) is not counted.
 */
export function findKepuLinksInText(text: string, rules: LinkRules = DEFAULT_LINK_RULES): KepuLink[] {
  if (typeof text !== 'string' || !text) return [];
  const links: KepuLink[] = [];
  const seen = new Set<string>();
  for (const run of text.matchAll(URL_RUN_RE)) {
    const m = URL_START_RE.exec(run[0]);
    if (!m) continue;
    let start = m.index;
    const scheme = m[1]?.toLowerCase();
    if (scheme) {
      // "链接https://…" written without a space: the URL starts at http(s).
      const http = /https?$/.exec(scheme);
      if (http) start += scheme.length - http[0].length;
    }
    const candidate = run[0].slice(start).replace(TRAILING_PUNCT_RE, '');
    const url = parseKepuUrl(candidate, rules);
    if (!url) continue;
    const contentKey = keyOfUrl(url);
    if (seen.has(contentKey)) continue;
    seen.add(contentKey);
    links.push({ contentKey, url: url.href, kind: 'text' });
  }
  return links;
}

/** A link card (Wechaty MessageType.Url: UrlLink url/title). Judged by its url only. */
export function recognizeUrlCard(
  card: { url: string; title?: string; description?: string },
  rules: LinkRules = DEFAULT_LINK_RULES,
): KepuLink | undefined {
  const url = parseKepuUrl(card.url, rules);
  if (!url) return undefined;
  return withTitle({ contentKey: keyOfUrl(url), url: url.href, kind: 'url' }, card.title);
}

/** appid, or the configured name, identifying a Kepu China mini-program card. */
function miniProgramSource(
  card: { appid?: string; username?: string; description?: string },
  rules: LinkRules,
): string | undefined {
  const appid = card.appid?.trim() ?? '';
  if (appid && rules.miniProgramAppIds.some((a) => a.trim().toLowerCase() === appid.toLowerCase())) return appid;
  const description = card.description?.trim() ?? '';
  const username = (card.username?.trim() ?? '').replace(/@app$/, '');
  const name = rules.miniProgramNames
    .map((n) => n.trim())
    .find((n) => n && (description.startsWith(n) || (username !== '' && username === n.replace(/@app$/, ''))));
  if (!name) return undefined;
  return appid || name;
}

/**
 * A mini-program card (Wechaty MessageType.MiniProgram). Recognised by appid or by app name
 * (description or username), never by title. An item id in pagePath (or a Kepu URL passed to
 * a web-view page) gives the same key as the web share of that item.
 */
export function recognizeMiniProgram(
  card: { appid?: string; title?: string; pagePath?: string; username?: string; description?: string },
  rules: LinkRules = DEFAULT_LINK_RULES,
): KepuLink | undefined {
  const source = miniProgramSource(card, rules);
  if (!source) return undefined;
  const pagePath = (card.pagePath?.trim() ?? '').replace(/^\/+/, '');
  const q = pagePath.indexOf('?');
  const page = (q >= 0 ? pagePath.slice(0, q) : pagePath).replace(/#.*$/, '').replace(/\.html$/i, '');
  const params = new URLSearchParams(q >= 0 ? pagePath.slice(q + 1).replace(/#.*$/, '') : '');
  const id = itemIdOf(params);
  const embedded = [...params.values()]
    .filter((v) => /^https?:\/\//i.test(v.trim()))
    .map((v) => contentKeyOf(v, rules))
    .find((k) => k !== undefined);
  const contentKey = id
    ? `kepu:item:${id}`
    : (embedded ?? (page ? `kepu:mp:${source}:${page}` : `kepu:mp:${source}:title:${cleanText(card.title) ?? ''}`));
  return withTitle({ contentKey, url: `miniprogram://${source}/${pagePath}`, kind: 'mini-program' }, card.title);
}
