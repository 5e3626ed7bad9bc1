import { KepuPuppetMock } from '../../src/channels/wechat/kepu-puppet-mock';
import { ManualClock } from '../../src/clock';
import { compose, type Kepubot } from '../../src/compose';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { createTestDatabase, type TestDatabase } from './db';

/** A browser of one for API tests: keeps the cookie it was given, sends the CSRF token it is told. */
export class ApiBrowser {
  cookie = '';
  csrf = '';
  constructor(private readonly base: () => string) {}

  async call(
    method: string,
    path: string,
    opts: { body?: unknown; csrf?: string; contentType?: string; headers?: Record<string, string> } = {},
  ) {
    const headers: Record<string, string> = { ...opts.headers };
    if (this.cookie) headers.cookie = this.cookie;
    const csrf = opts.csrf ?? (method === 'GET' ? undefined : this.csrf || undefined);
    if (csrf) headers['x-csrf-token'] = csrf;
    const isBytes = opts.body instanceof Uint8Array;
    if (opts.body !== undefined)
      headers['content-type'] ??= opts.contentType ?? (isBytes ? 'application/octet-stream' : 'application/json');
    const res = await fetch(`${this.base()}${path}`, {
      method,
      headers,
      redirect: 'manual',
      body:
        opts.body === undefined
          ? undefined
          : isBytes || typeof opts.body === 'string'
            ? (opts.body as string | Uint8Array<ArrayBuffer>)
            : JSON.stringify(opts.body),
    });
    const set = res.headers.get('set-cookie');
    if (set) this.cookie = set.split(';')[0];
    const type = res.headers.get('content-type') ?? '';
    const bytes = Buffer.from(await res.arrayBuffer());
    const text = type.includes('json') ? bytes.toString('utf8') : '';
    return {
      status: res.status,
      setCookie: set,
      headers: res.headers,
      bytes,
      json: text ? (JSON.parse(text) as Record<string, unknown>) : null,
    };
  }

  /** Operator password sign-in; remembers the CSRF token. */
  async signIn(name: string, password: string) {
    const r = await this.call('POST', '/api/v1/session', { body: { name, password } });
    if (r.json && typeof r.json.csrfToken === 'string') this.csrf = r.json.csrfToken;
    return r;
  }
}

export interface ConsoleFixture {
  db: TestDatabase;
  app: Kepubot;
  clock: ManualClock;
  base: string;
  /** A new browser with no cookie. */
  browser(): ApiBrowser;
  /** Adds an operator account and returns a browser signed in as it. */
  operator(name?: string, password?: string): Promise<ApiBrowser>;
  stop(): Promise<void>;
}

/**
 * kepubot composed on its own test database, Koa on port 0, the mock puppet, a manual clock,
 * no scheduler and no spool: what the console API tests (and the browser tests) run against.
 */
export async function startConsole(
  now: Date,
  env: Record<string, string> = {},
  overrides: Partial<Parameters<typeof compose>[1]> = {},
): Promise<ConsoleFixture> {
  const db = await createTestDatabase();
  const clock = new ManualClock(now);
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    PORT: '0',
    HOST: '127.0.0.1',
    WECHATY_NAME: `console-${Math.random().toString(36).slice(2)}`,
    ...env,
  });
  const app = await compose(config, {
    dataSource: db.ds,
    puppet: new KepuPuppetMock(),
    clock,
    log: createLogger('silent'),
    scheduler: false,
    resilience: false,
    ...overrides,
  });
  await app.accounts.list()[0].runtime.started;
  const base = `http://127.0.0.1:${app.port}`;
  let operators = 0;
  return {
    db,
    app,
    clock,
    base,
    browser: () => new ApiBrowser(() => base),
    operator: async (name = `op${++operators}`, password = 'correct-horse-battery') => {
      await app.services.consoleAuth.addOperator(name, password);
      const b = new ApiBrowser(() => base);
      const r = await b.signIn(name, password);
      if (r.status !== 201) throw new Error(`operator sign-in failed: ${r.status}`);
      return b;
    },
    stop: async () => {
      await app.stop();
      await db.close();
    },
  };
}

/**
 * Talks to the bot through the mock puppet of a console fixture: what it sends is recorded, and
 * `say` returns what it answered in that chat (privately, or in the room).
 */
export function botChat(fx: ConsoleFixture, puppet: KepuPuppetMock) {
  const sent: Array<{ conversationId: string; text: string }> = [];
  const originalSend = puppet.messageSendText.bind(puppet);
  puppet.messageSendText = async (conversationId: string, text: string) => {
    sent.push({ conversationId, text });
    return originalSend(conversationId, text);
  };
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setImmediate(r));
      await fx.app.channel.idle();
    }
  };
  const say = async (from: { id: string }, text: string, roomId?: string): Promise<string> => {
    const before = sent.length;
    puppet.injectText({ talkerId: from.id, text, timestamp: fx.clock.now().getTime(), ...(roomId ? { roomId } : {}) });
    await settle();
    return sent
      .slice(before)
      .filter((m) => m.conversationId === (roomId ?? from.id))
      .map((m) => m.text)
      .join('\n');
  };
  return { sent, settle, say };
}
