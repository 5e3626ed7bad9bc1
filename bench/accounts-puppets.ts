/**
 * The puppet services of the accounts bench (a child process of bench/accounts.ts, so kepubot's
 * RSS is measured without them): one PuppetServer (wechaty-puppet-service, gRPC, no TLS) around
 * a mock puppet per account, every room with the same room id and member ids on each account
 * that is in it, as real WeChat accounts in one group see it.
 *
 * IPC from the parent: { type: 'start', accounts, rooms } → { type: 'ready', servers };
 * { type: 'inject', items } delivers members' messages; every message a bot account says is
 * reported as { type: 'said', account, roomId, text, mentions, at }.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { log as puppetLog } from 'wechaty-puppet';
import { PuppetServer } from 'wechaty-puppet-service';
import { KepuPuppetMock } from '../src/channels/wechat/kepu-puppet-mock';

export interface BenchRoom {
  id: string;
  topic: string;
  /** Account indexes in the room. */
  accounts: number[];
  members: string[];
}

export type ToPuppets =
  | { type: 'start'; accounts: number; rooms: BenchRoom[] }
  | { type: 'inject'; items: Array<{ account: number; id: string; roomId: string; talkerId: string; text: string; timestamp: number }> }
  | { type: 'stop' };

export type FromPuppets =
  | { type: 'ready'; servers: Array<{ endpoint: string; token: string }> }
  | { type: 'said'; account: number; roomId: string; text: string; mentions: string[]; at: number };

export const selfId = (account: number): string => `bench-self-${account}`;

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

const send = (m: FromPuppets): void => {
  process.send?.(m);
};

async function start(accounts: number, rooms: BenchRoom[]): Promise<{ puppets: KepuPuppetMock[]; servers: PuppetServer[] }> {
  puppetLog.level('silent');
  const puppets: KepuPuppetMock[] = [];
  const servers: PuppetServer[] = [];
  const info: Array<{ endpoint: string; token: string }> = [];
  for (let a = 0; a < accounts; a++) {
    const puppet = new KepuPuppetMock();
    await puppet.start();
    const original = puppet.messageSendText.bind(puppet);
    puppet.messageSendText = async (conversationId: string, text: string, mentionIdList?: string[]) => {
      send({ type: 'said', account: a, roomId: conversationId, text, mentions: mentionIdList ?? [], at: Date.now() });
      return original(conversationId, text);
    };
    const me = puppet.mocker.createContact({ id: selfId(a), name: `基准助手${a}` });
    const mine = rooms.filter((r) => r.accounts.includes(a));
    const created = new Set<string>([me.id]);
    for (const r of mine) {
      for (const id of [...r.accounts.map(selfId), ...r.members]) {
        if (created.has(id)) continue;
        puppet.mocker.createContact({ id, name: id.replace('bench-', '成员') });
        created.add(id);
      }
      puppet.mocker.createRoom({ id: r.id, topic: r.topic, memberIdList: [...r.accounts.map(selfId), ...r.members] });
    }
    puppet.mocker.login(me);
    // A client that stops (a kepubot process shutting down) stops the served puppet; the next
    // client starts it again: the account is still logged in on the phone, as with a real service.
    const startAgain = puppet.start.bind(puppet);
    puppet.start = async () => {
      await startAgain();
      if (!puppet.isLoggedIn) puppet.mocker.login(me);
    };
    const endpoint = `127.0.0.1:${await freePort()}`;
    const token = `insecure_${randomUUID()}`;
    const server = new PuppetServer({ endpoint, token, puppet, tls: { disable: true } });
    await server.start();
    puppets.push(puppet);
    servers.push(server);
    info.push({ endpoint, token });
  }
  send({ type: 'ready', servers: info });
  return { puppets, servers };
}

let world: { puppets: KepuPuppetMock[]; servers: PuppetServer[] } | null = null;
process.on('message', (m: ToPuppets) => {
  void (async () => {
    if (m.type === 'start') world = await start(m.accounts, m.rooms);
    else if (m.type === 'inject' && world) {
      for (const it of m.items)
        world.puppets[it.account].injectText({
          id: it.id,
          roomId: it.roomId,
          talkerId: it.talkerId,
          text: it.text,
          timestamp: it.timestamp,
        });
    } else if (m.type === 'stop') {
      for (const s of world?.servers ?? []) await s.stop().catch(() => undefined);
      process.exit(0);
    }
  })();
});
process.on('disconnect', () => process.exit(0));
