import { commandWords, readHelp } from '../../src/bot/script-loader';
import { parseActivity, parseCorrection, parseDay, parseScreen, suggestCommand } from '../../src/domain/station-commands';

const TODAY = '2026-11-22';
/** The command words the bot-scripts declare. */
const WORDS = commandWords(readHelp());

describe('station command grammar', () => {
  it.each([
    ['今天', '2026-11-22'],
    ['昨天', '2026-11-21'],
    ['前天', '2026-11-20'],
    ['11月20日', '2026-11-20'],
    ['11月20号', '2026-11-20'],
    ['2026-11-20', '2026-11-20'],
    ['2026/3/1', '2026-03-01'],
    ['2026年3月1日', '2026-03-01'],
    ['11-20', '2026-11-20'],
    ['2024-02-29', '2024-02-29'],
  ])('reads the date %s as %s', (token, day) => {
    expect(parseDay(token, TODAY)).toEqual({ ok: true, value: day });
  });

  it('takes a month far ahead as last year (12月30日 typed on 2 January)', () => {
    expect(parseDay('12月30日', '2027-01-02')).toEqual({ ok: true, value: '2026-12-30' });
  });

  it.each([
    ['2月30日', '不存在'],
    ['2026-02-29', '不存在'],
    ['13月1日', '不存在'],
    ['明天', '看不懂日期'],
    ['11月23日', '还没到'],
    ['2027-01-01', '还没到'],
  ])('rejects the date %s (%s)', (token, reason) => {
    const r = parseDay(token, TODAY);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(reason);
  });

  it.each([
    [
      '11月20日 讲座 冬季防火知识 65人 文化站',
      { date: '2026-11-20', type: '讲座', title: '冬季防火知识', participants: 65, place: '文化站' },
    ],
    ['冬季防火知识 65人', { date: TODAY, type: '其他', title: '冬季防火知识', participants: 65, place: null }],
    [
      '昨天 培训 急救 知识 培训 52名 村委会 二楼',
      { date: '2026-11-21', type: '培训', title: '急救 知识 培训', participants: 52, place: '村委会 二楼' },
    ],
    ['展览 科普展 100000人', { date: TODAY, type: '展览', title: '科普展', participants: 100000, place: null }],
  ])('parses 活动 %s', (args, value) => {
    expect(parseActivity(args, TODAY)).toEqual({ ok: true, value });
  });

  it.each([
    ['讲座 防火', '缺少参加人数'],
    ['讲座 防火 十人', '请用阿拉伯数字'],
    ['讲座 防火 0人', '应大于 0'],
    ['讲座 防火 100001人', '太多了'],
    ['讲座 防火 60人 70人', '人数写了两次'],
    ['2月30日 讲座 防火 60人', '不存在'],
  ])('rejects 活动 %s (%s) and shows the correct form', (args, reason) => {
    const r = parseActivity(args, TODAY);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(reason);
  });

  it('parses corrections', () => {
    expect(parseCorrection('12 人数 70', TODAY)).toEqual({ ok: true, value: { id: 12, field: 'participants', value: 70 } });
    expect(parseCorrection('12 日期 昨天', TODAY)).toEqual({ ok: true, value: { id: 12, field: 'date', value: '2026-11-21' } });
    expect(parseCorrection('12 地点', TODAY)).toEqual({ ok: true, value: { id: 12, field: 'place', value: null } });
    expect(parseCorrection('abc 人数 70', TODAY)).toMatchObject({ ok: false });
    expect(parseCorrection('12 类型 跳舞', TODAY)).toMatchObject({ ok: false, error: expect.stringContaining('讲座、培训') });
    // Words an object inherits are no field.
    for (const word of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(parseCorrection(`12 ${word} 70`, TODAY)).toMatchObject({ ok: false, error: expect.stringContaining(`不能修改“${word}”`) });
    }
  });

  it('parses screen hours', () => {
    expect(parseScreen('5小时', TODAY)).toEqual({ ok: true, value: { date: TODAY, hours: 5 } });
    expect(parseScreen('2.5小时 昨天', TODAY)).toEqual({ ok: true, value: { date: '2026-11-21', hours: 2.5 } });
    expect(parseScreen('很久', TODAY)).toMatchObject({ ok: false });
  });

  it.each([
    ['活东', '活动'],
    ['本约', '本月'],
    ['撤消 12', '撤销'],
    ['添加信息', '添加信息员'],
    ['天气怎么样', null],
  ])('suggests for %s: %s', (text, nearest) => {
    expect(suggestCommand(text, WORDS)).toBe(nearest);
  });
});
