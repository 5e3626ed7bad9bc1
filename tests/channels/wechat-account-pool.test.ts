import { log as puppetLog } from 'wechaty-puppet';
import { AccountPool, type DetachReason, type WechatAccount } from '../../src/channels/wechat/account-pool';
import { KepuPuppetMock } from '../../src/channels/wechat/kepu-puppet-mock';
import { createDeliver } from '../../src/channels/outbound';
import { systemClock } from '../../src/clock';
import { loadConfig } from '../../src/config';
import { OutboxWorker } from '../../src/jobs/outbox';
import { createLogger } from '../../src/logger';
import { createServices, type Services } from '../../src/services';
import { LeaseLostError } from '../../src/services/account-lease.service';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { waitFor } from '../support/processes';

puppetLog.level('silent');
const log = createLogger((process.env.TEST_LOG as 'info') ?? 'silent');
const throttle = { intervalMs: 0, jitterMs: 0, dailyCap: 1000, quiet: { start: 0, end: 0 }, zone: 'Asia/Shanghai' };

/**
 * The account pool on a real PostgreSQL with mock puppets: accounts added, paused and resumed
 * while it runs; a lease taken by another holder stops the account here and the fencing check
 * refuses its sends; two pools (two processes) never hold one account.
 */
describe('AccountPool: accounts come and go at run time, leases with fencing tokens', () => {
  let db: TestDatabase;
  let services: Services;
  const pools: AccountPool[] = [];
  /** Every text a mock puppet was asked to send, by account name. */
  const said: Array<{ account: string; to: string; text: string }> = [];
  const puppets = new Map<string, KepuPuppetMock>();

  const pool = (holder: string, opts: { maxAccounts?: number; tickMs?: number; env?: boolean } = {}): AccountPool => {
    const p = new AccountPool({
      ds: db.ds,
      accounts: services.accounts,
      sources: opts.env ? ['env', 'db'] : ['db'],
      ownName: 'kepubot',
      holder,
      maxAccounts: opts.maxAccounts ?? 10,
      tickMs: opts.tickMs ?? 3000,
      ttlSeconds: 20,
      throttle,
      clock: systemClock,
      log,
      puppetFor: (account) => {
        const puppet = new KepuPuppetMock();
        puppets.set(account.name, puppet);
        const send = puppet.messageSendText.bind(puppet);
        puppet.messageSendText = async (to: string, text: string) => {
          said.push({ account: account.name, to, text });
          return send(to, text);
        };
        return {
          puppet,
          wechatyName: `pool-test-${account.id}-${Math.random().toString(36).slice(2)}`,
          afterStart: () => {
            puppet.mocker.createContact({ id: 'member-1', name: '信息员一' });
            puppet.mocker.login(puppet.mocker.createContact({ id: `self-${account.id}`, name: `微信${account.name}` }));
          },
        };
      },
    });
    pools.push(p);
    return p;
  };

  const add = (name: string) =>
    services.accounts.add({
      name,
      endpoint: '127.0.0.1:9',
      token: `puppet_token_of_${name.length}_${Math.random().toString(36).slice(2)}_6789`,
      counties: [],
    });

  const lease = async (id: number): Promise<{ holder: string; fencing_token: string } | undefined> =>
    (await db.ds.query(`SELECT holder, fencing_token::text FROM bot_account_lease WHERE account_id = $1`, [id]))[0];

  const loggedIn = (a: WechatAccount) => waitFor(() => (a.runtime.status().loggedIn ? true : undefined), `${a.name} to log in`, 20_000);

  beforeAll(async () => {
    db = await createTestDatabase();
    services = createServices(db.ds, loadConfig({ LOG_LEVEL: 'silent' }));
  });

  afterAll(async () => {
    for (const p of pools) await p.stop();
    await db?.close();
  });

  it('connects an account added while it runs within 10 s, and writes its status for every process to read', async () => {
    const a = pool('host-a:1:aaaa');
    await a.start();
    expect(a.list()).toEqual([]);
    const added = await add('工作号1');
    const t0 = Date.now();
    const account = await waitFor(() => a.get(added.id), 'the added account to be attached', 10_000);
    expect(Date.now() - t0).toBeLessThan(10_000);
    await loggedIn(account);
    await a.tick();
    expect(await lease(added.id)).toEqual({ holder: 'host-a:1:aaaa', fencing_token: '1' });
    const [view] = await services.accounts.list(new Date());
    expect(view).toMatchObject({
      name: '工作号1',
      state: 'online',
      loggedIn: true,
      wechatName: '微信工作号1',
      holder: 'host-a:1:aaaa',
      tokenMasked: '****6789',
      counties: [],
    });
    // The list never carries the token itself.
    expect(JSON.stringify(view)).not.toContain('puppet_token_of');

    // A reply goes out through the account (booked in its limiter, fencing check passed).
    const member = await account.bot.Contact.find({ id: 'member-1' });
    await account.replies.say({ contact: member! }, '你好');
    expect(said).toEqual([{ account: '工作号1', to: 'member-1', text: '你好' }]);
    const [slot]: Array<{ sent_today: number }> = await db.ds.query(`SELECT sent_today FROM wechat_send_slot WHERE account = $1`, [
      `account:${added.id}`,
    ]);
    expect(slot.sent_today).toBe(1);
  });

  it('pause disconnects the account and lets its lease go; resume brings it back with a new fencing token', async () => {
    const a = pools[0];
    const account = a.byName('工作号1')!;
    const detached: Array<[number, DetachReason]> = [];
    const off = a.on('detached', (id, reason) => detached.push([id, reason]));
    await services.accounts.setPaused('工作号1', true);
    await a.tick();
    expect(detached).toEqual([[account.id, 'paused']]);
    expect(a.list()).toEqual([]);
    expect(account.runtime.status().state).toBe('stopped');
    // Let go: expired at once (the row stays, so fencing tokens keep growing).
    expect(await lease(account.id)).toEqual({ holder: 'host-a:1:aaaa', fencing_token: '1' });
    const [{ expired }] = await db.ds.query(`SELECT heartbeat_at < now() - interval '1 hour' AS expired FROM bot_account_lease`);
    expect(expired).toBe(true);
    // A paused account is not taken again.
    await a.tick();
    expect(a.list()).toEqual([]);
    off();

    await services.accounts.setPaused('工作号1', false);
    await a.tick();
    const back = a.byName('工作号1')!;
    expect(back).toBeDefined();
    expect(back.fencingToken).toBe('2');
    await loggedIn(back);
  });

  it('a lease taken by another holder: the send is refused by the fencing check and the account stops here', async () => {
    const a = pools[0];
    const account = a.byName('工作号1')!;
    const member = await account.bot.Contact.find({ id: 'member-1' });
    // Another process took the lease over (say after a network split): holder and token change.
    await db.ds.query(
      `UPDATE bot_account_lease SET holder = 'host-b:2:bbbb', fencing_token = fencing_token + 1, heartbeat_at = now() + interval '1 hour'
       WHERE account_id = $1`,
      [account.id],
    );
    const detached = new Promise<DetachReason>((resolve) => a.on('detached', (_id, reason) => resolve(reason)));
    const before = said.length;
    await account.replies.say({ contact: member! }, '这句不能发');
    expect(said.length).toBe(before);
    expect(await detached).toBe('lease-lost');
    expect(a.get(account.id)).toBeUndefined();
    // The outbox's booking is refused the same way.
    await expect(db.ds.transaction((m) => account.limiter.take(m, new Date(), 'queued'))).rejects.toBeInstanceOf(LeaseLostError);
    await expect(db.ds.transaction((m) => a.assertLease(m, account.id))).rejects.toBeInstanceOf(LeaseLostError);
    // The other holder's lease is fresh: this pool does not take the account back, nor touch its lease.
    await a.tick();
    expect(a.get(account.id)).toBeUndefined();
    expect(await lease(account.id)).toEqual({ holder: 'host-b:2:bbbb', fencing_token: '3' });
  });

  it('a scheduled message goes out through the held account that is in the room, booked in its limiter', async () => {
    await db.ds.query(`DELETE FROM bot_account_lease`);
    const a = pools[0];
    await a.tick();
    const account = a.byName('工作号1')!;
    await loggedIn(account);
    const puppet = puppets.get('工作号1')!;
    puppet.mocker.createRoom({ id: 'room-1@chatroom', topic: '一站群', memberIdList: [`self-${account.id}`, 'member-1'] });
    await db.ds.query(
      `INSERT INTO job_run (job, scope, period, state, round) VALUES ('group-reminder', 'room:room-1@chatroom', '2026-12-05', 'planned', 1)`,
    );
    await db.ds.query(
      `INSERT INTO outbox_message (run_id, round, part, channel, recipient, payload, due_at)
       SELECT id, 1, 0, 'wechat-room', 'room-1@chatroom', '{"text": "今天也请转发"}', now() FROM job_run`,
    );
    const worker = new OutboxWorker(
      db.ds,
      createDeliver({}),
      throttle,
      log,
      () => 0,
      async (msg) => {
        const via = await a.senderFor(msg.channel as 'wechat-room', msg.recipient);
        return via ? { limiter: via.limiter, deliver: createDeliver({ bot: via.bot }) } : null;
      },
    );
    expect(await worker.tick(new Date())).toBe('sent');
    expect(said.at(-1)).toEqual({ account: '工作号1', to: 'room-1@chatroom', text: '今天也请转发' });
  });

  it('two pools with one account each at most: each holds a different account, never the same; a stopped pool hands over at once', async () => {
    const first = pools[0];
    await add('工作号2');
    const b = pool('host-b:2:bbbb', { maxAccounts: 1 });
    await b.start();
    await first.tick();
    const heldBy = async () =>
      (await db.ds.query(
        `SELECT account_id, holder FROM bot_account_lease WHERE heartbeat_at > now() - interval '20 seconds' ORDER BY account_id`,
      )) as Array<{
        account_id: number;
        holder: string;
      }>;
    const both = [...first.list(), ...b.list()].map((x) => x.name).sort();
    expect(both).toEqual(['工作号1', '工作号2']);
    expect(b.list()).toHaveLength(1);
    expect(new Set((await heldBy()).map((r) => r.account_id)).size).toBe(2);

    // The first pool stops (graceful): its account's lease is let go at once, and b (limit 1) keeps its one.
    await first.stop();
    expect(await heldBy()).toEqual([{ account_id: b.list()[0].id, holder: 'host-b:2:bbbb' }]);
    const c = pool('host-c:3:cccc');
    await c.start();
    expect(c.list()).toHaveLength(1);
    expect(c.list()[0].name).not.toBe(b.list()[0].name);
  });

  it('a removed account is disconnected and never taken again', async () => {
    const c = pools.at(-1)!;
    const name = c.list()[0].name;
    await services.accounts.remove(name, new Date());
    await c.tick();
    expect(c.list().map((x) => x.name)).toEqual([]);
    await c.tick();
    expect(c.list().map((x) => x.name)).toEqual([]);
    expect((await services.accounts.list(new Date())).map((x) => x.name)).not.toContain(name);
    await expect(services.accounts.setPaused(name, false)).rejects.toThrow(`没有名为“${name}”的微信号`);
  });

  it("the env account is this configuration's own (WECHATY_NAME): an env row of an older name is never driven", async () => {
    await services.accounts.ensure('old-name', 'env');
    const own = await services.accounts.ensure('kepubot', 'env');
    const d = pool('host-d:4:dddd', { env: true });
    await d.start();
    expect(
      d
        .list()
        .filter((x) => x.source === 'env')
        .map((x) => x.name),
    ).toEqual(['kepubot']);
    expect(d.get(own.id)?.source).toBe('env');
    await d.tick();
    expect(
      d
        .list()
        .filter((x) => x.source === 'env')
        .map((x) => x.name),
    ).toEqual(['kepubot']);
  });
});
