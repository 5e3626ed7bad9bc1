import ExcelJS from 'exceljs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli';
import { ManualClock } from '../../src/clock';
import { STATION_HEADERS } from '../support/filed-headers';
import { startHarness, type BotHarness } from '../support/harness';

// The ledger's header row, written out by hand.
const LEDGER_HEADERS = ['序号', '姓名', 'e站', '手机号', '统计天数', '活跃天数', '有效转发', '达标天数'];

/**
 * A scripted quarter (2026Q3) through the real robot on the mock puppet: 甲站 counts from 1 July,
 * 乙站 only from 15 August (its group is bound then); 张二 leaves 甲站 on 10 August, 张三 joins it
 * on 1 September. Every figure below is computed by hand here, from the script.
 */
const A_ROOM = 'room-jia@chatroom';
const B_ROOM = 'room-yi@chatroom';
const ZHANG1 = { id: 'wx-zhang1', name: '张一' };
const ZHANG2 = { id: 'wx-zhang2', name: '张二' };
const ZHANG3 = { id: 'wx-zhang3', name: '张三' };
const LI1 = { id: 'wx-li1', name: '李一' };
const MANAGER_A = { id: 'wx-manager-jia', name: '甲站长' };
const MANAGER_B = { id: 'wx-manager-yi', name: '乙站长' };

/** 10:00 in Asia/Shanghai on the day. */
const at = (day: string) => new Date(`${day}T02:00:00Z`);

describe('counting periods: a station starting mid-quarter, an informant joining late and one leaving early', () => {
  let h: BotHarness;
  let dir: string;
  let env: Record<string, string>;
  let jia: number;
  let item = 5000;
  /** Replies of the digest dry run and the weekly report, kept for the partial-week comparisons. */
  const digests: Record<string, string> = {};
  const weekly: Record<string, ExcelJS.Workbook> = {};

  const share = async (who: { id: string }, room: string, day: string, n: number) => {
    h.clock.set(at(day));
    for (let k = 0; k < n; k++)
      h.puppet.injectText({
        talkerId: who.id,
        roomId: room,
        timestamp: at(day).getTime(),
        text: `https://m.kepuchina.cn/tuwendetail?id=${item++}`,
      });
    await h.settle();
  };
  const say = async (from: { id: string }, text: string, room?: string): Promise<string> => {
    const before = h.sent.length;
    h.puppet.injectText({ talkerId: from.id, ...(room ? { roomId: room } : {}), text, timestamp: h.clock.now().getTime() });
    await h.settle();
    return h.sent
      .slice(before)
      .map((m) => m.text)
      .join('\n');
  };
  const cli = async (args: string[], day: string): Promise<string> => {
    const lines: string[] = [];
    const code = await runCli(args, env, { out: (l) => lines.push(l), err: (l) => lines.push(l) }, new ManualClock(at(day)));
    expect(code === 0 ? 'ok' : lines.join('\n')).toBe('ok');
    return lines.join('\n');
  };
  const workbook = async (path: string) => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(path);
    return wb;
  };
  const values = (ws: ExcelJS.Worksheet, row: number) => (ws.getRow(row).values as unknown[]).slice(1);
  const num = (v: unknown) => (typeof v === 'number' ? expect.closeTo(v, 10) : v);

  /** The weekly digest (dry run) and `report weekly` of the same week, run on the same day. */
  const weekBothWays = async (week: string, day: string) => {
    digests[week] = await cli(['run', 'weekly-digest', '--period', week, '--county', '测试旗', '--dry-run'], day);
    const out = join(dir, `${week}.xlsx`);
    await cli(['report', 'weekly', '--county', '测试旗', '--week', week, '--out', out], day);
    weekly[week] = await workbook(out);
  };

  beforeAll(async () => {
    h = await startHarness({}, at('2026-07-01'));
    dir = await mkdtemp(join(tmpdir(), 'kepubot-periods-'));
    env = { DATABASE_URL: h.db.url, LOG_LEVEL: 'silent' };
    h.world(A_ROOM, '甲站科普群', [ZHANG1, ZHANG2, ZHANG3]);
    h.world(B_ROOM, '乙站科普群', [LI1]);
    // 甲站: group bound on 1 July, 张一 and 张二 on the roster from 1 July.
    jia = (
      await h.seedStation({
        station: '甲站',
        roomId: A_ROOM,
        informants: [
          { name: '张一', contactId: ZHANG1.id },
          { name: '张二', contactId: ZHANG2.id },
        ],
      })
    ).stationId;
    // 乙站: 李一 on the roster from 1 July, but no group bound yet.
    await h.seedStation({ station: '乙站', roomId: B_ROOM, bindGroup: false, informants: [{ name: '李一', contactId: LI1.id }] });
    await h.services.people.addManager('甲站', { ids: { 'wechat-contact': MANAGER_A.id } });
    await h.services.people.addManager('乙站', { ids: { 'wechat-contact': MANAGER_B.id } });
    h.world('room-managers@chatroom', '管理员', [MANAGER_A, MANAGER_B]);

    await share(ZHANG1, A_ROOM, '2026-07-01', 3);
    await share(ZHANG2, A_ROOM, '2026-07-02', 3);
    await h.services.activities.logBulletin(jia, '2026-07-05', '防汛知识', 'test');
    await h.services.activities.log(jia, { date: '2026-07-20', type: '讲座', title: '防汛', participants: 60, place: '文化站' }, 'test');
    await share(ZHANG2, A_ROOM, '2026-08-10', 1);
    await h.services.informants.disable(jia, '张二', null, h.clock.now()); // 10 August is 张二's last day
    await share(ZHANG2, A_ROOM, '2026-08-11', 2); // after leaving: not counted
    await share(LI1, B_ROOM, '2026-08-10', 2); // 乙站's group is not bound yet: not counted
    h.clock.set(at('2026-08-15'));
    await h.services.groups.bind(B_ROOM, '乙站', h.clock.now()); // 乙站 counts from 15 August
    await share(LI1, B_ROOM, '2026-08-15', 3);
  });
  afterAll(async () => {
    await h.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores the counting start and the roster intervals', async () => {
    const starts = await h.db.ds.query(`SELECT name, to_char(counting_from, 'YYYY-MM-DD') AS c FROM station ORDER BY name`);
    expect(starts).toEqual([
      { name: '乙站', c: '2026-08-15' },
      { name: '甲站', c: null }, // its group was bound by the harness: the first bound day stands in
    ]);
    const intervals = await h.db.ds.query(
      `SELECT i.name, to_char(r.from_day, 'YYYY-MM-DD') AS f, to_char(r.to_day, 'YYYY-MM-DD') AS t FROM informant_roster r JOIN informant i ON i.id = r.informant_id ORDER BY i.id`,
    );
    expect(intervals).toEqual([
      { name: '张一', f: '2026-07-01', t: null },
      { name: '张二', f: '2026-07-01', t: '2026-08-10' },
      { name: '李一', f: '2026-07-01', t: null },
    ]);
  });

  it('本月 of 乙站 counts from its first counted day (15 August), not from 1 August', async () => {
    h.clock.set(at('2026-08-17'));
    const reply = await say(MANAGER_B, '本月');
    // 15–17 August: 3 informant-days of 李一, 3 effective shares, one day at the quota.
    expect(reply).toContain('乙站 2026年8月（截至17日）');
    expect(reply).toContain('统计 3 天（自8月15日起），信息员人天 3');
    expect(reply).toContain('活跃信息员 1 人，活跃率 100.0%');
    expect(reply).toContain(`✗ 人均每天有效转发 ${(3 / 3).toFixed(2)} 条（要求 3 条），共 3 条`);
    expect(reply).toContain(`达标率 ${((1 / 3) * 100).toFixed(1)}%`);
  });

  it('the weekly digest and report weekly agree on a past week with a late start and a leaver (W33)', async () => {
    await weekBothWays('2026-W33', '2026-08-17'); // 10–16 August
    const digest = digests['2026-W33'];
    // 甲站: 张一 7 days, 张二 1 day (10 August, 1 share) → 1 / 8. 乙站: 15–16 August, 李一 3 shares → 3 / 2.
    expect(digest).toContain('统计 7 天（自8月10日起，截至8月16日），信息员人天 10');
    expect(digest).toContain(`1. 乙站（8月15日起统计 2 天）：信息员 1，活跃率 100.0%，人均 ${(3 / 2).toFixed(2)} 条`);
    expect(digest).toContain(`2. 甲站：信息员 2，活跃率 50.0%，人均 ${(1 / 8).toFixed(2)} 条`);
    expect(digest).toContain(`人均每天有效转发 ${(4 / 10).toFixed(2)} 条`);
    const ws = weekly['2026-W33'].worksheets[0];
    expect(ws.getCell('A1').value).toBe('测试旗 2026年第33周（8月10日—8月16日） 周统计表（统计截至 2026年8月16日）');
    const col = (h: string) => STATION_HEADERS.indexOf(h) + 1;
    expect([ws.getRow(4).getCell(2).value, ws.getRow(4).getCell(col('人均每天有效转发')).value]).toEqual(['乙站', 3 / 2]);
    expect([ws.getRow(5).getCell(2).value, ws.getRow(5).getCell(col('人均每天有效转发')).value]).toEqual(['甲站', 1 / 8]);
    expect(ws.getRow(6).getCell(col('人均每天有效转发')).value).toBeCloseTo(4 / 10, 10);
    expect(ws.getRow(4).getCell(col('活动达标')).value).toBe('—');
  });

  it('runs the rest of the quarter: a late joiner binds and shares, a partial week agrees both ways', async () => {
    await share(ZHANG1, A_ROOM, '2026-08-20', 2);
    const yi = (await h.services.stations.findByName('乙站'))!.id;
    await h.services.activities.log(yi, { date: '2026-08-20', type: '培训', title: '急救', participants: 30, place: '村委会' }, 'test');
    h.clock.set(at('2026-09-01'));
    await h.services.informants.addToRoster(jia, '张三', '13812345678', h.clock.now());
    expect(await say(ZHANG3, '#绑定 张三', A_ROOM)).toContain('绑定成功');
    await share(ZHANG3, A_ROOM, '2026-09-01', 3);
    await share(LI1, B_ROOM, '2026-09-01', 2);
    await h.services.activities.logScreen(jia, '2026-09-01', 10, 'test');
    await share(ZHANG3, A_ROOM, '2026-09-02', 1);

    // Wednesday 2 September, week 31 August – 6 September: both end today.
    await weekBothWays('2026-W36', '2026-09-02');
    const digest = digests['2026-W36'];
    // 甲站: 张一 3 days + 张三 2 days = 5, 张三 4 shares → 4 / 5. 乙站: 李一 3 days, 2 shares → 2 / 3.
    expect(digest).toContain('统计 3 天（自8月31日起，截至9月2日），信息员人天 8');
    expect(digest).toContain(`1. 甲站：信息员 2，活跃率 50.0%，人均 ${(4 / 5).toFixed(2)} 条`);
    expect(digest).toContain(`2. 乙站：信息员 1，活跃率 100.0%，人均 ${(2 / 3).toFixed(2)} 条`);
    const ws = weekly['2026-W36'].worksheets[0];
    expect(ws.getCell('A1').value).toBe('测试旗 2026年第36周（8月31日—9月6日） 周统计表（统计截至 2026年9月2日）');
    const col = (name: string) => STATION_HEADERS.indexOf(name) + 1;
    expect(ws.getRow(4).getCell(col('人均每天有效转发')).value).toBeCloseTo(4 / 5, 10);
    expect(ws.getRow(5).getCell(col('人均每天有效转发')).value).toBeCloseTo(2 / 3, 10);
    expect(ws.getRow(4).getCell(col('统计天数')).value).toBe(3);
    // The same figures, to the digit, in the digest and the table.
    for (const row of [4, 5]) {
      const r = ws.getRow(row);
      expect(digest).toContain(
        `${r.getCell(2).value}：信息员 ${r.getCell(col('信息员')).value}，活跃率 ${((r.getCell(col('活跃率')).value as number) * 100).toFixed(1)}%，人均 ${(r.getCell(col('人均每天有效转发')).value as number).toFixed(2)} 条`,
      );
    }

    await share(ZHANG1, A_ROOM, '2026-09-30', 4);
    const month = await say(MANAGER_A, '本月');
    // September: 张一 30 days + 张三 30 days = 60 informant-days; 8 effective shares; 2 days at the quota.
    expect(month).toContain('甲站 2026年9月\n'); // today is the month's last day: the whole month
    expect(month).toContain('✗ 信息员 2 人（要求 500 人）');
    expect(month).toContain('统计 30 天（自9月1日起），信息员人天 60');
    expect(month).toContain('活跃信息员 2 人，活跃率 100.0%');
    expect(month).toContain(`✗ 人均每天有效转发 ${(8 / 60).toFixed(2)} 条（要求 3 条），共 8 条`);
    expect(month).toContain(`达标率 ${((2 / 60) * 100).toFixed(1)}%`);
    expect(month).toContain('宣传栏更换 0 次，大屏播放 10 小时');
  });

  it('the quarterly table as filed: title, every figure by hand, flags, ledger, definitions, print setup', async () => {
    const out = join(dir, 'q3.xlsx');
    expect(await cli(['report', 'quarterly', '--county', '测试旗', '--quarter', '2026Q3', '--out', out], '2026-10-08')).toBe(
      `已生成 ${out}：测试旗 2026年第3季度，2 个e站`,
    );
    const wb = await workbook(out);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['季度统计表', '统计台账', '口径说明']);
    const ws = wb.worksheets[0];
    expect(ws.getCell('A1').value).toBe('测试旗 2026年第3季度 季度统计表（统计截至 2026年9月30日）');
    expect(ws.getCell('A2').value).toBe(
      '统计期 2026-07-01 至 2026-09-30；统计天数 92 天（首个统计日 2026-07-01）；每日要求 3 条有效转发；每站信息员 500 人；各栏口径见“口径说明”表。',
    );
    expect(values(ws, 3)).toEqual(STATION_HEADERS);
    // 甲站 (92 days from 1 July): 张一 92 + 张二 41 (1 July – 10 August) + 张三 30 (September) = 163 informant-days;
    // effective 张一 3+2+4, 张二 3+1, 张三 3+1 = 17; quota met on 1 July, 2 July, 1 September, 30 September = 4.
    // 乙站 (47 days from 15 August): 李一 47 informant-days, 3+2 = 5 effective, 1 day at the quota.
    // Ranked by shares per informant-day: 乙站 5/47 = 0.106 before 甲站 17/163 = 0.104.
    const yi = ['乙站', '其他', '正常', '2026-08-15', 47, 1, '✗', 1, 1, 1, 5, 47, 5 / 47, '✗', 1 / 47, 1, 0, '✗', 30, 0, '✗', 0, '✗'];
    const jiaRow = [
      '甲站',
      '其他',
      '正常',
      '2026-07-01',
      92,
      3,
      '✗',
      3,
      3,
      1,
      17,
      163,
      17 / 163,
      '✗',
      4 / 163,
      1,
      1,
      '✗',
      60,
      1,
      '✗',
      10,
      '✗',
    ];
    expect(values(ws, 4)).toEqual([1, ...yi].map(num));
    expect(values(ws, 5)).toEqual([2, ...jiaRow].map(num));
    expect(values(ws, 6)).toEqual(
      ['', '合计', '', '', '2026-07-01', 92, 4, '✗', 4, 4, 1, 22, 210, 22 / 210, '✗', 5 / 210, 2, 1, '✗', 90, 1, '✗', 10, '✗'].map(num),
    );
    expect(ws.getRow(4).getCell(STATION_HEADERS.indexOf('活跃率') + 1).numFmt).toBe('0.0%');
    // Printing: A4 landscape, one page wide, the title, period and header rows on every page.
    expect(ws.pageSetup).toMatchObject({
      paperSize: 9,
      orientation: 'landscape',
      fitToPage: true,
      fitToWidth: 1,
      fitToHeight: 0,
      printTitlesRow: '1:3',
    });

    const ledger = wb.getWorksheet('统计台账')!;
    expect(ledger.getCell('A1').value).toBe('测试旗 2026年第3季度 信息员统计台账（统计截至 2026年9月30日）');
    expect(values(ledger, 3)).toEqual(LEDGER_HEADERS);
    // Pinyin order: 甲站 (jia) before 乙站 (yi); 张二, 张三, 张一. 张二 keeps his 41 days after leaving.
    expect([4, 5, 6, 7].map((r) => values(ledger, r))).toEqual([
      [1, '张二', '甲站', '', 41, 2, 4, 1],
      [2, '张三', '甲站', '138****5678', 30, 2, 4, 1],
      [3, '张一', '甲站', '', 92, 3, 9, 2],
      [4, '李一', '乙站', '', 47, 2, 5, 1],
    ]);
    expect(ledger.rowCount).toBe(7);
    expect(ledger.pageSetup).toMatchObject({ orientation: 'landscape', printTitlesRow: '1:3' });

    const defs = wb.getWorksheet('口径说明')!;
    const defined = new Map<string, string>();
    defs.eachRow((row, n) => {
      if (n > 3) defined.set(String(row.getCell(1).value), String(row.getCell(2).value));
    });
    for (const h of STATION_HEADERS.slice(2)) expect(defined.get(h)).toBeTruthy();
    expect(defined.get('人均每天有效转发')).toBe('有效转发 ÷ 信息员人天。');
    expect(defined.get('信息员人天')).toContain('在册且e站已开始统计的天数之和');
    for (const h of ['手机号', '活跃天数', '达标天数']) expect(defined.get(h)).toBeTruthy();
  });

  it('the ledger of a one-day range (the first day of a period) comes from the rollups and agrees with a whole month', async () => {
    // A one-day counted range is neither a whole week, month nor quarter: the ledger reads the rollups.
    const day = await h.services.statistics.informantLedger([jia], { from: '2026-07-06', to: '2026-07-06' }, '2026-10-08');
    expect(day.length).toBeGreaterThan(0);
    expect(day.every((r) => r.days === 1)).toBe(true);
    const july = await h.services.statistics.informantLedger([jia], { from: '2026-07-01', to: '2026-07-31' }, '2026-10-08');
    const viaDays = await h.services.statistics.informantLedger([jia], { from: '2026-07-01', to: '2026-07-30' }, '2026-10-08');
    const eff = (rows: typeof july) => rows.reduce((n, r) => n + r.effective, 0);
    const lastDay = await h.services.statistics.informantLedger([jia], { from: '2026-07-31', to: '2026-07-31' }, '2026-10-08');
    expect(eff(viaDays) + eff(lastDay)).toBe(eff(july));
  });

  it('disabling keeps the past: 张二 still counts in July; re-enabling opens a new interval', async () => {
    const july = await h.services.statistics.figures('station', jia, { from: '2026-07-01', to: '2026-07-31' }, '2026-10-08');
    expect({ informants: july.informants, informantDays: july.informantDays, eff: july.effectiveShares, active: july.activeRate }).toEqual({
      informants: 2,
      informantDays: 62,
      eff: 6,
      active: 1,
    });
    h.clock.set(at('2026-10-08'));
    await h.services.informants.addToRoster(jia, '张二', null, h.clock.now());
    const intervals = await h.db.ds.query(
      `SELECT to_char(r.from_day, 'YYYY-MM-DD') AS f, to_char(r.to_day, 'YYYY-MM-DD') AS t FROM informant_roster r JOIN informant i ON i.id = r.informant_id WHERE i.name = '张二' ORDER BY r.from_day`,
    );
    expect(intervals).toEqual([
      { f: '2026-07-01', t: '2026-08-10' },
      { f: '2026-10-08', t: null },
    ]);
    // Disabled and enabled again the same day: one interval, no gap.
    await h.services.informants.disable(jia, '张二', null, h.clock.now());
    await h.services.informants.addToRoster(jia, '张二', null, h.clock.now());
    expect(
      await h.db.ds.query(
        `SELECT count(*)::int AS n FROM informant_roster r JOIN informant i ON i.id = r.informant_id WHERE i.name = '张二'`,
      ),
    ).toEqual([{ n: 2 }]);
    const oct = await h.services.statistics.figures('station', jia, { from: '2026-10-01', to: '2026-10-31' }, '2026-10-08');
    // 张一 and 张三 8 days each, 张二 1 day (8 October).
    expect({ informants: oct.informants, informantDays: oct.informantDays, days: oct.days }).toEqual({
      informants: 3,
      informantDays: 17,
      days: 8,
    });
    // July to today: 张二's two intervals are one informant; 张一 100 days, 张二 41 + 1, 张三 38 (1 September – 8 October).
    const both = await h.services.statistics.figures('station', jia, { from: '2026-07-01', to: '2026-10-31' }, '2026-10-08');
    expect({ informants: both.informants, informantDays: both.informantDays }).toEqual({ informants: 3, informantDays: 100 + 42 + 38 });
  });

  it('kepubot station set --counting-from moves the start; report quarterly --prefecture sums the counties', async () => {
    await cli(['station', 'set', '乙站', '--counting-from', '2026-09-01'], '2026-10-08');
    const q = await h.services.statistics.figures(
      'station',
      (await h.services.stations.findByName('乙站'))!.id,
      { from: '2026-07-01', to: '2026-09-30' },
      '2026-10-08',
    );
    // September only: 30 informant-days, the 2 shares of 1 September.
    expect({ days: q.days, firstDay: q.firstDay, informantDays: q.informantDays, eff: q.effectiveShares }).toEqual({
      days: 30,
      firstDay: '2026-09-01',
      informantDays: 30,
      eff: 2,
    });

    const [{ id: prefecture }] = await h.db.ds.query(`INSERT INTO region (name, level) VALUES ('测试盟', 'prefecture') RETURNING id`);
    await h.db.ds.query(`UPDATE region SET parent_id = $1 WHERE name = '测试旗'`, [prefecture]);
    const out = join(dir, 'prefecture.xlsx');
    expect(await cli(['report', 'quarterly', '--prefecture', '测试盟', '--quarter', '2026Q3', '--out', out], '2026-10-08')).toBe(
      `已生成 ${out}：测试盟 2026年第3季度，1 个旗县区`,
    );
    const ws = (await workbook(out)).worksheets[0];
    expect(ws.getCell('A1').value).toBe('测试盟 2026年第3季度 季度统计表（统计截至 2026年9月30日）');
    expect(ws.getCell('B3').value).toBe('旗县区');
    // 测试旗: 甲站 163 + 乙站 30 informant-days, 17 + 2 effective shares.
    expect(values(ws, 4).slice(1, 6)).toEqual(['测试旗', '2 个e站', '', '2026-07-01', 92]);
    expect(ws.getRow(4).getCell(STATION_HEADERS.indexOf('信息员人天') + 1).value).toBe(193);
    expect(ws.getRow(4).getCell(STATION_HEADERS.indexOf('人均每天有效转发') + 1).value).toBeCloseTo(19 / 193, 10);
    expect(ws.getRow(5).getCell(2).value).toBe('合计');
  });
});
