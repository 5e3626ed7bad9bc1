import { startAccountWorld, stopProcess, type AccountWorld } from '../support/accounts';

const ROOM = 'room-many@chatroom';
const ZHANG = { id: 'wx-zhang', name: '张三' };
const LI = { id: 'wx-li', name: '李四' };
const ZHAO = { id: 'wx-zhao', name: '赵六' };
const WANG = { id: 'wx-wang', name: '王五' };

const article = (n: number) => `https://m.kepuchina.cn/tuwendetail?id=${n}`;
const card = (n: number) => `https://www.kepuchina.cn/article/articleinfo?business_type=100&classify=0&ar_id=${n}`;

// 2026-11-25 19:35 in Asia/Shanghai: before quiet hours, when the evening reminder goes out.
const EVENING = new Date('2026-11-25T11:35:00Z');

/**
 * Two WeChat accounts in the same group (the same room id and member ids seen by both), in one
 * kepubot process or in two: both hear a stream of shares and commands, the speaking account is
 * stopped half way. Nothing is lost, nothing counted twice, each command is answered once (by
 * the speaker), the speaker moves, the scheduled reminder goes out once.
 */
describe.each([
  { processes: 1 as const, ids: 'same' as const },
  { processes: 1 as const, ids: 'different' as const },
  { processes: 'one-per-account' as const, ids: 'different' as const },
  { processes: 'one-per-account' as const, ids: 'same' as const },
])('two accounts in one group ($processes process(es), $ids message ids)', ({ processes, ids }) => {
  let w: AccountWorld;

  beforeAll(async () => {
    w = await startAccountWorld({ now: EVENING, accounts: ['acct-a', 'acct-b'], processes });
    await w.world(ROOM, '城关科普群', [ZHANG, LI, ZHAO, WANG]);
    await w.seedStation({
      station: '城关社区e站',
      roomId: ROOM,
      informants: [
        { name: ZHANG.name, contactId: ZHANG.id },
        { name: LI.name, contactId: LI.id },
        { name: ZHAO.name, contactId: ZHAO.id },
        { name: WANG.name },
      ],
    });
    await w.elect();
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
  const inRoom = () => w.said.filter((s) => s.conversationId === ROOM);
  const t = (second: number) => EVENING.getTime() + second * 1000 + 250;

  // The account that speaks first (whichever logged in first: the election keeps a healthy speaker), and the other.
  let first: string;
  let other: string;

  it('records both accounts in the group, and elects one of them as its speaker', async () => {
    const rows: Array<{ name: string; present: boolean }> = await w.db.ds.query(
      `SELECT a.name, ga.present FROM group_account ga JOIN bot_account a ON a.id = ga.account_id WHERE ga.room_id = $1 ORDER BY a.name`,
      [ROOM],
    );
    expect(rows).toEqual([
      { name: 'acct-a', present: true },
      { name: 'acct-b', present: true },
    ]);
    first = (await speaker())!;
    expect(['acct-a', 'acct-b']).toContain(first);
    other = first === 'acct-a' ? 'acct-b' : 'acct-a';
  });

  it('counts a stream of shares once, answers each command once through the speaker, and goes on after the speaker stops', async () => {
    // First half: both accounts hear everything.
    for (let i = 0; i < 6; i++) {
      const who = i % 2 ? LI : ZHANG;
      if (i === 4) w.say({ talkerId: who.id, roomId: ROOM, card: { url: card(500 + i), title: '冬季防火' } }, { ids, at: t(i) });
      else w.say({ talkerId: who.id, roomId: ROOM, text: `看看这篇 ${article(100 + i)}` }, { ids, at: t(i) });
    }
    // An unbound member's share: one binding prompt.
    w.say({ talkerId: WANG.id, roomId: ROOM, text: article(900) }, { ids, at: t(6) });
    w.say({ talkerId: ZHANG.id, roomId: ROOM, text: '#我的' }, { ids, at: t(7) });
    // Only the account that does not speak hears this one: the answer still comes from the speaker.
    w.say({ talkerId: LI.id, roomId: ROOM, text: '#我的' }, { ids, at: t(8), to: [other] });
    await w.settle();
    await w.drainOutboxes(EVENING);
    // (A reply relayed through the outbox may come after one said directly: compare in any order.
    // Replies waiting together go out as one message, each person @-mentioned on a line of their own.)
    const byMention = (list: typeof w.said) =>
      list
        .flatMap((s) => (s.mentions ?? []).map((m, i) => ({ account: s.account, mentions: [m], text: s.text.split(/\n(?=@)/)[i] ?? '' })))
        .sort((a, b) => a.mentions[0].localeCompare(b.mentions[0]));
    expect(byMention(inRoom()).map((s) => [s.account, s.mentions])).toEqual([
      [first, [LI.id]],
      [first, [WANG.id]],
      [first, [ZHANG.id]],
    ]);
    expect(byMention(inRoom())[1].text).toContain('#绑定 您的姓名');
    expect(byMention(inRoom())[2].text).toContain('张三（城关社区e站）的有效转发');

    // The speaking account stops (its process shuts down, or the operator pauses it).
    const holder = w.holderOf(first)!;
    if (processes === 1) {
      await holder.services.accounts.setPaused(first, true);
      await holder.accounts.tick();
    } else {
      await stopProcess(w, holder);
    }
    expect(w.holderOf(first)).toBeUndefined();
    // No election by hand: the processes' own timers move the speaker within 10 s.
    const deadline = Date.now() + 10_000;
    while ((await speaker()) !== other && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(await speaker()).toBe(other);

    // Second half: only the other account still listens.
    for (let i = 10; i < 16; i++) {
      const who = i % 2 ? LI : ZHANG;
      w.say({ talkerId: who.id, roomId: ROOM, text: `看看这篇 ${article(100 + i)}` }, { ids, at: t(i) });
    }
    // A share said again (the same second, the same text), and a replay of an earlier message: nothing new.
    w.say({ talkerId: ZHANG.id, roomId: ROOM, text: `看看这篇 ${article(110)}` }, { ids, at: t(10) });
    w.say({ talkerId: ZHANG.id, roomId: ROOM, text: `看看这篇 ${article(100)}` }, { ids, at: t(0) });
    w.say({ talkerId: LI.id, roomId: ROOM, text: '#我的' }, { ids, at: t(20) });
    await w.settle();
    await w.drainOutboxes(EVENING);

    const shares: Array<{ talker_id: string; url: string }> = await w.db.ds.query(
      `SELECT talker_id, url FROM share_event ORDER BY talker_id, url`,
    );
    const expected = [
      ...[0, 2, 10, 12, 14].map((i) => [ZHANG.id, article(100 + i)]),
      [ZHANG.id, card(504)],
      ...[1, 3, 5, 11, 13, 15].map((i) => [LI.id, article(100 + i)]),
      [WANG.id, article(900)],
    ].sort((a, b) => (a[0] + a[1]).localeCompare(b[0] + b[1]));
    expect(shares.map((s) => [s.talker_id, s.url]).sort((a, b) => (a[0] + a[1]).localeCompare(b[0] + b[1]))).toEqual(expected);
    const rollup: Array<{ name: string; raw: number; eff: number }> = await w.db.ds.query(
      `SELECT i.name, r.raw_shares AS raw, r.effective_shares AS eff FROM daily_rollup r JOIN informant i ON i.id = r.informant_id ORDER BY i.name`,
    );
    expect(rollup).toEqual([
      { name: '张三', raw: 6, eff: 6 },
      { name: '李四', raw: 6, eff: 6 },
    ]);

    // Four answers (two of them may have gone out together); the last through the new speaker.
    expect(byMention(inRoom())).toHaveLength(4);
    const last = inRoom()[inRoom().length - 1];
    expect(last).toMatchObject({ account: other, mentions: [LI.id] });
    expect(last.text).toContain('李四（城关社区e站）的有效转发');
  }, 60_000);

  it('sends the evening reminder once, through the speaker, though every process runs the job', async () => {
    const counties: Array<{ id: number }> = await w.db.ds.query(`SELECT DISTINCT county_id AS id FROM station`);
    for (const p of w.live())
      await p.jobs.fire(
        'group-reminder',
        counties.map((c) => c.id),
        EVENING,
      );
    const before = inRoom().length;
    expect(await w.drainOutboxes(EVENING)).toBe(1);
    const reminders = inRoom().slice(before);
    expect(reminders.map((s) => [s.account, s.mentions])).toEqual([[other, [ZHAO.id]]]);
    expect(reminders[0].text).toContain('赵六 还差 3 条');
  });
});
