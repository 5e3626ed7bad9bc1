/**
 * Recognises Kepu China (科普中国) content links in WeChat messages (text, link cards,
 * mini-program cards) and maps each to a content key: one key per content item. A key is
 * (kind, id) taken from one table of URL shapes (URL_SHAPES, plus the operator's
 * KEPU_URL_RULES): different id spaces never merge, and only a URL naming one item counts.
 * Home, search, list and login pages and URLs without an id are not content; other Kepu China
 * URLs are "unknown shapes", kept for the operator to review. Pure: no I/O.
 */

/** One URL shape naming a content item: on `host`, at `path`, the id is query parameter `param`. */
export interface UrlRule {
  /** The id space: article, video, rumour, cloud, or an operator's own name. */
  kind: string;
  /** Host as written (www. optional: www.kepuchina.cn and kepuchina.cn are the same site). */
  host: string;
  /** Path, without a trailing slash (compared case-insensitively). */
  path: string;
  /** The query parameter carrying the id (compared case-insensitively). */
  param: string;
}

/** Operator-configurable recognition rules. */
export interface LinkRules {
  /** Domains treated as Kepu China besides kepuchina.cn (their subdomains too). */
  extraDomains: string[];
  /** Mini-program display names (or gh_…@app usernames) treated as Kepu China. */
  miniProgramNames: string[];
  /** Mini-program appids treated as Kepu China. */
  miniProgramAppIds: string[];
  /** URL shapes added by the operator (KEPU_URL_RULES); tried before the built-in table. */
  urlRules?: UrlRule[];
}

/** Rules used when none are given: kepuchina.cn and the 科普中国 mini-program. */
export const DEFAULT_LINK_RULES: LinkRules = Object.freeze({
  extraDomains: Object.freeze([]) as unknown as string[],
  miniProgramNames: Object.freeze(['科普中国']) as unknown as string[],
  miniProgramAppIds: Object.freeze([]) as unknown as string[],
  urlRules: Object.freeze([]) as unknown as UrlRule[],
});

/**
 * The built-in URL shapes. The desktop article (`ar_id`) and the mobile article page share one
 * id space (the site's mobile page of article N is tuwendetail?id=N); every other kind is its own.
 */
export const URL_SHAPES: readonly UrlRule[] = Object.freeze([
  { kind: 'article', host: 'www.kepuchina.cn', path: '/article/articleinfo', param: 'ar_id' },
  { kind: 'article', host: 'm.kepuchina.cn', path: '/tuwendetail', param: 'id' },
  { kind: 'video', host: 'm.kepuchina.cn', path: '/videodetail', param: 'id' },
  { kind: 'rumour', host: 'piyao.kepuchina.cn', path: '/rumor/rumordetail', param: 'id' },
  { kind: 'rumour', host: 'piyao.kepuchina.cn', path: '/rumordetail', param: 'id' },
  { kind: 'cloud', host: 'cloud.kepuchina.cn', path: '/h5/detail', param: 'id' },
  { kind: 'cloud', host: 'cloud.kepuchina.cn', path: '/newSearch/imgText', param: 'id' },
]);

/**
 * The word a kind is written with in a content key. Articles keep `item`, the word keys had
 * before kinds existed, so stored article keys stay valid.
 */
const KEY_WORD: Record<string, string> = { article: 'item' };
/** Kind names an operator may not use: they would collide with other keys. */
const RESERVED_KINDS = new Set(['item', 'url', 'mp', 'page', 'wiki']);
const KIND_RE = /^[a-z][a-z0-9-]{0,31}$/;

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

/** A Kepu China URL of a shape no rule knows: not counted, kept for the operator. */
export interface UnknownShape {
  /** host/path?param&names, with long numbers in the path written {n} (no values). */
  shape: string;
  /** The URL without tracking parameters. */
  example: string;
}

/** What a Kepu China URL is. */
export type UrlClass =
  { status: 'content'; kind: string; id: string; contentKey: string } | { status: 'not-content' } | ({ status: 'unknown' } & UnknownShape);

const KEPU_DOMAIN = 'kepuchina.cn';
const HOST_RE = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$/;
/** A scheme; `host:port` (a digit after the colon) is not one. */
const SCHEME_RE = /^[a-z][a-z0-9+.-]*:(?!\d)/i;
/** Older static pages: /<YYYYMM>/t<YYYYMMDD>_<n>.shtml, one document number space across the site. */
const PAGE_RE = /\/\d{6}\/(t\d{8}_\d+)\.s?html?$/i;
/** Wiki entries: /wiki/<name> (one segment; /wiki/… index pages are lists). */
const WIKI_RE = /^\/wiki\/([^/]+)$/i;
/** Pages that are not one content item: home, search, lists, channels, login. */
const NOT_CONTENT_RE =
  /^(?:|\/index\.s?html?|\/(?:[^/]+\/)*[^/]*(?:search|list|login|logon|register|passport|channel|column|category|index)[^/]*)$/i;
/** Query parameters naming an item in a mini-program page path, by priority (lower case). */
const MP_ID_PARAMS = ['ar_id', 'articleid', 'contentid', 'id'];
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
/**
 * Full-width forms that are part of a URL written with a Chinese keyboard (letters, digits,
 * ？＝＆／．＿－％＃～＋：); full-width ，；！（） still end a URL in text.
 */
const FULL_WIDTH_URL_CHAR_RE =
  /[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uff1f\uff1d\uff06\uff0f\uff0e\uff3f\uff0d\uff05\uff03\uff5e\uff0b\uff1a]/g;

function normalizeDomain(domain: string): string {
  return domain
    .trim()
    .toLowerCase()
    .replace(/^\*?\./, '')
    .replace(/\.$/, '');
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

/** Parses an http(s) URL (scheme optional, full-width forms folded by NFKC) on a Kepu host; undefined otherwise. */
function parseKepuUrl(raw: string, rules: LinkRules): URL | undefined {
  if (typeof raw !== 'string') return undefined;
  let s = raw.normalize('NFKC').trim().replace(/&amp;/gi, '&');
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

/** The first value of a query parameter, its name compared case-insensitively. */
function paramOf(params: URLSearchParams, name: string): string | undefined {
  const n = name.toLowerCase();
  for (const [k, v] of params) if (k.toLowerCase() === n) return v.trim();
  return undefined;
}

function isTracking(name: string): boolean {
  const n = name.toLowerCase();
  return TRACKING_PARAMS.has(n) || TRACKING_PREFIXES.some((p) => n.startsWith(p));
}

function siteOf(hostname: string): string {
  return hostname
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/^www\./, '');
}

function normalizePath(pathname: string): string {
  return pathname
    .replace(/\/{2,}/g, '/')
    .replace(/\/+$/, '')
    .replace(/%[0-9a-f]{2}/gi, (e) => e.toUpperCase());
}

/** The content key of a kind and id. */
export function contentKeyFor(kind: string, id: string): string {
  return `kepu:${KEY_WORD[kind] ?? kind}:${id}`;
}

function shapeOf(url: URL, path: string): UnknownShape {
  const names = [...new Set([...url.searchParams.keys()].filter((n) => n !== '' && !isTracking(n)).map((n) => n.toLowerCase()))].sort();
  const shapePath = path.replace(/\d{3,}/g, '{n}').replace(/[0-9a-f]{16,}/gi, '{n}');
  const kept = [...url.searchParams].filter(([n]) => n !== '' && !isTracking(n));
  const example = new URL(url.href);
  example.search = new URLSearchParams(kept).toString();
  example.hash = '';
  return {
    shape: `${url.hostname.toLowerCase().replace(/\.$/, '')}${shapePath}${names.length > 0 ? `?${names.join('&')}` : ''}`.slice(0, 512),
    example: example.href.slice(0, 2000),
  };
}

function classifyParsed(url: URL, rules: LinkRules): UrlClass {
  const path = normalizePath(url.pathname);
  const site = siteOf(url.hostname);
  const lowerPath = path.toLowerCase();
  for (const rule of [...(rules.urlRules ?? []), ...URL_SHAPES]) {
    if (siteOf(rule.host) !== site || normalizePath(rule.path).toLowerCase() !== lowerPath) continue;
    const id = paramOf(url.searchParams, rule.param);
    if (!id || !ITEM_ID_RE.test(id)) {
      // A known page carrying some other id parameter (articleinfo?id=…) is a shape to review, not counted.
      const otherId = [...url.searchParams.keys()].some((n) => /id$/i.test(n) && n.toLowerCase() !== rule.param.toLowerCase());
      return otherId ? { status: 'unknown', ...shapeOf(url, path) } : { status: 'not-content' };
    }
    return { status: 'content', kind: rule.kind, id, contentKey: contentKeyFor(rule.kind, id) };
  }
  const page = PAGE_RE.exec(path);
  if (page) {
    const id = page[1].toLowerCase();
    return { status: 'content', kind: 'page', id, contentKey: contentKeyFor('page', id) };
  }
  const wiki = WIKI_RE.exec(path);
  if (wiki && site === KEPU_DOMAIN && !/^index/i.test(wiki[1])) {
    return { status: 'content', kind: 'wiki', id: wiki[1], contentKey: contentKeyFor('wiki', wiki[1]) };
  }
  if (NOT_CONTENT_RE.test(path)) return { status: 'not-content' };
  return { status: 'unknown', ...shapeOf(url, path) };
}

/** What a URL is: a content item (with its key), a page that is not content, or an unknown shape; undefined when not Kepu China. */
export function classifyKepuUrl(url: string, rules: LinkRules = DEFAULT_LINK_RULES): UrlClass | undefined {
  const parsed = parseKepuUrl(url, rules);
  return parsed ? classifyParsed(parsed, rules) : undefined;
}

/** Content key of a Kepu China URL naming one content item; undefined otherwise. */
export function contentKeyOf(url: string, rules: LinkRules = DEFAULT_LINK_RULES): string | undefined {
  const c = classifyKepuUrl(url, rules);
  return c?.status === 'content' ? c.contentKey : undefined;
}

function cleanText(s: string | undefined): string | undefined {
  const t = typeof s === 'string' ? s.replace(/\s+/g, ' ').trim() : '';
  return t || undefined;
}

function withTitle(link: KepuLink, title: string | undefined): KepuLink {
  const t = cleanText(title);
  return t ? { ...link, title: t } : link;
}

/** Content links and unknown Kepu China shapes of one message. */
export interface TextScan {
  links: KepuLink[];
  unknown: UnknownShape[];
}

/**
 * All distinct Kepu China content links in free text (order of appearance, deduped by
 * contentKey), and the distinct unknown shapes. Full-width letters, digits and ？＝＆／． are
 * read as their ASCII forms; a URL ends at whitespace, any other non-ASCII character (Chinese
 * text and punctuation, ，；！（）) or "'<>; trailing .,;:!?)] are trimmed. Every URL is consumed
 * whole, so a Kepu URL inside another URL (query, path) is not counted.
 */
export function scanKepuText(text: string, rules: LinkRules = DEFAULT_LINK_RULES): TextScan {
  const out: TextScan = { links: [], unknown: [] };
  if (typeof text !== 'string' || !text) return out;
  const folded = text.replace(FULL_WIDTH_URL_CHAR_RE, (c) => c.normalize('NFKC'));
  const seen = new Set<string>();
  for (const run of folded.matchAll(URL_RUN_RE)) {
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
    const c = classifyParsed(url, rules);
    if (c.status === 'content') {
      if (seen.has(c.contentKey)) continue;
      seen.add(c.contentKey);
      out.links.push({ contentKey: c.contentKey, url: url.href, kind: 'text' });
    } else if (c.status === 'unknown' && !out.unknown.some((u) => u.shape === c.shape)) {
      out.unknown.push({ shape: c.shape, example: c.example });
    }
  }
  return out;
}

/** All distinct Kepu China content links found in free text (see scanKepuText). */
export function findKepuLinksInText(text: string, rules: LinkRules = DEFAULT_LINK_RULES): KepuLink[] {
  return scanKepuText(text, rules).links;
}

/** A link card (Wechaty MessageType.Url: UrlLink url/title). Judged by its url only; only content counts. */
export function recognizeUrlCard(
  card: { url: string; title?: string; description?: string },
  rules: LinkRules = DEFAULT_LINK_RULES,
): KepuLink | undefined {
  const url = parseKepuUrl(card.url, rules);
  if (!url) return undefined;
  const c = classifyParsed(url, rules);
  if (c.status !== 'content') return undefined;
  return withTitle({ contentKey: c.contentKey, url: url.href, kind: 'url' }, card.title);
}

/** The unknown shape of a link card's url, if it is a Kepu China URL no rule knows. */
export function unknownShapeOfCard(card: { url: string }, rules: LinkRules = DEFAULT_LINK_RULES): UnknownShape | undefined {
  const c = classifyKepuUrl(card.url, rules);
  return c?.status === 'unknown' ? { shape: c.shape, example: c.example } : undefined;
}

/** appid, or the configured name, identifying a Kepu China mini-program card. */
function miniProgramSource(card: { appid?: string; username?: string; description?: string }, rules: LinkRules): string | undefined {
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
 * (description or username), never by title. A Kepu URL passed to a web-view page gives that
 * URL's key. An item id in the page path is an id space of its own (kepu:mp:<app>:<page>:<id>):
 * nothing public says which web ids the mini-program's pages use. A page without an id is keyed
 * by page (or by title when the card has no path).
 */
export function recognizeMiniProgram(
  card: { appid?: string; title?: string; pagePath?: string; username?: string; description?: string },
  rules: LinkRules = DEFAULT_LINK_RULES,
): KepuLink | undefined {
  const source = miniProgramSource(card, rules);
  if (!source) return undefined;
  const pagePath = (card.pagePath?.trim() ?? '').normalize('NFKC').replace(/^\/+/, '');
  const q = pagePath.indexOf('?');
  const page = (q >= 0 ? pagePath.slice(0, q) : pagePath).replace(/#.*$/, '').replace(/\.html$/i, '');
  const params = new URLSearchParams(q >= 0 ? pagePath.slice(q + 1).replace(/#.*$/, '') : '');
  const embedded = [...params.values()]
    .filter((v) => /^https?:\/\//i.test(v.trim()))
    .map((v) => classifyKepuUrl(v, rules))
    .find((c) => c !== undefined);
  let contentKey: string;
  if (embedded) {
    if (embedded.status !== 'content') return undefined;
    contentKey = embedded.contentKey;
  } else {
    const id = MP_ID_PARAMS.map((n) => paramOf(params, n)).find((v) => v !== undefined && ITEM_ID_RE.test(v));
    contentKey = page ? `kepu:mp:${source}:${page}${id ? `:${id}` : ''}` : `kepu:mp:${source}:title:${cleanText(card.title) ?? ''}`;
  }
  return withTitle({ contentKey, url: `miniprogram://${source}/${pagePath}`, kind: 'mini-program' }, card.title);
}

/**
 * Parses KEPU_URL_RULES: rules separated by commas, semicolons or new lines, each
 * `kind:host/path?param` (e.g. `special:www.kepuchina.cn/special/specialinfo?id`), or a JSON
 * array of {kind, host, path, param}. `domains` are the Kepu domains (kepuchina.cn and the extra
 * ones) a rule's host must belong to. Throws an Error naming the bad rule.
 */
export function parseUrlRules(text: string, extraDomains: string[] = []): UrlRule[] {
  const s = text.trim();
  if (!s) return [];
  let raw: unknown[];
  if (s.startsWith('[')) {
    try {
      raw = JSON.parse(s) as unknown[];
    } catch {
      throw new Error('is not valid JSON (expected [{"kind":"…","host":"…","path":"…","param":"…"}])');
    }
    if (!Array.isArray(raw)) throw new Error('should be a JSON array of rules');
  } else {
    raw = s
      .split(/[,;\n，；]+/)
      .map((x) => x.trim())
      .filter(Boolean);
  }
  const rules = { ...DEFAULT_LINK_RULES, extraDomains };
  return raw.map((r) => {
    let rule: UrlRule;
    if (typeof r === 'string') {
      const m = /^([^:\s]+):([^/?\s]+)(\/[^?\s]*)\?([^=&?\s]+)$/.exec(r);
      if (!m) throw new Error(`rule "${r}" should be kind:host/path?param, e.g. special:www.kepuchina.cn/special/specialinfo?id`);
      rule = { kind: m[1], host: m[2], path: m[3], param: m[4] };
    } else if (r && typeof r === 'object') {
      const o = r as Record<string, unknown>;
      if (![o.kind, o.host, o.path, o.param].every((v) => typeof v === 'string')) {
        throw new Error(`rule ${JSON.stringify(r)} needs the strings kind, host, path and param`);
      }
      rule = { kind: String(o.kind), host: String(o.host), path: String(o.path), param: String(o.param) };
    } else {
      throw new Error(`rule ${JSON.stringify(r)} should be an object {kind, host, path, param}`);
    }
    const label = typeof r === 'string' ? `"${r}"` : JSON.stringify(r);
    rule.kind = rule.kind.toLowerCase();
    rule.host = rule.host.toLowerCase();
    if (!KIND_RE.test(rule.kind) || RESERVED_KINDS.has(rule.kind)) {
      throw new Error(`rule ${label}: kind should be a lower-case word (a-z, 0-9, -) other than ${[...RESERVED_KINDS].join(', ')}`);
    }
    if (!isKepuHost(rule.host, rules)) {
      throw new Error(`rule ${label}: host ${rule.host} is not kepuchina.cn or a KEPU_EXTRA_DOMAINS domain`);
    }
    if (!/^\/[\w./%-]*$/.test(rule.path) || normalizePath(rule.path) === '') {
      throw new Error(`rule ${label}: path should start with / and name a page, e.g. /special/specialinfo`);
    }
    if (!/^[\w.-]{1,64}$/.test(rule.param)) throw new Error(`rule ${label}: param should be a query parameter name, e.g. id`);
    return rule;
  });
}
