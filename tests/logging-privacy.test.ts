import { Writable } from 'node:stream';
import { Informant } from '../src/db/entities';
import { createLogger, serializeError } from '../src/logger';
import { maskPhone } from '../src/domain/privacy';
import { startHarness, type BotHarness } from './support/harness';

/** Personal data planted in the run; none of it may reach a log line. */
const SECRET = {
  name: '欧阳秘密',
  contactId: 'wxid_secret_7f3a9c',
  phone: '13912345678',
  text: '我家住在幸福路十八号',
  addedName: '司马保密',
  addedPhone: '13700009999',
};
const MANAGER = { id: 'wxid_manager_private_42', name: '诸葛站长' };
const ROOM = 'room-privacy@chatroom';

function capture(): { stream: Writable; lines: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { stream, lines: () => chunks.join('') };
}

function expectClean(output: string): void {
  for (const [what, value] of Object.entries(SECRET)) {
    expect({ what, found: output.includes(value) }).toEqual({ what, found: false });
  }
  expect(output).not.toContain(MANAGER.id);
  expect(output).not.toContain(MANAGER.name);
}

describe('no personal data in the logs (real Wechaty on the mock puppet, real PostgreSQL)', () => {
  let h: BotHarness;
  const out = capture();
  const now = new Date('2026-11-22T02:00:00Z');

  beforeAll(async () => {
    h = await startHarness({}, now, createLogger('trace', 'kepubot', out.stream));
    h.world(ROOM, '幸福社区科普群', [{ id: SECRET.contactId, name: SECRET.name }, MANAGER]);
    await h.seedStation({ station: '幸福社区e站', roomId: ROOM, informants: [{ name: SECRET.name, phone: SECRET.phone }] });
    await h.services.people.addManager('幸福社区e站', { name: MANAGER.name, ids: { 'wechat-contact': MANAGER.id } });
  });
  afterAll(async () => {
    await h.stop();
  });

  const say = async (from: string, text: string, roomId?: string): Promise<string> => {
    const before = h.sent.length;
    h.puppet.injectText({ talkerId: from, text, timestamp: now.getTime(), ...(roomId ? { roomId } : {}) });
    await h.settle();
    return h.sent
      .slice(before)
      .map((m) => m.text)
      .join('\n');
  };

  it('normal command handling logs no name, id, phone or message text, and replies mask phone numbers', async () => {
    expect(await say(SECRET.contactId, `#绑定 ${SECRET.name} ${SECRET.phone.slice(-4)}`, ROOM)).toContain('绑定成功');
    await say(SECRET.contactId, `${SECRET.text} https://m.kepuchina.cn/tuwendetail?id=4242`, ROOM);
    await say(SECRET.contactId, SECRET.text, ROOM);
    const added = await say(MANAGER.id, `添加信息员 ${SECRET.addedName} ${SECRET.addedPhone}`);
    expect(added).toContain('（137****9999）');
    expect(added).not.toContain(SECRET.addedPhone);
    expect(await say(MANAGER.id, `添加信息员 ${SECRET.addedName} ${SECRET.addedPhone}`)).toContain('137****9999');
    expect(await h.db.ds.getRepository(Informant).countBy({ wechatContactId: SECRET.contactId })).toBe(1);
    // The run did log (debug shares, listener children), just nothing personal.
    expect(out.lines()).toContain('"listener":"shares.count"');
    expect(out.lines()).toContain('"name":"kepubot"');
    expectClean(out.lines());
  });

  it('failed queries carrying the data as parameters, details and messages log only codes', async () => {
    const log = createLogger('trace', 'kepubot', out.stream);
    const repo = h.db.ds.getRepository(Informant);
    const [station] = await h.db.ds.query(`SELECT id FROM station LIMIT 1`);
    // Unique violation: PostgreSQL's DETAIL quotes the WeChat id; TypeORM holds every parameter.
    const dup = await repo
      .insert({ stationId: station.id, name: SECRET.name, phone: SECRET.phone, wechatContactId: SECRET.contactId })
      .catch((e: unknown) => e);
    expect(dup).toMatchObject({ code: '23505' });
    log.error({ err: dup }, 'insert failed');
    // PostgreSQL quotes the value itself in this message.
    const cast = await h.db.ds.query(`SELECT $1::int`, [`${SECRET.name}${SECRET.phone}`]).catch((e: unknown) => e);
    log.warn({ err: new Error('wrapped', { cause: cast }) }, 'cast failed');

    // The robot's own path: the audit insert fails (table gone), its parameters hold the
    // sender's name, id and the command text.
    await h.db.ds.query(`ALTER TABLE audit_log RENAME TO audit_log_away`);
    try {
      await say(MANAGER.id, `添加信息员 ${SECRET.addedName} ${SECRET.addedPhone}`);
    } finally {
      await h.db.ds.query(`ALTER TABLE audit_log_away RENAME TO audit_log`);
    }

    const output = out.lines();
    expect(output).toContain('"code":"23505"');
    expect(output).toContain('"code":"22P02"');
    expect(output).toContain('could not write the audit log');
    expect(output).toContain('"code":"42P01"');
    expect(output).toContain('"msg":"query failed"');
    expectClean(output);
  });

  it('redacts personal fields whatever a call site passes, and keeps ordinary errors readable', () => {
    const c = capture();
    const log = createLogger('trace', 'kepubot', c.stream);
    log.info(
      {
        user: SECRET.name,
        sender: { id: SECRET.contactId, name: SECRET.name },
        phone: SECRET.phone,
        text: SECRET.text,
        qrcode: 'https://login.weixin.qq.com/l/abc',
      },
      'event',
    );
    log.debug(
      { postgres: `ERROR:  duplicate key value violates unique constraint "uq"\nDETAIL:  Key (phone)=(${SECRET.phone}) already exists.` },
      'postgres',
    );
    log.error({ err: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) }, 'request failed');
    const output = c.lines();
    expectClean(output);
    expect(output).not.toContain('login.weixin.qq.com');
    expect(output).toContain('duplicate key value violates unique constraint');
    expect(output).toContain('socket hang up');
    expect(serializeError(Object.assign(new Error('x'), { code: 'E1' }))).toMatchObject({ type: 'Error', code: 'E1', message: 'x' });
  });

  it('masks phone numbers as 138****5678', () => {
    expect(maskPhone('13812345678')).toBe('138****5678');
    expect(maskPhone(' 13812345678 ')).toBe('138****5678');
    expect(maskPhone('8613812345678')).toBe('861******5678');
    expect(maskPhone('12345')).toBe('*****');
  });
});
