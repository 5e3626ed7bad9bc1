import { WechatyBuilder, type Contact, type Room, type Wechaty } from 'wechaty';
import { KepuPuppetMock } from '../../src/channels/wechat/kepu-puppet-mock';
import { WechatReplies } from '../../src/channels/wechat/wechat-replies';
import { ManualClock } from '../../src/clock';
import { batchedLines, dailyCapFor, isRestrictionError, restrictionBackoffMs } from '../../src/domain/send-pacing';
import { createLogger } from '../../src/logger';
import { WechatSendLimiter, type ThrottleOptions } from '../../src/services/wechat-send-limiter';
import { startAccountWorld, type AccountWorld } from '../support/accounts';
import { createTestDatabase, type TestDatabase } from '../support/db';

const log = createLogger('silent');
// 2026-11-25 10:00 in Asia/Shanghai: outside quiet hours.
const T0 = new Date('2026-11-25T02:00:00Z');
const DAY = 86_400_000;

const throttle = (o: Partial<ThrottleOptions> = {}): ThrottleOptions => ({
  intervalMs: 1000,
  jitterMs: 0,
  dailyCap: 300,
  perMinute: 20,
  switchIntervalMs: 3000,
  newAccountDays: 3,
  quiet: { start: 22 * 60 + 30, end: 7 * 60 + 30 },
  zone: 'Asia/Shanghai',
  ...o,
});

describe('send pacing rules', () => {
  it('halves the daily cap during the first days after the first login (and before it)', () => {
    expect(dailyCapFor(300, new Date(T0.getTime() - 2 * DAY), T0, 3)).toBe(150);
    expect(dailyCapFor(300, new Date(T0.getTime() - 3 * DAY), T0, 3)).toBe(300);
    expect(dailyCapFor(300, null, T0, 3)).toBe(150);
    expect(dailyCapFor(1, null, T0, 3)).toBe(1);
  });

  it('tells "too frequent" and "restricted" from other send errors', () => {
    expect(isRestrictionError(new Error('发送消息过于频繁，请稍后再试'))).toBe(true);
    expect(isRestrictionError(new Error('该帐号功能受限制'))).toBe(true);
    expect(isRestrictionError(new Error('Too many requests'))).toBe(true);
    expect(isRestrictionError(new Error('account restricted'))).toBe(true);
    expect(isRestrictionError(new Error('room not found'))).toBe(false);
    expect(isRestrictionError(new Error('connect ECONNREFUSED 127.0.0.1:8788'))).toBe(false);
  });

  it('doubles the pause on each restriction in a row, up to the maximum', () => {
    expect([1, 2, 3, 4, 7].map((s) => restrictionBackoffMs(s, 30, 200))).toEqual([30, 60, 120, 200, 200]);
  });

  it('puts each person on a line of their own, @-mentioned at its start', () => {
    expect(
      batchedLines([
        { person: 'a', text: '本月转发 3 篇' },
        { person: 'b', text: '本月转发 5 篇' },
      ]),
    ).toEqual({ strings: ['', ' 本月转发 3 篇\n', ' 本月转发 5 篇'], people: ['a', 'b'] });
  });
});

describe('WechatSendLimiter: per minute, between groups, new accounts, restriction (real PostgreSQL)', () => {
  let db: TestDatabase;
  let seq = 0;
  beforeAll(async () => {
    db = await createTestDatabase(log);
  });
  afterAll(async () => {
    await db.close();
  });

  async function limiterFor(o: Partial<ThrottleOptions>, firstLoginAgoMs: number | null): Promise<WechatSendLimiter> {
    const [row]: Array<{ id: number }> = await db.ds.query(
      `INSERT INTO bot_account (name, source, first_login_at) VALUES ($1, 'test', $2) RETURNING id`,
      [`pace-${seq++}`, firstLoginAgoMs === null ? null : new Date(T0.getTime() - firstLoginAgoMs)],
    );
    return new WechatSendLimiter(throttle(o), () => 0, `account:${row.id}`, undefined, row.id);
  }
  const take = (l: WechatSendLimiter, at: number, conversation: string, kind: 'reply' | 'queued' = 'reply') =>
    db.ds.transaction((m) => l.take(m, new Date(T0.getTime() + at), kind, conversation));

  it('sends at most perMinute messages in any 60 s', async () => {
    const l = await limiterFor({ intervalMs: 0, switchIntervalMs: 0, perMinute: 3 }, 30 * DAY);
    expect(await take(l, 0, 'r1')).toBeNull();
    expect(await take(l, 10_000, 'r1')).toBeNull();
    expect(await take(l, 20_000, 'r1')).toBeNull();
    // The fourth waits until the first is a minute old.
    expect(await take(l, 30_000, 'r1')).toEqual(new Date(T0.getTime() + 60_000));
    expect(await take(l, 60_000, 'r1')).toBeNull();
    expect(await take(l, 61_000, 'r1')).toEqual(new Date(T0.getTime() + 70_000));
  });

  it('keeps the longer spacing when the next message goes to another group', async () => {
    const l = await limiterFor({ intervalMs: 1000, switchIntervalMs: 3000 }, 30 * DAY);
    expect(await take(l, 0, 'r1')).toBeNull();
    expect(await take(l, 1000, 'r1')).toBeNull();
    expect(await take(l, 2000, 'r2')).toEqual(new Date(T0.getTime() + 4000));
    expect(await take(l, 4000, 'r2')).toBeNull();
  });

  it('gives an account in its first 3 days half the daily cap', async () => {
    const fresh = await limiterFor({ intervalMs: 0, switchIntervalMs: 0, dailyCap: 4 }, DAY);
    const old = await limiterFor({ intervalMs: 0, switchIntervalMs: 0, dailyCap: 4 }, 10 * DAY);
    const sent = async (l: WechatSendLimiter) => {
      let n = 0;
      for (let i = 0; i < 6; i++) if ((await take(l, i * 1000, 'r1')) === null) n++;
      return n;
    };
    expect(await sent(fresh)).toBe(2);
    expect(await sent(old)).toBe(4);
  });

  it('holds every send of a restricted account until its restriction ends, and unsolicited ones while replies wait', async () => {
    const l = await limiterFor({}, 30 * DAY);
    const until = new Date(T0.getTime() + 1_800_000);
    await db.ds.query(`UPDATE bot_account SET restricted_until = $2 WHERE id = $1`, [l.accountId, until]);
    expect(await take(l, 0, 'r1')).toEqual(until);
    expect(await take(l, 0, 'r1', 'queued')).toEqual(until);
    await db.ds.query(`UPDATE bot_account SET restricted_until = NULL WHERE id = $1`, [l.accountId]);
    l.higherPriorityWaiting = () => 2;
    expect(await take(l, 0, 'r1', 'queued')).toEqual(new Date(T0.getTime() + 1000));
    expect(await take(l, 0, 'r1')).toBeNull();
  });
});

describe('WechatReplies: answers before prompts, one message per group with each person on their line (ManualClock, mock puppet)', () => {
  let db: TestDatabase;
  let bot: Wechaty;
  let puppet: KepuPuppetMock;
  const said: Array<{ to: string; text: string; mentions: string[] }> = [];
  let room1: Room;
  let room2: Room;
  const people: Record<string, Contact> = {};

  beforeAll(async () => {
    db = await createTestDatabase(log);
    puppet = new KepuPuppetMock();
    const send = puppet.messageSendText.bind(puppet);
    puppet.messageSendText = async (to: string, text: string, mentions?: string[]) => {
      said.push({ to, text, mentions: mentions ?? [] });
      return send(to, text);
    };
    bot = WechatyBuilder.build({ name: `pace-${Date.now()}`, puppet });
    await bot.start();
    const me = puppet.mocker.createContact({ id: 'pace-self', name: '助手' });
    for (const [id, name] of [
      ['wx-zhang', '张三'],
      ['wx-li', '李四'],
      ['wx-wang', '王五'],
    ])
      puppet.mocker.createContact({ id, name });
    puppet.mocker.createRoom({ id: 'pace-r1@chatroom', topic: '一群', memberIdList: ['pace-self', 'wx-zhang', 'wx-li', 'wx-wang'] });
    puppet.mocker.createRoom({ id: 'pace-r2@chatroom', topic: '二群', memberIdList: ['pace-self', 'wx-zhang', 'wx-li', 'wx-wang'] });
    puppet.mocker.login(me);
    room1 = (await bot.Room.find({ id: 'pace-r1@chatroom' }))!;
    room2 = (await bot.Room.find({ id: 'pace-r2@chatroom' }))!;
    for (const id of ['wx-zhang', 'wx-li', 'wx-wang']) people[id] = (await bot.Contact.find({ id }))!;
  });
  afterAll(async () => {
    await bot.stop();
    await db.close();
  });

  async function repliesWith(clock: ManualClock, o: { batchWindowMs: number }) {
    const [row]: Array<{ id: number }> = await db.ds.query(
      `INSERT INTO bot_account (name, source, first_login_at) VALUES ($1, 'test', $2) RETURNING id`,
      [`replies-${Math.random()}`, new Date(T0.getTime() - 30 * DAY)],
    );
    const limiter = new WechatSendLimiter(
      throttle({ intervalMs: 1000, switchIntervalMs: 3000 }),
      () => 0,
      `account:${row.id}`,
      undefined,
      row.id,
    );
    return new WechatReplies(db.ds, limiter, clock, { intervalMs: 1000, batchWindowMs: o.batchWindowMs }, log);
  }
  /** Lets the pump run until it waits on the clock. */
  const waits = async (clock: ManualClock) => {
    await clock.whenTimerPending();
  };

  it('says an answer to a person before binding prompts queued earlier', async () => {
    said.length = 0;
    const clock = new ManualClock(T0);
    const replies = await repliesWith(clock, { batchWindowMs: 0 });
    const first = replies.say({ room: room1, contact: people['wx-wang'] }, '已记录您的科普转发（一）', 'prompt');
    await first;
    // The account just spoke in 一群: the next messages wait their turn.
    const prompt = replies.say({ room: room1, contact: people['wx-li'] }, '已记录您的科普转发（二）', 'prompt');
    const answer = replies.say({ room: room2, contact: people['wx-zhang'] }, '可用命令：#我的', 'answer');
    await waits(clock);
    clock.advance(3000);
    await answer;
    await waits(clock);
    clock.advance(3000);
    await prompt;
    expect(said.map((s) => [s.to, s.mentions])).toEqual([
      ['pace-r1@chatroom', ['wx-wang']],
      ['pace-r2@chatroom', ['wx-zhang']],
      ['pace-r1@chatroom', ['wx-li']],
    ]);
  });

  it('sends the answers for one group within the window as one message, each person @-mentioned on their own line', async () => {
    said.length = 0;
    const clock = new ManualClock(new Date(T0.getTime() + DAY));
    const replies = await repliesWith(clock, { batchWindowMs: 1000 });
    const all = [
      replies.say({ room: room1, contact: people['wx-zhang'] }, '本月转发 3 篇', 'answer'),
      replies.say({ room: room1, contact: people['wx-li'] }, '本月转发 5 篇', 'answer'),
      replies.say({ room: room1, contact: people['wx-wang'] }, '请发送“#绑定 您的姓名”', 'prompt'),
    ];
    await waits(clock);
    expect(said).toEqual([]);
    clock.advance(1000);
    await Promise.all(all);
    expect(said).toEqual([
      {
        to: 'pace-r1@chatroom',
        text: '@张三 本月转发 3 篇\n@李四 本月转发 5 篇\n@王五 请发送“#绑定 您的姓名”',
        mentions: ['wx-zhang', 'wx-li', 'wx-wang'],
      },
    ]);
  });
});

describe('a send refused as too frequent: the account pauses with backoff, its group moves to another speaker, one alert', () => {
  let w: AccountWorld;
  const ROOM = 'pace-room@chatroom';
  const ZHANG = { id: 'wx-zhang', name: '张三' };
  const restricted: string[] = [];

  beforeAll(async () => {
    // PostgreSQL's now() decides restrictions in the election: this world runs at the real time.
    w = await startAccountWorld({ now: new Date(), accounts: ['pace-a', 'pace-b'], processes: 1 });
    await w.world(ROOM, '城关科普群', [ZHANG]);
    await w.seedStation({ station: '城关社区e站', roomId: ROOM, informants: [{ name: ZHANG.name, contactId: ZHANG.id }] });
    await w.elect();
    for (const [name, puppet] of w.puppets) {
      // The world's recorder (it takes the mentions too).
      const send = puppet.messageSendText.bind(puppet) as (to: string, text: string, mentions?: string[]) => Promise<void>;
      puppet.messageSendText = async (to: string, text: string, mentions?: string[]) => {
        if (restricted.includes(name)) throw new Error('发送消息过于频繁，请稍后再试');
        return send(to, text, mentions);
      };
    }
  }, 60_000);
  afterAll(async () => {
    await w.stop();
  });

  const speaker = async () => {
    const [row]: Array<{ name: string | null }> = await w.db.ds.query(
      `SELECT a.name FROM wechat_group g LEFT JOIN bot_account a ON a.id = g.speaker_account_id WHERE g.room_id = $1`,
      [ROOM],
    );
    return row.name;
  };
  /** The handed-over reply goes through the other account's own queue (PostgreSQL bookings): waits for it, 10 s at most. */
  const saidSoon = async (text: string) => {
    for (let i = 0; i < 200 && !w.said.some((s) => s.text.includes(text)); i++) {
      await w.settle();
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const incidents = async (name: string) =>
    (
      await w.db.ds.query(`SELECT count(*)::int AS n FROM alert_incident WHERE incident_key = $1`, [
        `wechat-restricted:${w.accountIds[name]}`,
      ])
    )[0].n;
  const restrictedFor = async (name: string) => {
    const [row]: Array<{ ms: number }> = await w.db.ds.query(
      `SELECT extract(epoch FROM restricted_until - $2::timestamptz) * 1000 AS ms FROM bot_account WHERE id = $1`,
      [w.accountIds[name], w.clock.now()],
    );
    return Math.round(Number(row.ms));
  };

  it('hands the answer to the other account, which becomes the speaker; the restricted one pauses 30 min, then 60 min', async () => {
    const first = (await speaker())!;
    const other = first === 'pace-a' ? 'pace-b' : 'pace-a';
    restricted.push(first);
    w.say({ talkerId: ZHANG.id, roomId: ROOM, text: '#帮助' }, { ids: 'different', at: w.clock.now().getTime() });
    await w.settle();
    await saidSoon('科普e站助手可以帮您');

    expect(await speaker()).toBe(other);
    const answers = w.said.filter((s) => s.conversationId === ROOM);
    expect(answers).toHaveLength(1);
    expect(answers[0].account).toBe(other);
    expect(answers[0].mentions).toEqual([ZHANG.id]);
    expect(await restrictedFor(first)).toBe(1_800_000);
    expect(await incidents(first)).toBe(1);

    // Restricted again before it could send: the pause doubles, and no second alert.
    const again = w.processes[0].accounts.byName(first)!;
    const room = (await again.bot.Room.find({ id: ROOM }))!;
    const contact = (await again.bot.Contact.find({ id: ZHANG.id }))!;
    await w.db.ds.query(`UPDATE bot_account SET restricted_until = NULL WHERE id = $1`, [w.accountIds[first]]);
    await again.replies.say({ room, contact }, '再试一次', 'answer');
    await saidSoon('再试一次');
    expect(await restrictedFor(first)).toBe(3_600_000);
    expect(await incidents(first)).toBe(1);
    expect(w.said.filter((s) => s.conversationId === ROOM && s.text.includes('再试一次')).map((s) => s.account)).toEqual([other]);
  });
});
