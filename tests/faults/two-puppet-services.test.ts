import { createServer } from 'node:net';
import { PuppetServer } from 'wechaty-puppet-service';
import { KepuPuppetMock } from '../../src/channels/wechat/kepu-puppet-mock';
import { runCli } from '../../src/cli';
import { compose, type Kepubot } from '../../src/compose';
import { loadConfig } from '../../src/config';
import { Informant } from '../../src/db/entities';
import { dayOf } from '../../src/domain/calendar';
import { joinRoster } from '../../src/services/roster-history';
import { createTestDatabase, type TestDatabase } from '../support/db';

const ROOM = 'drill@chatroom';
const ZHANG = { id: 'wx-drill-zhang', name: '张三' };
const article = (n: number) => `https://m.kepuchina.cn/tuwendetail?id=${n}`;

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Service {
  name: string;
  endpoint: string;
  token: string;
  puppet: KepuPuppetMock;
  server: PuppetServer;
  said: Array<{ conversationId: string; text: string }>;
}

/**
 * The done-when drill of issue 15, through the real puppet-service wire: two local puppet
 * services (wechaty-puppet-service's PuppetServer around two mock puppets that share the room
 * and member ids), one kepubot; `kepubot account add` brings the second in without a restart;
 * every share said in the group is stored once; the first service killed, shares still arrive
 * through the second, and `#帮助` is answered once, through the second.
 */
describe('drill: two puppet services, one group, the first killed', () => {
  let db: TestDatabase;
  let app: Kepubot;
  const services: Service[] = [];
  let seq = 0;

  const cli = async (...argv: string[]) => {
    const out: string[] = [];
    const code = await runCli(argv, { DATABASE_URL: db.url, LOG_LEVEL: 'silent' }, { out: (l) => out.push(l), err: (l) => out.push(l) });
    return { code, out: out.join('\n') };
  };
  const shares = async () => (await db.ds.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM share_event`))[0].n;
  /** A member says `text` in the group; every service still up delivers it (different message ids, the same time). */
  const say = (text: string, to: Service[]) => {
    const at = Date.now();
    const id = `drill-${seq++}`;
    for (const s of to) s.puppet.injectText({ id: `${id}-${s.name}`, talkerId: ZHANG.id, roomId: ROOM, text, timestamp: at });
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    for (const name of ['a1', 'a2']) {
      const endpoint = `127.0.0.1:${await freePort()}`;
      const token = `insecure_drill-${name}`;
      const puppet = new KepuPuppetMock();
      await puppet.start();
      const said: Service['said'] = [];
      const send = puppet.messageSendText.bind(puppet);
      puppet.messageSendText = async (conversationId: string, text: string) => {
        said.push({ conversationId, text });
        return send(conversationId, text);
      };
      const self = puppet.mocker.createContact({ id: `self-${name}`, name: `助手${name}` });
      for (const other of ['a1', 'a2'].filter((n) => n !== name))
        puppet.mocker.createContact({ id: `self-${other}`, name: `助手${other}` });
      puppet.mocker.createContact(ZHANG);
      puppet.mocker.createRoom({ id: ROOM, topic: '演练科普群', memberIdList: ['self-a1', 'self-a2', ZHANG.id] });
      puppet.mocker.login(self);
      const server = new PuppetServer({ endpoint, token, puppet, tls: { disable: true } });
      await server.start();
      services.push({ name, endpoint, token, puppet, server, said });
    }
    expect((await cli('account', 'add', 'a1', '--endpoint', services[0].endpoint, '--token', services[0].token, '--insecure')).code).toBe(
      0,
    );
    const config = loadConfig({
      LOG_LEVEL: 'silent',
      SHARE_BATCH_WAIT_MS: '0',
      SEND_INTERVAL_MS: '0',
      SEND_JITTER_MS: '0',
      WECHATY_NAME: 'drill',
    });
    app = await compose(config, { dataSource: db.ds, http: false, scheduler: false, pool: { tickMs: 1000 } });
    // a1 lists its rooms at login (the group is recorded), then the group is bound to a station.
    await until(
      'the group recorded',
      async () => (await db.ds.query<unknown[]>(`SELECT 1 FROM group_account WHERE room_id = $1`, [ROOM])).length > 0,
    );
    const station = await app.services.stations.add({ name: '演练e站', county: '演练旗' });
    await app.services.groups.bind(ROOM, '演练e站', new Date());
    const repo = db.ds.getRepository(Informant);
    const [inf] = await repo.save([
      repo.create({ stationId: station.id, name: ZHANG.name, wechatContactId: ZHANG.id, boundAt: new Date() }),
    ]);
    await joinRoster(db.ds, [inf.id], dayOf(new Date()));
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    for (const s of services) {
      await s.server.stop().catch(() => undefined);
      await s.puppet.stop().catch(() => undefined);
    }
    await db?.close();
  });

  const online = (name: string) => {
    const a = app.accounts.byName(name);
    const s = a?.runtime.status();
    return Boolean(s && s.connected && s.loggedIn);
  };

  it('the second account, added while running, is connected without a restart; shares are stored once; the first killed, the second carries on', async () => {
    await until('a1 online', async () => online('a1'));
    const added = Date.now();
    expect((await cli('account', 'add', 'a2', '--endpoint', services[1].endpoint, '--token', services[1].token, '--insecure')).code).toBe(
      0,
    );
    await until('a2 online', async () => online('a2'));
    const connectMs = Date.now() - added;
    expect(connectMs).toBeLessThan(10_000);
    await until('both accounts in the group', async () => {
      const rows = await db.ds.query<unknown[]>(`SELECT 1 FROM group_account WHERE room_id = $1 AND present`, [ROOM]);
      return rows.length === 2;
    });

    for (let i = 0; i < 3; i++) say(article(7100 + i), services);
    await until('3 shares', async () => (await shares()) === 3);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await shares()).toBe(3);

    await services[0].server.stop();
    await until('a1 disconnected', async () => !online('a1'));
    for (let i = 3; i < 5; i++) say(article(7100 + i), [services[1]]);
    await until('5 shares', async () => (await shares()) === 5);

    await until('a2 speaks in the group', async () => (await app.services.speakers.speakerOf(ROOM)) === app.accounts.byName('a2')!.id);
    const before = services[1].said.length;
    say('#帮助', [services[1]]);
    await until('#帮助 answered', async () => services[1].said.length > before);
    await new Promise((r) => setTimeout(r, 1500));
    expect(services[1].said.slice(before).filter((m) => m.conversationId === ROOM)).toHaveLength(1);
    expect(services[0].said.filter((m) => m.conversationId === ROOM)).toHaveLength(0);
    expect(await shares()).toBe(5);
  }, 90_000);
});
