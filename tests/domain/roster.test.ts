import { checkRoster, normalisePhone, type RosterSheetRow } from '../../src/domain/roster';

const sheet = (...rows: string[][]): RosterSheetRow[] => rows.map((cells, i) => ({ line: i + 1, cells }));

describe('roster rules', () => {
  it('finds the header in any column order and under common spellings', () => {
    const r = checkRoster(sheet(['序号', '手机号码', '信息员姓名', '备注'], ['1', '138 1234 5678', '张三', '村医'], ['2', '', '李四', '']));
    expect(r.problems).toEqual([]);
    expect(r.entries).toEqual([
      { line: 2, name: '张三', phone: '13812345678', note: '村医' },
      { line: 3, name: '李四', phone: null, note: null },
    ]);
  });

  it('skips a title row above the header and blank rows', () => {
    const r = checkRoster(sheet(['城关社区e站科普信息员名册'], [], ['姓名', '手机'], ['阿力木·买买提', '+86 139-0000-1111']));
    expect(r.problems).toEqual([]);
    expect(r.entries).toEqual([{ line: 4, name: '阿力木·买买提', phone: '13900001111', note: null }]);
  });

  it.each([
    [['', '13812345678'], '姓名为空'],
    [['张3', ''], '含有数字或符号'],
    [['张三', '12345'], '不是11位手机号码'],
    [['张三', '23812345678'], '不是11位手机号码'],
  ])('rejects row %j: %s', (row, reason) => {
    const r = checkRoster(sheet(['姓名', '手机号'], row));
    expect(r.entries).toHaveLength(0);
    expect(r.problems).toEqual([{ line: 2, reason: expect.stringContaining(reason) }]);
  });

  it('reports repeated rows and same-named informants without a phone to tell them apart', () => {
    const r = checkRoster(
      sheet(
        ['姓名', '手机号'],
        ['王芳', '13811112222'],
        ['王芳', '13811112222'],
        ['刘伟', ''],
        ['刘伟', ''],
        ['赵敏', '13833334444'],
        ['赵敏', ''],
      ),
    );
    expect(r.problems).toEqual([
      { line: 3, reason: '与第2行重复（同名同手机号）' },
      { line: 5, reason: '与第4行同名，请填写手机号以区分' },
      { line: 7, reason: '名册中有多位“赵敏”，请为每位填写手机号以区分' },
    ]);
  });

  it('asks for a header when there is none, and for rows when there are none', () => {
    expect(checkRoster(sheet(['张三', '13812345678'])).problems[0].reason).toContain('找不到表头');
    expect(checkRoster(sheet(['姓名'])).problems).toEqual([{ line: 1, reason: '表头下面没有信息员' }]);
  });

  it('quotes at most 20 characters of a bad cell, so a huge cell does not come back in every message', () => {
    const r = checkRoster(
      sheet(['姓名', '手机号'], ['张三', '1'.repeat(200_000)], ['李四', '12345'], ['王五1', ''], ['赵六', `${'𠀀'.repeat(21)}`]),
    );
    expect(r.problems).toEqual([
      { line: 2, reason: '手机号“11111111111111111111…”不是11位手机号码' },
      { line: 3, reason: '手机号“12345”不是11位手机号码' },
      { line: 4, reason: '姓名“王五1”含有数字或符号' },
      // Characters outside the BMP are cut whole, not in half.
      { line: 5, reason: `手机号“${'𠀀'.repeat(20)}…”不是11位手机号码` },
    ]);
  });

  it('normalises phone numbers Excel turned into numbers', () => {
    expect(normalisePhone('13812345678.0')).toBe('13812345678');
    expect(normalisePhone('0086 138-1234-5678')).toBe('13812345678');
  });
});
