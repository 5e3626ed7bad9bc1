import ExcelJS from 'exceljs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli';
import { ShareEvent } from '../../src/db/entities';
import { startHarness, type BotHarness } from '../support/harness';

const ROOM = 'room-a@chatroom';
const ROOM_B = 'room-b@chatroom';
const ZHANG = { id: 'wx-zhang', name: '张三' };
const LI = { id: 'wx-li', name: '李四' };

const article = (id: number | string) => `https://www.kepuchina.cn/article/articleinfo?business_type=100&classify=0&ar_id=${id}`;
const mobile = (id: number) => `https://m.kepuchina.cn/tuwendetail?id=${id}`;
const video = (id: number) => `https://m.kepuchina.cn/videodetail?id=${id}`;
const rumour = (id: number) => `https://piyao.kepuchina.cn/rumor/rumordetail?id=${id}`;
const SPECIAL = (id: number) => `https://www.kepuchina.cn/special/specialinfo?id=AR${id}&from=timeline`;

// 2026-11-22 10:00 in Asia/Shanghai (a Sunday: week 2026-W47)
const now = new Date('2026-11-22T02:00:00Z');

async function cliOf(h: BotHarness, env: Record<string, string>, ...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(
    argv,
    { DATABASE_URL: h.db.url, LOG_LEVEL: 'silent', ...env },
    { out: (l) => out.push(l), err: (l) => err.push(l) },
    h.clock,
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('content identity and items per message, on the mock puppet', () => {
  let h: BotHarness;
  const ts = now.getTime();

  beforeEach(async () => {
    h = await startHarness({}, now);
    h.world(ROOM, '城关科普群', [ZHANG, LI]);
    h.world(ROOM_B, '城关二群', [ZHANG, LI]);
    const { stationId } = await h.seedStation({
      station: '城关社区e站',
      roomId: ROOM,
      informants: [
        { name: '张三', contactId: ZHANG.id },
        { name: '李四', contactId: LI.id },
      ],
    });
    // The bot may already have listed the room at login: bind it either way.
    await h.db.ds.query(
      `INSERT INTO wechat_group (room_id, topic, station_id, bound_at) VALUES ($1, '城关二群', $2, $3)
       ON CONFLICT (room_id) DO UPDATE SET station_id = excluded.station_id, bound_at = excluded.bound_at`,
      [ROOM_B, stationId, now],
    );
  });

  afterEach(async () => {
    await h.stop();
  });

  // A share id is the message key (not the WeChat id) and `#n` for the n-th item: `names` tells
  // which message (by sender and room) a test calls m1, m2, …, and the ids are shown by that name.
  const shares = async (names: Record<string, string> = {}) => {
    const rows = await h.db.ds.getRepository(ShareEvent).find();
    const named = new Map<string, string>();
    for (const s of rows) {
      const name = names[`${s.talkerId}@${s.roomId}`];
      const base = s.messageId.split('#')[0];
      if (name && named.get(base) !== undefined && named.get(base) !== name) throw new Error('two messages under one key');
      if (name) named.set(base, name);
    }
    expect(new Set(named.values()).size).toBe(named.size);
    return rows
      .map((s) => {
        const [base, n] = s.messageId.split('#');
        const name = named.get(base) ?? base;
        return [n ? `${name}#${n}` : name, s.contentKey, s.effective] as const;
      })
      .sort((a, b) => a[0].localeCompare(b[0]));
  };
  const rollup = async (name: string) => {
    const rows: Array<{ raw_shares: number; effective_shares: number }> = await h.db.ds.query(
      `SELECT r.raw_shares, r.effective_shares FROM daily_rollup r JOIN informant i ON i.id = r.informant_id WHERE i.name = $1`,
      [name],
    );
    return rows[0] ?? { raw_shares: 0, effective_shares: 0 };
  };
  const metric = async (name: 'duplicatesIgnored' | 'linksNotCounted', reason: string) =>
    (await h.metrics[name].get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;

  it('counts two different links in one text as two shares, the same link twice as one, and a replay as nothing', async () => {
    h.puppet.injectText({ id: 'm1', talkerId: ZHANG.id, roomId: ROOM, timestamp: ts, text: `今天两篇：${article(101)}；${video(202)}` });
    h.puppet.injectText({
      id: 'm2',
      talkerId: LI.id,
      roomId: ROOM,
      timestamp: ts,
      text: `${mobile(303)} 再发一次 ${mobile(303)}，电脑版 ${article(303)}`,
    });
    await h.settle();
    const names = { [`${ZHANG.id}@${ROOM}`]: 'm1', [`${LI.id}@${ROOM}`]: 'm2' };
    expect(await shares(names)).toEqual([
      ['m1', 'kepu:item:101', true],
      ['m1#2', 'kepu:video:202', true],
      ['m2', 'kepu:item:303', true],
    ]);
    expect(await rollup('张三')).toEqual({ raw_shares: 2, effective_shares: 2 });
    expect(await rollup('李四')).toEqual({ raw_shares: 1, effective_shares: 1 });

    // The same WeChat message again (reconnect, restart): nothing new, both items are replays.
    h.puppet.injectText({ id: 'm1', talkerId: ZHANG.id, roomId: ROOM, timestamp: ts, text: `今天两篇：${article(101)}；${video(202)}` });
    await h.settle();
    expect(await shares()).toHaveLength(3);
    expect(await rollup('张三')).toEqual({ raw_shares: 2, effective_shares: 2 });
    expect(await metric('duplicatesIgnored', 'message_replay')).toBe(2);
  });

  it('counts at most SHARE_ITEMS_PER_MESSAGE_MAX (3) items of one message, and a same-day repeat is still not effective', async () => {
    h.puppet.injectText({
      id: 'm1',
      talkerId: ZHANG.id,
      roomId: ROOM,
      timestamp: ts,
      text: [1, 2, 3, 4, 5].map((i) => article(i)).join(' '),
    });
    // m2 arrives after m1 was counted. (Two messages in flight at once may land in two batches
    // committed in either order; which one is marked effective then follows the commit, while the
    // informant's figures are the same either way.)
    await h.settle();
    h.puppet.injectText({ id: 'm2', talkerId: ZHANG.id, roomId: ROOM_B, timestamp: ts + 1000, text: `${article(2)} ${video(9)}` });
    await h.settle();
    expect(await shares({ [`${ZHANG.id}@${ROOM}`]: 'm1', [`${ZHANG.id}@${ROOM_B}`]: 'm2' })).toEqual([
      ['m1', 'kepu:item:1', true],
      ['m1#2', 'kepu:item:2', true],
      ['m1#3', 'kepu:item:3', true],
      ['m2', 'kepu:item:2', false],
      ['m2#2', 'kepu:video:9', true],
    ]);
    expect(await rollup('张三')).toEqual({ raw_shares: 5, effective_shares: 4 });
    expect(await metric('linksNotCounted', 'over_limit')).toBe(2);
  });

  it('counts nothing for the home page, searches, lists and pages without an id, in text or as cards', async () => {
    h.puppet.injectText({ talkerId: ZHANG.id, roomId: ROOM, timestamp: ts, text: 'https://www.kepuchina.cn/' });
    h.puppet.injectText({ talkerId: ZHANG.id, roomId: ROOM, timestamp: ts, text: 'https://www.kepuchina.cn/search?keyword=a' });
    h.puppet.injectText({
      talkerId: ZHANG.id,
      roomId: ROOM,
      timestamp: ts,
      text: 'https://www.kepuchina.cn/search?keyword=b https://piyao.kepuchina.cn/rumor/rumorlist',
    });
    h.puppet.injectUrlLink(
      { talkerId: ZHANG.id, roomId: ROOM, timestamp: ts },
      { url: 'https://www.kepuchina.cn/index.html', title: '科普中国' },
    );
    h.puppet.injectUrlLink(
      { talkerId: ZHANG.id, roomId: ROOM, timestamp: ts },
      { url: 'https://www.kepuchina.cn/article/articleinfo?business_type=100', title: '科普中国' },
    );
    await h.settle();
    expect(await shares()).toEqual([]);
    expect(await rollup('张三')).toEqual({ raw_shares: 0, effective_shares: 0 });
    expect(await metric('linksNotCounted', 'unknown_shape')).toBe(0);
  });

  it('keeps a rumour and an article of the same number apart, and reads full-width digits', async () => {
    h.puppet.injectText({ talkerId: LI.id, roomId: ROOM, timestamp: ts, text: rumour(123) });
    h.puppet.injectUrlLink({ talkerId: LI.id, roomId: ROOM, timestamp: ts + 1 }, { url: article(123), title: '文章123' });
    h.puppet.injectText({
      talkerId: LI.id,
      roomId: ROOM,
      timestamp: ts + 2,
      text: `看这篇 https://www.kepuchina.cn/article/articleinfo？ar_id＝５，很好`,
    });
    await h.settle();
    expect((await shares()).map(([, key, effective]) => [key, effective]).sort()).toEqual([
      ['kepu:item:123', true],
      ['kepu:item:5', true],
      ['kepu:rumour:123', true],
    ]);
    expect(await rollup('李四')).toEqual({ raw_shares: 3, effective_shares: 3 });
  });

  it('keeps unknown Kepu China shapes (not counted) and lists them with `kepubot links unknown`', async () => {
    expect((await cliOf(h, {}, 'links', 'unknown')).out).toBe('没有未识别的科普中国链接形式');
    h.puppet.injectText({ talkerId: ZHANG.id, roomId: ROOM, timestamp: ts, text: `专题 ${SPECIAL(1)} 和 ${article(7)}` });
    h.puppet.injectText({ talkerId: LI.id, roomId: ROOM, timestamp: ts + 1, text: SPECIAL(2) });
    h.puppet.injectUrlLink(
      { talkerId: LI.id, roomId: ROOM, timestamp: ts + 2 },
      { url: 'https://www.kepuchina.cn/article/articleinfo?id=9', title: '另一种编号' },
    );
    await h.settle();
    expect((await shares()).map(([, key]) => key)).toEqual(['kepu:item:7']);
    expect(await metric('linksNotCounted', 'unknown_shape')).toBe(3);

    const r = await cliOf(h, {}, 'links', 'unknown');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe('形式\t次数\t首次\t最近\t示例');
    // One line per shape, most seen first, one example each (the first seen, without tracking parameters).
    expect(lines[1]).toMatch(
      /^www\.kepuchina\.cn\/special\/specialinfo\?id\t2\t2026-11-22\t2026-11-22\thttps:\/\/www\.kepuchina\.cn\/special\/specialinfo\?id=AR[12]$/,
    );
    expect(lines[2]).toBe(
      'www.kepuchina.cn/article/articleinfo?id\t1\t2026-11-22\t2026-11-22\thttps://www.kepuchina.cn/article/articleinfo?id=9',
    );
    expect(lines[3]).toContain('KEPU_URL_RULES');
  });

  it('lists the most shared items with titles, informants and groups: `kepubot report content` and the weekly digest', async () => {
    h.puppet.injectUrlLink({ talkerId: ZHANG.id, roomId: ROOM, timestamp: ts }, { url: article(11), title: '冬季防火知识' });
    h.puppet.injectUrlLink({ talkerId: ZHANG.id, roomId: ROOM_B, timestamp: ts + 1000 }, { url: mobile(11), title: '冬季防火知识' });
    h.puppet.injectUrlLink({ talkerId: LI.id, roomId: ROOM, timestamp: ts + 2000 }, { url: article(11), title: '冬季防火知识' });
    h.puppet.injectText({ talkerId: LI.id, roomId: ROOM, timestamp: ts + 3000, text: `${video(12)} ${rumour(11)}` });
    h.puppet.injectMiniProgram(
      { talkerId: ZHANG.id, roomId: ROOM, timestamp: ts + 4000 },
      { appid: 'wxffffffffffffffff', title: '流感防护指南', description: '科普中国', pagePath: 'pages/detail/detail?id=13' },
    );
    await h.settle();

    const stationIds = await h.services.statistics.stationIds('county', (await h.services.reports.countyByName('测试旗')).id);
    const top = await h.services.statistics.topContent(stationIds, { from: '2026-11-16', to: '2026-11-22' }, '2026-11-22', 10);
    expect(top.map((c) => [c.contentKey, c.title, c.informants, c.groups, c.rawShares, c.effectiveShares])).toEqual([
      ['kepu:item:11', '冬季防火知识', 2, 2, 3, 2],
      ['kepu:mp:wxffffffffffffffff:pages/detail/detail:13', '流感防护指南', 1, 1, 1, 1],
      ['kepu:rumour:11', null, 1, 1, 1, 1],
      ['kepu:video:12', null, 1, 1, 1, 1],
    ]);

    const dir = await mkdtemp(join(tmpdir(), 'kepubot-content-'));
    try {
      const file = join(dir, 'content.xlsx');
      const r = await cliOf(h, {}, 'report', 'content', '--county', '测试旗', '--week', '2026-W47', '--out', file);
      expect(r).toMatchObject({ code: 0, out: `已生成 ${file}：测试旗 2026年第47周（11月16日—11月22日），4 条内容` });
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.readFile(file);
      const ws = wb.getWorksheet('转发内容')!;
      expect(String(ws.getCell('A1').value)).toContain('测试旗');
      expect((ws.getRow(2).values as unknown[]).slice(1)).toEqual([
        '序号',
        '标题',
        '类别',
        '转发人数',
        '群数',
        '原始转发',
        '有效转发',
        '链接',
      ]);
      expect((ws.getRow(3).values as unknown[]).slice(1)).toEqual([1, '冬季防火知识', '文章', 2, 2, 3, 2, article(11)]);
      expect((ws.getRow(4).values as unknown[]).slice(1, 8)).toEqual([2, '流感防护指南', '小程序', 1, 1, 1, 1]);
      // Without a card title, the link stands for the title.
      expect((ws.getRow(5).values as unknown[]).slice(1, 4)).toEqual([3, rumour(11), '辟谣']);
      expect((ws.getRow(6).values as unknown[]).slice(1, 4)).toEqual([4, video(12), '视频']);

      const bad = await cliOf(h, {}, 'report', 'content', '--county', '测试旗', '--week', '2026-W47', '--month', '2026-11', '--out', file);
      expect(bad.code).toBe(1);
      expect(bad.err).toContain('请用 --week、--month、--quarter 中的一个指定统计期');
      const month = await cliOf(h, {}, 'report', 'content', '--county', '测试旗', '--month', '2026-11', '--top', '1', '--out', file);
      expect(month.out).toContain('1 条内容');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    const digest = await cliOf(h, {}, 'run', 'weekly-digest', '--period', '2026-W47', '--dry-run');
    expect(digest.code).toBe(0);
    expect(digest.out).toContain('**转发最多的内容**：');
    expect(digest.out).toContain('1. 冬季防火知识：2 人转发到 2 个群，有效转发 2 条');
    expect(digest.out).toContain('2. 流感防护指南：1 人转发到 1 个群，有效转发 1 条');
  });
});

describe('KEPU_URL_RULES: a shape added by the operator counts without a code change', () => {
  let h: BotHarness;

  beforeAll(async () => {
    h = await startHarness({ KEPU_URL_RULES: 'special:www.kepuchina.cn/special/specialinfo?id' }, now);
    h.world(ROOM, '城关科普群', [ZHANG]);
    await h.seedStation({ station: '城关社区e站', roomId: ROOM, informants: [{ name: '张三', contactId: ZHANG.id }] });
  });

  afterAll(async () => {
    await h.stop();
  });

  it('counts the configured shape as its own kind, and no longer lists it as unknown', async () => {
    h.puppet.injectText({ talkerId: ZHANG.id, roomId: ROOM, timestamp: now.getTime(), text: `${SPECIAL(1)} ${article(1)}` });
    await h.settle();
    const keys = (await h.db.ds.getRepository(ShareEvent).find()).map((s) => s.contentKey).sort();
    expect(keys).toEqual(['kepu:item:1', 'kepu:special:AR1']);
    expect((await cliOf(h, { KEPU_URL_RULES: 'special:www.kepuchina.cn/special/specialinfo?id' }, 'links', 'unknown')).out).toBe(
      '没有未识别的科普中国链接形式',
    );
  });

  it('stops the CLI (and the server) on a malformed rule, naming the variable', async () => {
    const r = await cliOf(h, { KEPU_URL_RULES: 'special:www.kepuchina.cn/special/specialinfo' }, 'links', 'unknown');
    expect(r.code).toBe(2);
    expect(r.err).toContain('KEPU_URL_RULES: rule "special:www.kepuchina.cn/special/specialinfo" should be kind:host/path?param');
  });
});
