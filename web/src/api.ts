import { ElMessage } from 'element-plus';
import { reactive } from 'vue';

/** The console API's base path (src/http/api, contract: /work/notes/i11-api.md). */
export const API = '/api/v1';

/** Who is signed in (GET /me). */
export interface Me {
  kind: 'operator' | 'staff' | 'manager';
  name: string;
  countyId: number | null;
  stationId: number | null;
  csrfToken: string;
  expiresAt: string;
}

/** A failed call: the HTTP status and the server's Chinese message (plus its body, e.g. roster `errors`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: Record<string, unknown> | null = null,
  ) {
    super(message);
  }
}

/** The signed-in person; `me` is null before /me answered or when signed out. */
export const session = reactive<{ me: Me | null; checked: boolean }>({ me: null, checked: false });

/** Called on a 401: the router sends the person to the sign-in page (set by main.ts). */
let onUnauthorized: () => void = () => undefined;
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

export interface CallOptions {
  query?: Record<string, string | number | boolean | null | undefined>;
  /** JSON body. */
  body?: unknown;
  /** Raw bytes (roster uploads), sent as they are. */
  raw?: ArrayBuffer;
  headers?: Record<string, string>;
  /** Do not show the error as a message (the page shows it itself). */
  quiet?: boolean;
}

const WRITES = new Set(['POST', 'PUT', 'DELETE', 'PATCH']);

/** A path with its query string (empty values left out). */
export function withQuery(path: string, query?: CallOptions['query']): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

async function errorOf(res: Response): Promise<ApiError> {
  let body: Record<string, unknown> | null = null;
  try {
    if ((res.headers.get('content-type') ?? '').includes('json')) body = (await res.json()) as Record<string, unknown>;
  } catch {
    body = null;
  }
  const message =
    typeof body?.error === 'string'
      ? body.error
      : res.status === 404
        ? '没有这个地址（功能可能尚未上线）'
        : res.status === 403
          ? '无权进行这个操作'
          : res.status >= 500
            ? `服务器出错（${res.status}），请稍后再试`
            : `请求失败（${res.status}）`;
  return new ApiError(res.status, message, body);
}

/**
 * Calls the API: same-origin cookie, the CSRF token from /me on writes, JSON in and out.
 * A 401 sends the person to the sign-in page; any error is shown in Chinese (ElMessage) unless
 * `quiet`, and thrown as an ApiError.
 */
export async function call<T = unknown>(method: string, path: string, opts: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  if (WRITES.has(method)) {
    if (!session.me && !path.startsWith('/session') && !path.startsWith('/auth/')) await loadMe();
    if (session.me) headers['x-csrf-token'] = session.me.csrfToken;
  }
  let body: BodyInit | undefined;
  if (opts.raw) {
    body = opts.raw;
    headers['content-type'] ??= 'application/octet-stream';
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(API + withQuery(path, opts.query), { method, headers, body, credentials: 'same-origin' });
  } catch {
    const err = new ApiError(0, '无法连接服务器，请检查网络后重试');
    if (!opts.quiet) ElMessage.error(err.message);
    throw err;
  }
  if (!res.ok) {
    const err = await errorOf(res);
    if (res.status === 401 && path !== '/session' && path !== '/me' && !path.startsWith('/auth/')) {
      session.me = null;
      onUnauthorized();
    }
    if (!opts.quiet) ElMessage.error(err.message);
    throw err;
  }
  if (res.status === 204) return undefined as T;
  const type = res.headers.get('content-type') ?? '';
  return (type.includes('json') ? await res.json() : await res.text()) as T;
}

export const get = <T>(path: string, query?: CallOptions['query'], opts: Omit<CallOptions, 'query'> = {}): Promise<T> =>
  call<T>('GET', path, { ...opts, query });
export const post = <T>(path: string, body?: unknown, opts: CallOptions = {}): Promise<T> => call<T>('POST', path, { ...opts, body });
export const put = <T>(path: string, body?: unknown, opts: CallOptions = {}): Promise<T> => call<T>('PUT', path, { ...opts, body });
export const del = <T>(path: string, opts: CallOptions = {}): Promise<T> => call<T>('DELETE', path, opts);

/** Reads /me (null when not signed in); remembers it. */
export async function loadMe(): Promise<Me | null> {
  try {
    session.me = await call<Me>('GET', '/me', { quiet: true });
  } catch {
    session.me = null;
  }
  session.checked = true;
  return session.me;
}

/** The message of an error thrown by `call` (or anything else), in Chinese. */
export function messageOf(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  return '出错了，请刷新页面后重试';
}
