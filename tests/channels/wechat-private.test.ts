import { Activity } from '../../src/db/entities';
import { startHarness, type BotHarness } from '../support/harness';

const MANAGER = { id: 'wx-manager-zhao', name: '赵站长' };
const STRANGER = { id: 'wx-stranger', name: '路人' };

describe('station commands in a private WeChat chat with the bot (Wechaty on the mock puppet)', () => {
  let h: BotHarness;
  const now = new Date('2026-11-22T02:00:00Z');

  beforeEach(async () => {
    h = await startHarness({}, now);
    h.world('room-zhao@chatroom', '城关科普群', [MANAGER, STRANGER]);
    await h.seedStation({ station: '城关社区e站', roomId: 'room-zhao@chatroom', informants: [] });
    await h.services.people.addManager('城关社区e站', { ids: { 'wechat-contact': MANAGER.id } });
  });
  afterEach(async () => {
    await h.stop();
  });

  const say = async (from: { id: string }, text: string): Promise<string> => {
    const before = h.sent.length;
    h.puppet.injectText({ talkerId: from.id, text, timestamp: now.getTime() });
    await h.settle();
    return h.sent
      .slice(before)
      .filter((m) => m.conversationId === from.id)
      .map((m) => m.text)
      .join('\n');
  };

  it('logs an activity with the same grammar as WeCom, without the # prefix', async () => {
    const reply = await say(MANAGER, '活动 11月20日 讲座 冬季防火知识 65人 文化站');
    const [a] = await h.db.ds.getRepository(Activity).find();
    expect(a).toMatchObject({ date: '2026-11-20', title: '冬季防火知识', participants: 65, createdBy: `wechat-private:${MANAGER.id}` });
    expect(reply).toContain(`已登记（编号 ${a.id}）`);
    expect(await say(MANAGER, '＃活动列表')).toContain(`${a.id}. 11月20日 讲座「冬季防火知识」65人 文化站`);
  });

  it('refuses strangers politely and stores nothing', async () => {
    expect(await say(STRANGER, '活动 今天 讲座 防火 60人')).toContain('还没有登记为e站管理员');
    expect(await h.db.ds.getRepository(Activity).count()).toBe(0);
  });

  it('lets a manager confirm an unconfirmed sharer of the station’s groups, counting their shares', async () => {
    h.puppet.injectText({
      talkerId: STRANGER.id,
      roomId: 'room-zhao@chatroom',
      timestamp: now.getTime(),
      text: 'https://m.kepuchina.cn/tuwendetail?id=77',
    });
    await h.settle();
    expect(await say(MANAGER, '未确认')).toContain('1. 路人（1 条）');
    expect(await say(MANAGER, '确认 1 路人')).toContain('已确认：该成员绑定为“路人”，之前的 1 条转发（有效 1 条）已计入');
    const [{ eff }] = await h.db.ds.query(`SELECT sum(effective_shares)::int AS eff FROM daily_rollup`);
    expect(eff).toBe(1);
  });
});
