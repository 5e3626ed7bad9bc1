import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CHANNELS } from '../../src/channels/registry';
import { UserError } from '../../src/errors';
import { startConsole, type ConsoleFixture } from '../support/console';
import { signature, signedChannel, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../support/channels/signed/signed-channel';

const NOW = new Date('2026-11-22T02:00:00Z');
const SECRET = 'signed-secret-7f3a';
const MANAGER = 'u-zhang';

/** The fake "signed" service's reply addresses: what kepubot posted to each. */
class ReplyServer {
  readonly received: Array<{ path: string; text: string }> = [];
  private waiters: Array<() => void> = [];
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        this.received.push({ path: req.url ?? '', text: (JSON.parse(body) as { text: string }).text });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"errcode":0}');
        for (const w of this.waiters.splice(0)) w();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async receivedAt(path: string): Promise<string> {
    for (;;) {
      const hit = this.received.find((r) => r.path === path);
      if (hit) return hit.text;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('a channel that signs in headers, with its own identity kind, added by one registration line', () => {
  let fx: ConsoleFixture;
  const replies = new ReplyServer();

  beforeAll(async () => {
    await replies.start();
    fx = await startConsole(
      NOW,
      {},
      // The one registration line: the real channels and the signed one (its folder: tests/support/channels/signed/).
      { channels: [...CHANNELS, signedChannel({ secret: SECRET, replyOrigin: replies.url, maxAgeSeconds: 300, bodyLimitBytes: 4096 })] },
    );
    await fx.app.services.stations.add({ name: '签名e站', county: '签名旗' });
  });
  afterAll(async () => {
    await fx?.stop();
    await replies.stop();
  });

  const ts = () => String(Math.floor(fx.clock.now().getTime() / 1000));
  const post = (body: string, headers: Record<string, string>) =>
    fetch(`${fx.base}/signed/callback`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  const signedPost = (message: object, secret = SECRET, timestamp = ts()) => {
    const body = JSON.stringify(message);
    return post(body, { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: signature(secret, timestamp, body) });
  };
  const count = async (table: string): Promise<number> => (await fx.db.ds.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n;

  it('registers a manager who has only the new kind of id, through the people service; its form is the kind’s own rule', async () => {
    const m = await fx.app.services.people.addManager('签名e站', { name: '张站长', ids: { 'signed-user': MANAGER } });
    expect(m.identities).toEqual({ 'signed-user': MANAGER });
    expect(await fx.db.ds.query(`SELECT manager_id, staff_id, kind, external_id FROM person_identity`)).toEqual([
      { manager_id: m.id, staff_id: null, kind: 'signed-user', external_id: MANAGER },
    ]);
    await expect(fx.app.services.people.addStaff('签名旗', { ids: { 'signed-user': 'U-Li' } })).rejects.toThrow(
      new UserError('签名渠道账号应为 u- 开头、后接小写字母或数字'),
    );
    await expect(fx.app.services.people.addStaff('签名旗', { ids: { 'signed-user': MANAGER } })).rejects.toThrow(
      new UserError(`“${MANAGER}”已登记为e站管理员或旗县区工作人员`),
    );
    expect(fx.app.services.people.kinds.all.map((k) => k.kind)).toEqual(['wecom-user', 'openid', 'signed-user', 'wechat-contact']);
    expect(await fx.app.services.people.whoIs('signed-user', MANAGER)).toMatchObject({ role: 'manager', name: '张站长' });
  });

  it('runs a manager command from a signed message and posts the answer to the address the message gave', async () => {
    const res = await signedPost({
      id: 'sg-1',
      from: MANAGER,
      text: '活动 11月20日 讲座 签名讲座 66人 文化站',
      replyUrl: `${replies.url}/reply/sg-1`,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    const answer = await replies.receivedAt('/reply/sg-1');
    const [a] = await fx.db.ds.query(`SELECT id, title, participants, created_by FROM activity`);
    expect(a).toMatchObject({ title: '签名讲座', participants: 66, created_by: `signed:${MANAGER}` });
    expect(answer).toContain(`已登记（编号 ${a.id}）`);
    expect(await fx.db.ds.query(`SELECT channel, sender_id, listener_id, outcome FROM audit_log WHERE channel = 'signed'`)).toEqual([
      { channel: 'signed', sender_id: MANAGER, listener_id: 'station.activity.log', outcome: 'ok' },
    ]);
    // Someone without a registered id of this kind is told so, at their reply address.
    await signedPost({ id: 'sg-2', from: 'u-nobody', text: '本月', replyUrl: `${replies.url}/reply/sg-2` });
    expect(await replies.receivedAt('/reply/sg-2')).toContain('还没有登记为e站管理员');
  });

  it('refuses a bad signature, a missing one and an old timestamp with 401 and a Chinese message; nothing runs', async () => {
    const before = { activities: await count('activity'), audit: await count('audit_log'), receipts: await count('callback_receipt') };
    const message = { id: 'sg-3', from: MANAGER, text: '活动 今天 讲座 伪造 60人', replyUrl: `${replies.url}/reply/sg-3` };
    const forged = await signedPost(message, 'wrong-secret');
    expect(forged.status).toBe(401);
    expect(await forged.json()).toEqual({
      error: '签名不对：请求头 x-signed-signature 应为用约定密钥对“时间戳、换行、消息体”计算的 HMAC-SHA256（十六进制）',
    });
    // The signature of another body.
    const body = JSON.stringify(message);
    const swapped = await post(body, {
      [TIMESTAMP_HEADER]: ts(),
      [SIGNATURE_HEADER]: signature(SECRET, ts(), body.replace('伪造', '真的')),
    });
    expect(swapped.status).toBe(401);
    const unsigned = await post(body, {});
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toEqual({ error: '缺少签名：请在请求头带上 x-signed-timestamp 和 x-signed-signature' });
    const old = await signedPost(message, SECRET, String(Number(ts()) - 301));
    expect(old.status).toBe(401);
    expect(await old.json()).toEqual({ error: '时间戳超出 300 秒的有效期，请用当前时间重新签名' });
    // A reply address elsewhere is refused: the bot posts only to the service's own addresses.
    const elsewhere = await signedPost({ ...message, replyUrl: 'http://127.0.0.1:9/steal' });
    expect(elsewhere.status).toBe(400);
    expect(await count('activity')).toBe(before.activities);
    expect(await count('audit_log')).toBe(before.audit);
    expect(await count('callback_receipt')).toBe(before.receipts);
    expect(replies.received.some((r) => r.path === '/reply/sg-3')).toBe(false);
  });

  it('a retried request (same signature, same body) runs the command once and posts one answer', async () => {
    const before = await count('activity');
    const timestamp = ts();
    const body = JSON.stringify({
      id: 'sg-4',
      from: MANAGER,
      text: '活动 11月21日 培训 重试培训 55人',
      replyUrl: `${replies.url}/reply/sg-4`,
    });
    const headers = { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: signature(SECRET, timestamp, body) };
    expect((await post(body, headers)).status).toBe(200);
    expect(await replies.receivedAt('/reply/sg-4')).toContain('重试培训');
    const retry = await post(body, headers);
    expect(retry.status).toBe(200);
    expect(await retry.json()).toEqual({});
    expect(await count('activity')).toBe(before + 1);
    expect(replies.received.filter((r) => r.path === '/reply/sg-4')).toHaveLength(1);
  });
});

describe('without its registration line', () => {
  it('the people service does not know the kind', async () => {
    const fx = await startConsole(NOW);
    try {
      await fx.app.services.stations.add({ name: '普通e站', county: '普通旗' });
      await expect(fx.app.services.people.addManager('普通e站', { ids: { 'signed-user': MANAGER } })).rejects.toThrow(
        new UserError('不认识的联系方式“signed-user”（可用：wecom-user、openid、wechat-contact）'),
      );
    } finally {
      await fx.stop();
    }
  });
});
