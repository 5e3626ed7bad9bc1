import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake received. */
export interface FakeWecomRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body, the raw text if it is not JSON, or undefined if empty. */
  body: unknown;
}

/** A scripted answer: an HTTP status with a JSON body, or a destroyed socket (network error). */
export interface FakeWecomResponse {
  status?: number;
  json?: object;
  destroy?: boolean;
}

export interface FakeWecom {
  /** Base URL, e.g. http://127.0.0.1:12345 */
  url: string;
  /** Every request received, in order (scripted ones included). */
  requests: FakeWecomRequest[];
  /** Bodies of message/send calls the fake accepted through its normal behaviour. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies the tests read freely
  sent: any[];
  /** Files uploaded (media/upload and webhook/upload_media): name and raw bytes. */
  uploads: Array<{ name: string; bytes: Buffer; mediaId: string }>;
  /** Bodies posted to the group robot webhook (/cgi-bin/webhook/send). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies the tests read freely
  webhook: any[];
  /** Tokens issued by gettoken so far. */
  tokensIssued: number;
  /**
   * OAuth codes auth/getuserinfo accepts, each once: code → the member's userid, or null for a
   * non-member (answered with an openid only). Any other code answers errcode 40029.
   */
  oauthCodes: Map<string, string | null>;
  /** Script the next answer for a path (FIFO); when nothing is queued the fake answers normally. */
  queue(path: string, response: FakeWecomResponse): void;
  /** Invalidate all issued tokens: the next message/send answers errcode 42001. */
  expireTokens(): void;
  close(): Promise<void>;
}

const GETTOKEN = '/cgi-bin/gettoken';
const MESSAGE_SEND = '/cgi-bin/message/send';
const MEDIA_UPLOAD = '/cgi-bin/media/upload';
const WEBHOOK_SEND = '/cgi-bin/webhook/send';
const WEBHOOK_UPLOAD = '/cgi-bin/webhook/upload_media';
const AUTH_GETUSERINFO = '/cgi-bin/auth/getuserinfo';

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The one file part of a multipart/form-data upload (enough for a fake server). */
function filePart(raw: Buffer, contentType: string): { name: string; bytes: Buffer } | null {
  const boundary = contentType
    .match(/boundary=(?:"([^"]+)"|([^;]+))/)
    ?.slice(1)
    .find(Boolean);
  if (!boundary) return null;
  const text = raw.toString('latin1');
  const start = text.indexOf(`--${boundary}`);
  const headerEnd = text.indexOf('\r\n\r\n', start);
  const end = text.indexOf(`\r\n--${boundary}`, headerEnd);
  if (start < 0 || headerEnd < 0 || end < 0) return null;
  const headers = Buffer.from(text.slice(start, headerEnd), 'latin1').toString('utf8');
  const name = headers.match(/filename="([^"]*)"/)?.[1] ?? '';
  return { name, bytes: raw.subarray(headerEnd + 4, end) };
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function answer(res: ServerResponse, status: number, json: object): void {
  const body = JSON.stringify(json);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** A local fake of the WeCom server API (gettoken, message/send, media, webhook, auth/getuserinfo) on 127.0.0.1 and a free port. */
export async function startFakeWecom(opts: { corpId?: string; secret?: string; expiresIn?: number } = {}): Promise<FakeWecom> {
  const corpId = opts.corpId ?? 'ww-test-corp';
  const secret = opts.secret ?? 'test-secret';
  const expiresIn = opts.expiresIn ?? 7200;

  const scripted = new Map<string, FakeWecomResponse[]>();
  const validTokens = new Set<string>();
  let msgCount = 0;

  const fake: FakeWecom = {
    url: '',
    requests: [],
    sent: [],
    uploads: [],
    webhook: [],
    tokensIssued: 0,
    oauthCodes: new Map(),
    queue(path, response) {
      const list = scripted.get(path) ?? [];
      list.push(response);
      scripted.set(path, list);
    },
    expireTokens() {
      validTokens.clear();
    },
    close: () => close(),
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    const query = Object.fromEntries(url.searchParams.entries());
    const raw = await readBody(req);
    const body = (req.headers['content-type'] ?? '').startsWith('multipart/') ? undefined : parseBody(raw.toString('utf8'));
    fake.requests.push({ method: req.method ?? '', path, query, body });

    const next = scripted.get(path)?.shift();
    if (next) {
      if (next.destroy) {
        req.socket.destroy();
        return;
      }
      answer(res, next.status ?? 200, next.json ?? {});
      return;
    }

    if (path === GETTOKEN && req.method === 'GET') {
      if (query.corpid !== corpId) {
        answer(res, 200, { errcode: 40013, errmsg: 'invalid corpid' });
        return;
      }
      if (query.corpsecret !== secret) {
        answer(res, 200, { errcode: 40001, errmsg: 'invalid credential' });
        return;
      }
      fake.tokensIssued++;
      const token = `token-${fake.tokensIssued}`;
      validTokens.add(token);
      answer(res, 200, { errcode: 0, errmsg: 'ok', access_token: token, expires_in: expiresIn });
      return;
    }

    if (path === AUTH_GETUSERINFO && req.method === 'GET') {
      if (!validTokens.has(query.access_token ?? '')) {
        answer(res, 200, { errcode: 42001, errmsg: 'access_token expired' });
        return;
      }
      const code = query.code ?? '';
      if (!fake.oauthCodes.has(code)) {
        answer(res, 200, { errcode: 40029, errmsg: 'invalid code' });
        return;
      }
      const userId = fake.oauthCodes.get(code);
      fake.oauthCodes.delete(code);
      answer(
        res,
        200,
        userId
          ? { errcode: 0, errmsg: 'ok', userid: userId, user_ticket: `ticket-${code}` }
          : { errcode: 0, errmsg: 'ok', openid: `open-${code}` },
      );
      return;
    }

    if (path === MESSAGE_SEND && req.method === 'POST') {
      const token = query.access_token;
      if (!token) {
        answer(res, 200, { errcode: 41001, errmsg: 'access_token missing' });
        return;
      }
      if (!validTokens.has(token)) {
        answer(res, 200, { errcode: 42001, errmsg: 'access_token expired' });
        return;
      }
      if (typeof body !== 'object' || body === null) {
        answer(res, 200, { errcode: 40058, errmsg: 'invalid json body' });
        return;
      }
      fake.sent.push(body);
      msgCount++;
      answer(res, 200, { errcode: 0, errmsg: 'ok', msgid: `m-${msgCount}` });
      return;
    }

    if ((path === MEDIA_UPLOAD && validTokens.has(query.access_token ?? '')) || path === WEBHOOK_UPLOAD) {
      const part = filePart(raw, req.headers['content-type'] ?? '');
      if (!part) {
        answer(res, 200, { errcode: 40004, errmsg: 'invalid media' });
        return;
      }
      const mediaId = `media-${fake.uploads.length + 1}`;
      fake.uploads.push({ ...part, mediaId });
      answer(res, 200, { errcode: 0, errmsg: 'ok', type: 'file', media_id: mediaId });
      return;
    }
    if (path === MEDIA_UPLOAD) {
      answer(res, 200, { errcode: 42001, errmsg: 'access_token expired' });
      return;
    }
    if (path === WEBHOOK_SEND && req.method === 'POST') {
      fake.webhook.push(body);
      answer(res, 200, { errcode: 0, errmsg: 'ok' });
      return;
    }

    answer(res, 404, { errcode: 404, errmsg: `no such endpoint: ${req.method} ${path}` });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) answer(res, 500, { errcode: -1, errmsg: String(err) });
      else res.destroy();
    });
  });

  const close = (): Promise<void> =>
    new Promise((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()));
      // Keep-alive connections of the client would otherwise hold close() open.
      server.closeAllConnections();
    });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  fake.url = `http://127.0.0.1:${port}`;
  return fake;
}
