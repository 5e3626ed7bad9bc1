/**
 * WeCom (企业微信) server API client: access-token management and application messages.
 *
 * Uses the global `fetch` of Node 20. Time and waiting are injectable (`now`, `sleep`) so the
 * caching and retry behaviour can be tested without real delays.
 *
 * Retry policy (per call, at most `maxAttempts` attempts in total):
 * - errcode 40014 / 42001 / 40001 on a call that used an access_token: drop the cached token,
 *   fetch a fresh one at once (no wait) and retry;
 * - errcode 45009 (API rate limit) or HTTP 429: wait 2000 ms × attempt, then retry;
 * - network errors, timeouts, unreadable bodies, HTTP 5xx and errcode -1 (system busy): retry with
 *   exponential backoff (200 ms, 400 ms, 800 ms, …);
 * - any other non-zero errcode (or HTTP 4xx): throw at once.
 * When the attempts are used up, the last error is thrown (a `WecomApiError` for API errors).
 */

/** A WeCom API answer with a non-zero errcode. */
export class WecomApiError extends Error {
  constructor(
    readonly errcode: number,
    readonly errmsg: string,
    readonly path: string,
  ) {
    super(`WeCom API ${path} failed: errcode ${errcode} ${errmsg}`);
    this.name = 'WecomApiError';
  }
}

export interface WecomApiOptions {
  /** e.g. https://qyapi.weixin.qq.com (no trailing path) */
  baseUrl: string;
  corpId: string;
  secret: string;
  agentId: number;
  /** Milliseconds since the epoch; defaults to Date.now. */
  now?: () => number;
  /** Waits between retries; defaults to setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** Attempts per call, including the first one; defaults to 4. */
  maxAttempts?: number;
  log?: { warn(obj: object, msg: string): void };
  /** Timeout of a single HTTP request in milliseconds; defaults to 15000. */
  requestTimeoutMs?: number;
}

const GETTOKEN_PATH = '/cgi-bin/gettoken';
const MEDIA_UPLOAD_PATH = '/cgi-bin/media/upload';
const MESSAGE_SEND_PATH = '/cgi-bin/message/send';
const AUTH_GETUSERINFO_PATH = '/cgi-bin/auth/getuserinfo';

/** invalid credential (40001), invalid access_token (40014), access_token expired (42001) */
const TOKEN_ERRCODES = new Set([40001, 40014, 42001]);
const ERRCODE_SYSTEM_BUSY = -1;
const ERRCODE_RATE_LIMIT = 45009;

const BACKOFF_BASE_MS = 200;
const RATE_LIMIT_WAIT_MS = 2000;
/** Refresh the token this long before it expires (or 10% of its lifetime if that is shorter). */
const TOKEN_REFRESH_MARGIN_S = 300;
const DEFAULT_EXPIRES_IN_S = 7200;

/** A non-2xx HTTP status from the API host. */
class WecomHttpError extends Error {
  constructor(
    readonly status: number,
    readonly path: string,
  ) {
    super(`WeCom API ${path} failed: HTTP ${status}`);
    this.name = 'WecomHttpError';
  }
}

/** The transport failed or the answer could not be read (connection reset, timeout, not JSON). */
class WecomTransportError extends Error {
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(`WeCom API ${path} request failed: ${describe(cause)}`, { cause });
    this.name = 'WecomTransportError';
  }
}

type FailureKind = 'token' | 'rate-limit' | 'transient' | 'fatal';

interface ApiAnswer {
  errcode?: number;
  errmsg?: string;
  [key: string]: unknown;
}

interface CachedToken {
  token: string;
  /** now() value from which the token is considered stale */
  refreshAt: number;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}

export class WecomApiClient {
  private readonly baseUrl: string;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly maxAttempts: number;
  private readonly requestTimeoutMs: number;

  private cached: CachedToken | undefined;
  private inflight: Promise<string> | undefined;
  /** Bumped by invalidateToken so a token request started earlier does not refill the cache. */
  private generation = 0;

  constructor(private readonly opts: WecomApiOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep ?? defaultSleep;
    this.maxAttempts = Math.max(1, Math.floor(opts.maxAttempts ?? 4));
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 15000;
  }

  /** A valid access_token, from the cache or fetched; concurrent callers share one request. */
  getToken(): Promise<string> {
    const cached = this.cached;
    if (cached && this.now() < cached.refreshAt) return Promise.resolve(cached.token);
    if (!this.inflight) {
      const generation = this.generation;
      const request: Promise<string> = this.fetchToken()
        .then(({ token, refreshAt }) => {
          if (generation === this.generation) this.cached = { token, refreshAt };
          return token;
        })
        .finally(() => {
          if (this.inflight === request) this.inflight = undefined;
        });
      this.inflight = request;
    }
    return this.inflight;
  }

  /** Forget the cached token; the next call fetches a new one. */
  invalidateToken(): void {
    this.cached = undefined;
    this.inflight = undefined;
    this.generation++;
  }

  /** Send a text message to one user or several (`a|b|c`). */
  async sendText(toUser: string, content: string): Promise<void> {
    await this.callWithToken(MESSAGE_SEND_PATH, {
      touser: toUser,
      msgtype: 'text',
      agentid: this.opts.agentId,
      text: { content },
    });
  }

  /** Send a markdown message to one user or several (`a|b|c`). */
  async sendMarkdown(toUser: string, content: string): Promise<void> {
    await this.callWithToken(MESSAGE_SEND_PATH, {
      touser: toUser,
      msgtype: 'markdown',
      agentid: this.opts.agentId,
      markdown: { content },
    });
  }

  /**
   * Who signed in through WeCom's web authorization or QR login: the `code` of the redirect →
   * the member's `userid` (auth/getuserinfo). A non-member (outside the app's visible range, an
   * external contact) has no userid: null. An invalid or used code is a WecomApiError (40029).
   */
  async userIdOfCode(code: string): Promise<string | null> {
    const answer = await this.callWithToken(AUTH_GETUSERINFO_PATH, () => ({ method: 'GET' }), { code });
    // The older user/getuserinfo spelled it UserId.
    const userId = answer.userid ?? answer.UserId;
    return typeof userId === 'string' && userId !== '' ? userId : null;
  }

  /** GET gettoken with retries; returns the token and when it should be refreshed. */
  private async fetchToken(): Promise<CachedToken> {
    const url = new URL(this.baseUrl + GETTOKEN_PATH);
    url.searchParams.set('corpid', this.opts.corpId);
    url.searchParams.set('corpsecret', this.opts.secret);
    for (let attempt = 1; ; attempt++) {
      const startedAt = this.now();
      try {
        const answer = await this.request(GETTOKEN_PATH, url, { method: 'GET' });
        const token = answer.access_token;
        if (typeof token !== 'string' || token === '') {
          throw new WecomTransportError(GETTOKEN_PATH, new Error('answer has no access_token'));
        }
        const expiresIn = typeof answer.expires_in === 'number' && answer.expires_in > 0 ? answer.expires_in : DEFAULT_EXPIRES_IN_S;
        const marginS = Math.min(TOKEN_REFRESH_MARGIN_S, expiresIn * 0.1);
        return { token, refreshAt: startedAt + (expiresIn - marginS) * 1000 };
      } catch (err) {
        await this.beforeRetry(err, GETTOKEN_PATH, attempt, undefined);
      }
    }
  }

  /** Uploads a file as temporary media (media/upload, type=file); returns its media_id. */
  async uploadFile(name: string, content: Buffer): Promise<string> {
    const answer = await this.callWithToken(
      MEDIA_UPLOAD_PATH,
      () => {
        const form = new FormData();
        form.append('media', new Blob([new Uint8Array(content)]), name);
        return { method: 'POST', body: form };
      },
      { type: 'file' },
    );
    if (typeof answer.media_id !== 'string') throw new WecomApiError(-1, 'answer has no media_id', MEDIA_UPLOAD_PATH);
    return answer.media_id;
  }

  /** Sends an uploaded file to one user or several (`a|b|c`). */
  async sendFile(toUser: string, mediaId: string): Promise<void> {
    await this.callWithToken(MESSAGE_SEND_PATH, {
      touser: toUser,
      msgtype: 'file',
      agentid: this.opts.agentId,
      file: { media_id: mediaId },
    });
  }

  /** Calls an access_token-protected endpoint with retries: POST of a JSON body, or a request built per attempt. */
  private async callWithToken(path: string, body: object | (() => RequestInit), query: Record<string, string> = {}): Promise<ApiAnswer> {
    for (let attempt = 1; ; attempt++) {
      // getToken retries on its own; its failures end this call.
      const token = await this.getToken();
      const url = new URL(this.baseUrl + path);
      url.searchParams.set('access_token', token);
      for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
      try {
        return await this.request(
          path,
          url,
          typeof body === 'function'
            ? body()
            : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
        );
      } catch (err) {
        await this.beforeRetry(err, path, attempt, token);
      }
    }
  }

  /**
   * Decide what a failed attempt means: rethrow it (not retryable, or attempts used up) or
   * prepare the next attempt (drop the token, wait).
   */
  private async beforeRetry(err: unknown, path: string, attempt: number, usedToken: string | undefined): Promise<void> {
    const kind = classify(err, usedToken !== undefined);
    if (kind === 'fatal' || attempt >= this.maxAttempts) throw err;

    let delayMs = 0;
    if (kind === 'token') {
      // Drop the token only if nobody replaced it meanwhile (another caller may have refreshed it).
      if (this.cached?.token === usedToken) this.invalidateToken();
    } else if (kind === 'rate-limit') {
      delayMs = RATE_LIMIT_WAIT_MS * attempt;
    } else {
      delayMs = BACKOFF_BASE_MS * 2 ** (attempt - 1);
    }

    this.opts.log?.warn(
      {
        path,
        attempt,
        maxAttempts: this.maxAttempts,
        delayMs,
        errcode: err instanceof WecomApiError ? err.errcode : undefined,
        status: err instanceof WecomHttpError ? err.status : undefined,
        err: describe(err),
      },
      'WeCom API call failed, retrying',
    );
    if (delayMs > 0) await this.sleep(delayMs);
  }

  /** One HTTP exchange; throws WecomTransportError, WecomHttpError or WecomApiError. */
  private async request(path: string, url: URL, init: RequestInit): Promise<ApiAnswer> {
    let status: number;
    let text: string;
    try {
      const res = await fetch(url, { ...init, signal: AbortSignal.timeout(this.requestTimeoutMs) });
      status = res.status;
      text = await res.text();
    } catch (err) {
      throw new WecomTransportError(path, err);
    }
    if (status < 200 || status >= 300) throw new WecomHttpError(status, path);

    let answer: unknown;
    try {
      answer = JSON.parse(text);
    } catch (err) {
      throw new WecomTransportError(path, err);
    }
    if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) {
      throw new WecomTransportError(path, new Error('answer is not a JSON object'));
    }
    const result = answer as ApiAnswer;
    const errcode = typeof result.errcode === 'number' ? result.errcode : 0;
    if (errcode !== 0) {
      throw new WecomApiError(errcode, typeof result.errmsg === 'string' ? result.errmsg : '', path);
    }
    return result;
  }
}

function classify(err: unknown, usedToken: boolean): FailureKind {
  if (err instanceof WecomApiError) {
    // Without a token (gettoken itself), 40001 means a wrong secret: not retryable.
    if (usedToken && TOKEN_ERRCODES.has(err.errcode)) return 'token';
    if (err.errcode === ERRCODE_RATE_LIMIT) return 'rate-limit';
    if (err.errcode === ERRCODE_SYSTEM_BUSY) return 'transient';
    return 'fatal';
  }
  if (err instanceof WecomHttpError) {
    if (err.status === 429) return 'rate-limit';
    return err.status >= 500 ? 'transient' : 'fatal';
  }
  if (err instanceof WecomTransportError) return 'transient';
  return 'fatal';
}
