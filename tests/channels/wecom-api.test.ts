import { WecomApiClient, WecomApiError, type WecomApiOptions } from '../../src/channels/wecom/wecom-api';
import { startFakeWecom, type FakeWecom } from '../support/fake-wecom';

const CORP_ID = 'ww-corp-1';
const SECRET = 'app-secret-1';
const AGENT_ID = 1000002;
const SEND = '/cgi-bin/message/send';
const GETTOKEN = '/cgi-bin/gettoken';

describe('WecomApiClient against a fake WeCom server', () => {
  let fake: FakeWecom;
  let clock: number;
  let sleeps: number[];
  let warnings: Array<{ obj: object; msg: string }>;

  const client = (overrides: Partial<WecomApiOptions> = {}): WecomApiClient =>
    new WecomApiClient({
      baseUrl: fake.url,
      corpId: CORP_ID,
      secret: SECRET,
      agentId: AGENT_ID,
      now: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      log: { warn: (obj, msg) => warnings.push({ obj, msg }) },
      ...overrides,
    });

  const requestsTo = (path: string) => fake.requests.filter((r) => r.path === path);
  const sendTokens = () => requestsTo(SEND).map((r) => r.query.access_token);

  const start = async (expiresIn?: number) => {
    fake = await startFakeWecom({ corpId: CORP_ID, secret: SECRET, expiresIn });
  };

  beforeEach(() => {
    clock = Date.parse('2026-11-22T02:00:00Z');
    sleeps = [];
    warnings = [];
  });

  afterEach(async () => {
    await fake?.close();
  });

  it('fetches the token once and reuses it across sends', async () => {
    await start();
    const api = client();

    await api.sendText('zhangsan', 'hello');
    await api.sendText('lisi', 'world');

    expect(fake.tokensIssued).toBe(1);
    const tokenRequests = requestsTo(GETTOKEN);
    expect(tokenRequests).toHaveLength(1);
    expect(tokenRequests[0]).toMatchObject({ method: 'GET', query: { corpid: CORP_ID, corpsecret: SECRET } });
    expect(sendTokens()).toEqual(['token-1', 'token-1']);
    expect(fake.sent).toEqual([
      { touser: 'zhangsan', msgtype: 'text', agentid: AGENT_ID, text: { content: 'hello' } },
      { touser: 'lisi', msgtype: 'text', agentid: AGENT_ID, text: { content: 'world' } },
    ]);
    expect(await api.getToken()).toBe('token-1');
    expect(sleeps).toEqual([]);
  });

  it('refreshes the token 300 s before it expires, by the injected clock', async () => {
    await start(7200);
    const api = client();

    await api.sendText('zhangsan', 'first');
    clock += (7200 - 300) * 1000 - 1; // just before the refresh point
    await api.sendText('zhangsan', 'second');
    expect(fake.tokensIssued).toBe(1);

    clock += 1; // refresh point reached
    await api.sendText('zhangsan', 'third');

    expect(fake.tokensIssued).toBe(2);
    expect(sendTokens()).toEqual(['token-1', 'token-1', 'token-2']);
    expect(fake.sent.map((b) => b.text.content)).toEqual(['first', 'second', 'third']);
  });

  it('refreshes a short-lived token 10% before it expires', async () => {
    await start(600);
    const api = client();

    expect(await api.getToken()).toBe('token-1');
    clock += 539_000;
    expect(await api.getToken()).toBe('token-1');
    clock += 1_000; // 540 s = 600 s - 10%
    expect(await api.getToken()).toBe('token-2');
    expect(requestsTo(GETTOKEN)).toHaveLength(2);
  });

  it('lets concurrent sends share one token request', async () => {
    await start();
    const api = client();

    await Promise.all([api.sendText('a', 'one'), api.sendText('b', 'two'), api.sendMarkdown('c', '**three**')]);

    expect(fake.tokensIssued).toBe(1);
    expect(requestsTo(GETTOKEN)).toHaveLength(1);
    expect(sendTokens()).toEqual(['token-1', 'token-1', 'token-1']);
    expect(fake.sent.map((b) => b.touser).sort()).toEqual(['a', 'b', 'c']);
  });

  it('on 42001 from send refreshes the token at once and sends the message once', async () => {
    await start();
    const api = client();
    await api.sendText('zhangsan', 'before');

    fake.expireTokens();
    await api.sendText('zhangsan', 'after expiry');

    expect(fake.tokensIssued).toBe(2);
    // The rejected attempt used the old token, the retry the new one.
    expect(sendTokens()).toEqual(['token-1', 'token-1', 'token-2']);
    expect(fake.sent.filter((b) => b.text.content === 'after expiry')).toHaveLength(1);
    expect(fake.sent).toHaveLength(2);
    expect(sleeps).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0].obj).toMatchObject({ path: SEND, errcode: 42001 });
  });

  it('treats a scripted 40014 (invalid access_token) the same way', async () => {
    await start();
    const api = client();
    fake.queue(SEND, { json: { errcode: 40014, errmsg: 'invalid access_token' } });

    await api.sendText('zhangsan', 'hi');

    expect(fake.tokensIssued).toBe(2);
    expect(sendTokens()).toEqual(['token-1', 'token-2']);
    expect(fake.sent).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('on 45009 (rate limit) waits at least 2000 ms, then succeeds', async () => {
    await start();
    const api = client();
    fake.queue(SEND, { json: { errcode: 45009, errmsg: 'api freq out of limit' } });

    await api.sendText('zhangsan', 'rate limited');

    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(2000);
    expect(requestsTo(SEND)).toHaveLength(2);
    expect(fake.sent).toEqual([{ touser: 'zhangsan', msgtype: 'text', agentid: AGENT_ID, text: { content: 'rate limited' } }]);
    expect(fake.tokensIssued).toBe(1);
  });

  it('retries a destroyed socket with backoff, then succeeds', async () => {
    await start();
    const api = client();
    fake.queue(SEND, { destroy: true });
    fake.queue(SEND, { destroy: true });

    await api.sendText('zhangsan', 'through a flaky network');

    expect(requestsTo(SEND)).toHaveLength(3);
    expect(sleeps).toEqual([200, 400]);
    expect(fake.sent).toHaveLength(1);
    expect(fake.sent[0].text.content).toBe('through a flaky network');
    expect(fake.tokensIssued).toBe(1);
  });

  it('retries gettoken on errcode -1 (system busy) with backoff', async () => {
    await start();
    const api = client();
    fake.queue(GETTOKEN, { json: { errcode: -1, errmsg: 'system busy' } });

    await api.sendText('zhangsan', 'hi');

    expect(requestsTo(GETTOKEN)).toHaveLength(2);
    expect(sleeps).toEqual([200]);
    expect(fake.sent).toHaveLength(1);
  });

  it('gives up after maxAttempts on repeated HTTP 500', async () => {
    await start();
    const api = client({ maxAttempts: 3 });
    for (let i = 0; i < 5; i++) fake.queue(SEND, { status: 500, json: { message: 'internal error' } });

    const err = await api.sendText('zhangsan', 'doomed').then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(WecomApiError);
    expect((err as Error).message).toMatch(/HTTP 500/);
    expect(requestsTo(SEND)).toHaveLength(3);
    expect(sleeps).toEqual([200, 400]);
    expect(fake.sent).toEqual([]);
  });

  it('throws the last WecomApiError when errcode -1 persists', async () => {
    await start();
    const api = client(); // default maxAttempts: 4
    for (let i = 0; i < 4; i++) fake.queue(SEND, { json: { errcode: -1, errmsg: 'system busy' } });

    await expect(api.sendText('zhangsan', 'busy')).rejects.toMatchObject({
      name: 'WecomApiError',
      errcode: -1,
      errmsg: 'system busy',
      path: SEND,
    });
    expect(requestsTo(SEND)).toHaveLength(4);
    expect(sleeps).toEqual([200, 400, 800]);
    expect(fake.sent).toEqual([]);
  });

  it('throws WecomApiError for errcode 60020 without retrying', async () => {
    await start();
    const api = client();
    fake.queue(SEND, { json: { errcode: 60020, errmsg: 'not allow to access from your ip' } });

    const err = await api.sendText('zhangsan', 'blocked').catch((e: unknown) => e);

    expect(err).toBeInstanceOf(WecomApiError);
    expect(err).toMatchObject({ errcode: 60020, errmsg: 'not allow to access from your ip', path: SEND });
    expect(requestsTo(SEND)).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('sends markdown to several users with the documented body shape', async () => {
    await start();
    const api = client();
    const content = '## 本周转发\n> 张三 **12** 次';

    await api.sendMarkdown('zhangsan|lisi|wangwu', content);

    expect(fake.sent).toEqual([{ touser: 'zhangsan|lisi|wangwu', msgtype: 'markdown', agentid: AGENT_ID, markdown: { content } }]);
    const [req] = requestsTo(SEND);
    expect(req.method).toBe('POST');
    expect(req.query).toEqual({ access_token: 'token-1' });
  });

  it('rejects a wrong secret with WecomApiError 40001 and does not retry or send', async () => {
    await start();
    const api = client({ secret: 'wrong-secret' });

    const tokenErr = await api.getToken().catch((e: unknown) => e);
    expect(tokenErr).toBeInstanceOf(WecomApiError);
    expect(tokenErr).toMatchObject({ errcode: 40001, path: GETTOKEN });

    await expect(api.sendText('zhangsan', 'never')).rejects.toMatchObject({ errcode: 40001 });

    expect(requestsTo(GETTOKEN)).toHaveLength(2); // one per call, no retries
    expect(requestsTo(SEND)).toHaveLength(0);
    expect(fake.tokensIssued).toBe(0);
    expect(sleeps).toEqual([]);
  });

  it('fetches a new token after invalidateToken()', async () => {
    await start();
    const api = client();

    expect(await api.getToken()).toBe('token-1');
    api.invalidateToken();
    expect(await api.getToken()).toBe('token-2');
    expect(fake.tokensIssued).toBe(2);
  });
});
