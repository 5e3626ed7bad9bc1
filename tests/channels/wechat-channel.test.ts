import { ShareEvent, DailyRollup } from '../../src/db/entities';
import { startHarness, type BotHarness } from '../support/harness';

const ROOM = 'room-a@chatroom';
const OTHER_ROOM = 'room-unbound@chatroom';
const ZHANG = { id: 'wx-zhang', name: '张三' };
const LI = { id: 'wx-li', name: '李四' };
const NEWBIE = { id: 'wx-newbie', name: '王五' };

const article = (id: number) => `https://m.kepuchina.cn/tuwendetail?id=${id}`;
const desktop = (id: number) => `https://www.kepuchina.cn/article/articleinfo?business_type=100&classify=0&ar_id=${id}`;

describe('WeChat groups on the mock puppet → counting and commands', () => {
  let h: BotHarness;
  // 2026-11-22 10:00 in Asia/Shanghai
  const now = new Date('2026-11-22T02:00:00Z');

  beforeEach(async () => {
    h = await startHarness({}, now);
    h.world(ROOM, '城关科普群', [ZHANG, LI, NEWBIE]);
    h.world(OTHER_ROOM, '闲聊群', [ZHANG, LI]);
    await h.seedStation({
      station: '城关社区e站',
      roomId: ROOM,
      informants: [{ name: '张三', contactId: ZHANG.id }, { name: '李四', contactId: LI.id }, { name: '王五' }],
    });
  });

  afterEach(async () => {
    await h.stop();
  });

  const shares = () => h.db.ds.getRepository(ShareEvent).find({ order: { id: 'ASC' } });
  const rollup = async (name: string) => {
    const rows: Array<{ raw_shares: number; effective_shares: number }> = await h.db.ds.query(
      `SELECT r.raw_shares, r.effective_shares FROM daily_rollup r JOIN informant i ON i.id = r.informant_id WHERE i.name = $1`,
      [name],
    );
    return rows[0] ?? { raw_shares: 0, effective_shares: 0 };
  };
  const ts = now.getTime();

  it('counts a URL in text, a link card and a mini-program card, and keeps title, url and type', async () => {
    h.puppet.injectText({ talkerId: ZHANG.id, roomId: ROOM, timestamp: ts, text: `冬季防火知识，大家看看：${article(101)}。` });
    h.puppet.injectUrlLink({ talkerId: ZHANG.id, roomId: ROOM, timestamp: ts }, { url: desktop(202), title: '流感防护指南' });
    h.puppet.injectMiniProgram(
      { talkerId: ZHANG.id, roomId: ROOM, timestamp: ts },
      { appid: 'wx1234567890abcdef', title: '高血压科普', description: '科普中国', pagePath: 'pages/detail/detail?id=303' },
    );
    await h.settle();

    // Wechaty loads payloads concurrently, so arrival order is not guaranteed: sort by key.
    const rows = (await shares()).sort((a, b) => a.contentKey.localeCompare(b.contentKey));
    expect(rows.map((r) => [r.contentKey, r.messageType, r.effective])).toEqual([
      ['kepu:item:101', 'text', true],
      ['kepu:item:202', 'url', true],
      ['kepu:mp:wx1234567890abcdef:pages/detail/detail:303', 'mini-program', true],
    ]);
    expect(rows[1].title).toBe('流感防护指南');
    expect(rows[1].url).toBe(desktop(202));
    expect(rows.every((r) => r.day === '2026-11-22' && r.talkerName === '张三')).toBe(true);
    expect(await rollup('张三')).toEqual({ raw_shares: 3, effective_shares: 3 });
    expect(h.sent).toEqual([]);
  });

  it('ignores chat, lookalike domains and kepuchina links hidden in another site’s query string', async () => {
    h.puppet.injectText({ talkerId: LI.id, roomId: ROOM, timestamp: ts, text: '大家晚上好' });
    h.puppet.injectText({ talkerId: LI.id, roomId: ROOM, timestamp: ts, text: 'https://kepuchina.cn.example.com/tuwendetail?id=1' });
    h.puppet.injectText({ talkerId: LI.id, roomId: ROOM, timestamp: ts, text: 'https://notkepuchina.cn/tuwendetail?id=1' });
    h.puppet.injectText({ talkerId: LI.id, roomId: ROOM, timestamp: ts, text: `https://evil.example.com/?u=${article(5)}` });
    h.puppet.injectUrlLink(
      { talkerId: LI.id, roomId: ROOM, timestamp: ts },
      { url: 'https://mp.weixin.qq.com/s/abc', title: '科普中国转载' },
    );
    h.puppet.injectMiniProgram(
      { talkerId: LI.id, roomId: ROOM, timestamp: ts },
      { appid: 'wxffffffffffffffff', title: '科普中国好文', description: '某购物小程序' },
    );
    await h.settle();
    expect(await shares()).toEqual([]);
    expect(await h.metrics.messages.get()).toMatchObject({ values: [{ value: 6, labels: { channel: 'wechat-group' } }] });
  });

  it('counts the same item once a day as effective, whatever the front-end or group, but keeps raw shares; another id space is another item', async () => {
    h.puppet.injectText({ talkerId: ZHANG.id, roomId: ROOM, timestamp: ts, text: article(7) });
    h.puppet.injectUrlLink({ talkerId: ZHANG.id, roomId: ROOM, timestamp: ts + 1000 }, { url: desktop(7), title: 'x' });
    h.puppet.injectText({ talkerId: ZHANG.id, roomId: ROOM, timestamp: ts + 2000, text: `https://cloud.kepuchina.cn/h5/detail?id=7` });
    await h.settle();
    // mobile and desktop article 7 are one item; cloud resource 7 is another id space
    const byKey = (await shares()).reduce<Record<string, boolean[]>>(
      (acc, r) => ({ ...acc, [r.contentKey]: [...(acc[r.contentKey] ?? []), r.effective].sort() }),
      {},
    );
    expect(byKey).toEqual({ 'kepu:item:7': [false, true], 'kepu:cloud:7': [true] });
    expect(await rollup('张三')).toEqual({ raw_shares: 3, effective_shares: 2 });
    const dup = await h.metrics.duplicatesIgnored.get();
    expect(dup.values.find((v) => v.labels.reason === 'same_item_same_day')?.value).toBe(1);

    // the next day in Asia/Shanghai (16:00Z is 00:00 in Shanghai) counts again
    const nextDay = new Date('2026-11-22T16:00:00Z');
    h.clock.set(nextDay);
    h.puppet.injectText({ talkerId: ZHANG.id, roomId: ROOM, timestamp: nextDay.getTime(), text: article(7) });
    await h.settle();
    const rows = await h.db.ds.getRepository(DailyRollup).find({ order: { day: 'ASC' } });
    expect(rows.map((r) => [r.day, r.rawShares, r.effectiveShares])).toEqual([
      ['2026-11-22', 3, 2],
      ['2026-11-23', 1, 1],
    ]);
  });

  it('never counts the same WeChat message twice (replay after a reconnect)', async () => {
    h.puppet.injectText({ id: 'msg-fixed-1', talkerId: LI.id, roomId: ROOM, timestamp: ts, text: article(9) });
    await h.settle();
    h.puppet.injectText({ id: 'msg-fixed-1', talkerId: LI.id, roomId: ROOM, timestamp: ts, text: article(9) });
    await h.settle();
    expect(await shares()).toHaveLength(1);
    expect(await rollup('李四')).toEqual({ raw_shares: 1, effective_shares: 1 });
    const dup = await h.metrics.duplicatesIgnored.get();
    expect(dup.values.find((v) => v.labels.reason === 'message_replay')?.value).toBe(1);
  });

  it('ignores the bot’s own messages, stale history and groups not bound to a station', async () => {
    h.puppet.injectText({ talkerId: h.selfId, roomId: ROOM, timestamp: ts, text: article(11) });
    h.puppet.injectText({ talkerId: ZHANG.id, roomId: ROOM, timestamp: ts - 3600_000, text: article(12) });
    h.puppet.injectText({ talkerId: ZHANG.id, roomId: OTHER_ROOM, timestamp: ts, text: article(13) });
    await h.settle();
    expect(await shares()).toEqual([]);
    const ignored = await h.metrics.messagesIgnored.get();
    const by = Object.fromEntries(ignored.values.map((v) => [v.labels.reason, v.value]));
    expect(by).toEqual({ self: 1, stale: 1, unbound_group: 1 });
    // the unbound group is remembered so an operator can bind it by its topic
    expect((await h.services.groups.list()).map((g) => [g.topic, g.station])).toContainEqual(['闲聊群', null]);
  });

  it('keeps an unbound member’s shares as unconfirmed and counts them once the member binds', async () => {
    h.puppet.injectText({ talkerId: NEWBIE.id, roomId: ROOM, timestamp: ts, text: article(21) });
    // A message is known by its second (issue 15's message key): the repeat comes seconds later.
    h.puppet.injectText({ talkerId: NEWBIE.id, roomId: ROOM, timestamp: ts + 1000, text: article(22) });
    h.puppet.injectText({ talkerId: NEWBIE.id, roomId: ROOM, timestamp: ts + 2000, text: article(22) });
    await h.settle();
    expect((await shares()).map((s) => s.informantId)).toEqual([null, null, null]);
    expect(await rollup('王五')).toEqual({ raw_shares: 0, effective_shares: 0 });
    expect(h.sent).toHaveLength(1);
    expect(h.sent[0].text).toContain('#绑定 您的姓名');

    h.puppet.injectText({ talkerId: NEWBIE.id, roomId: ROOM, timestamp: ts + 3, text: '#绑定 王五' });
    await h.settle();
    expect(h.sent[1].text).toContain('绑定成功');
    expect(h.sent[1].text).toContain('之前的 3 条转发（有效 2 条）已计入');
    expect(await rollup('王五')).toEqual({ raw_shares: 3, effective_shares: 2 });
    expect((await shares()).every((s) => s.informantId !== null)).toBe(true);

    h.puppet.injectText({ talkerId: NEWBIE.id, roomId: ROOM, timestamp: ts + 4, text: article(23) });
    await h.settle();
    expect(await rollup('王五')).toEqual({ raw_shares: 4, effective_shares: 3 });
  });

  it('#绑定 answers unknown, taken, ambiguous and malformed names clearly and stores nothing', async () => {
    const { stationId } = await h.seedStation({ station: '另一站', roomId: 'room-b@chatroom', informants: [] });
    await h.db.ds.query(`INSERT INTO informant (station_id, name, phone) VALUES ($1, '赵六', '13800001111'), ($1, '赵六', '13900002222')`, [
      stationId,
    ]);
    await h.db.ds.query(`UPDATE wechat_group SET station_id = $1 WHERE room_id = $2`, [stationId, ROOM]);
    const say = async (text: string) => {
      h.puppet.injectText({ talkerId: NEWBIE.id, roomId: ROOM, timestamp: ts, text });
      await h.settle();
      return h.sent[h.sent.length - 1].text;
    };
    expect(await say('#绑定')).toContain('请按格式发送：#绑定 您的姓名');
    expect(await say('#绑定 钱七')).toContain('名册中没有“钱七”');
    expect(await say('#绑定 赵六')).toContain('有 2 位“赵六”，请加上手机尾号4位');
    expect(await say('#绑定 赵六 9999')).toContain('没有手机尾号为 9999');
    expect(await h.db.ds.query(`SELECT 1 FROM informant WHERE wechat_contact_id = $1`, [NEWBIE.id])).toEqual([]);
    expect(await say('#绑定 赵六 2222')).toContain('绑定成功');

    h.puppet.injectText({ talkerId: LI.id, roomId: ROOM, timestamp: ts, text: '#绑定 赵六 2222' });
    await h.settle();
    expect(h.sent[h.sent.length - 1].text).toContain('您的微信已绑定为“李四”');

    const audit: Array<{ outcome: string }> = await h.db.ds.query(
      `SELECT outcome FROM audit_log WHERE listener_id = 'informants.bind' ORDER BY id`,
    );
    expect(audit.map((a) => a.outcome)).toEqual(['invalid', 'invalid', 'invalid', 'invalid', 'ok', 'invalid']);
  });

  it('#我的 shows today, this week and this month against the quota of 3', async () => {
    // The station has counted, and 张三 been on its roster, since 1 November (the month's days are his counted days).
    await h.db.ds.query(`UPDATE station SET counting_from = '2026-11-01' WHERE name = '城关社区e站'`);
    await h.db.ds.query(`UPDATE informant_roster SET from_day = '2026-11-01', updated_at = now()`);
    // Monday 2026-11-16 and today (Sunday 2026-11-22) in Asia/Shanghai; 2026-11-01 earlier this month
    const days = ['2026-11-01T02:00:00Z', '2026-11-16T02:00:00Z', '2026-11-22T01:00:00Z'];
    let n = 0;
    for (const [i, d] of days.entries()) {
      h.clock.set(new Date(d));
      for (let k = 0; k < i + 2; k++) {
        h.puppet.injectText({ talkerId: ZHANG.id, roomId: ROOM, timestamp: new Date(d).getTime(), text: article(1000 + n++) });
      }
      await h.settle();
    }
    h.clock.set(now);
    h.puppet.injectText({ talkerId: ZHANG.id, roomId: ROOM, timestamp: ts, text: '#我的' });
    await h.settle();
    const reply = h.sent[h.sent.length - 1];
    expect(reply.conversationId).toBe(ROOM);
    expect(reply.text).toContain('张三（城关社区e站）');
    expect(reply.text).toContain('今天 4 条，已达标（每天 3 条）');
    expect(reply.text).toContain('本周 7 条（已过 7 天）');
    expect(reply.text).toContain('本月 9 条，达标 2 / 22 天');

    h.puppet.injectText({ talkerId: NEWBIE.id, roomId: ROOM, timestamp: ts, text: '＃我的' });
    await h.settle();
    expect(h.sent[h.sent.length - 1].text).toContain('您还没有绑定信息员身份');
  });

  it('#排行 ranks the station’s informants today and counts who met the quota; #帮助 lists every command', async () => {
    for (let k = 0; k < 3; k++) h.puppet.injectText({ talkerId: LI.id, roomId: ROOM, timestamp: ts, text: article(500 + k) });
    h.puppet.injectText({ talkerId: ZHANG.id, roomId: ROOM, timestamp: ts, text: article(600) });
    h.puppet.injectText({ talkerId: ZHANG.id, roomId: ROOM, timestamp: ts, text: article(600) });
    await h.settle();
    h.puppet.injectText({ talkerId: ZHANG.id, roomId: ROOM, timestamp: ts, text: '#排行' });
    await h.settle();
    const ranking = h.sent[h.sent.length - 1].text;
    expect(ranking).toContain('城关社区e站 今日转发排行（11月22日）');
    expect(ranking).toMatch(/1\. 李四 3 条\n2\. 张三 1 条\n今日达标（≥3条）：1 \/ 3 人/);

    h.puppet.injectText({ talkerId: ZHANG.id, roomId: ROOM, timestamp: ts, text: '#帮助' });
    await h.settle();
    const help = h.sent[h.sent.length - 1].text;
    for (const cmd of ['#我的', '#排行', '#帮助', '#绑定 姓名']) expect(help).toContain(cmd);
  });

  it('a script that throws gets the user an apology and never stops the other scripts', async () => {
    h.robot.respond(/^我的$/, { id: 'test.broken' }, () => {
      throw new Error('boom');
    });
    h.puppet.injectText({ talkerId: ZHANG.id, roomId: ROOM, timestamp: ts, text: '#我的' });
    await h.settle();
    const texts = h.sent.map((s) => s.text);
    expect(texts.some((t) => t.includes('张三（城关社区e站）'))).toBe(true);
    expect(texts.some((t) => t.includes('抱歉，处理您的消息时出了点问题'))).toBe(true);
    const audit: Array<{ outcome: string; detail: string }> = await h.db.ds.query(
      `SELECT outcome, detail FROM audit_log WHERE listener_id = 'test.broken'`,
    );
    expect(audit).toEqual([{ outcome: 'error', detail: 'boom' }]);
  });
});
