import ExcelJS from 'exceljs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli';
import { ManualClock } from '../../src/clock';
import { STATION_HEADERS } from '../../src/services/report.service';
import { createTestDatabase, type TestDatabase } from '../support/db';

/**
 * `kepubot report quarterly --province` on a tiny hand-made province (2026Q3, run on 8 October):
 * 测试省 → 甲市 (甲一县: s1, s2; 甲二县: s3) and 乙市 (乙一县: s4); two informants a station, every
 * station counting from 1 July. Every figure below is summed by hand from the rows inserted here.
 */
describe('report quarterly --province: the prefectures and counties of a province, summed', () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  let dir: string;
  const today = new Date('2026-10-08T02:00:00Z');

  const cli = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, env, { out: (l) => out.push(l), err: (l) => err.push(l) }, new ManualClock(today));
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    env = { DATABASE_URL: db.url, LOG_LEVEL: 'silent' };
    dir = await mkdtemp(join(tmpdir(), 'kepubot-province-'));
    for (const [station, county, prefecture] of [
      ['s1', '甲一县', '甲市'],
      ['s2', '甲一县', '甲市'],
      ['s3', '甲二县', '甲市'],
      ['s4', '乙一县', '乙市'],
    ])
      expect((await cli('station', 'add', station, '--county', county, '--prefecture', prefecture, '--province', '测试省')).code).toBe(0);
    // A second province with a station, which the table must leave out.
    expect((await cli('station', 'add', 'x1', '--county', '外县', '--prefecture', '外市', '--province', '外省')).code).toBe(0);
    const q = (sql: string, params: unknown[] = []) => db.ds.query(sql, params);
    await q(`UPDATE station SET counting_from = '2026-07-01'`);
    // Informants i1..i8: two per station, s1..s4 in order; x1 gets one too.
    await q(
      `INSERT INTO informant (station_id, name, wechat_contact_id, bound_at)
       SELECT s.id, 'i' || ((dense_rank() OVER (ORDER BY s.name)) * 2 - 2 + n), 'wx-' || s.name || '-' || n, now()
       FROM station s, generate_series(1, 2) n WHERE s.name LIKE 's%'`,
    );
    await q(
      `INSERT INTO informant (station_id, name, wechat_contact_id, bound_at) SELECT id, 'x', 'wx-x', now() FROM station WHERE name = 'x1'`,
    );
    const ids: Record<string, number> = Object.fromEntries(
      ((await q(`SELECT id, name FROM informant`)) as Array<{ id: number; name: string }>).map((r) => [r.name, r.id]),
    );
    // On the roster from 1 July; i4 leaves on 31 July; i7 joins on 1 August.
    await q(
      `INSERT INTO informant_roster (informant_id, station_id, from_day, to_day)
       SELECT id, station_id, CASE name WHEN 'i7' THEN '2026-08-01'::date ELSE '2026-07-01'::date END,
              CASE name WHEN 'i4' THEN '2026-07-31'::date END FROM informant`,
    );
    const rollup = async (who: string, day: string, raw: number, eff: number) =>
      q(
        `INSERT INTO daily_rollup (informant_id, day, station_id, raw_shares, effective_shares)
         SELECT id, $2, station_id, $3, $4 FROM informant WHERE id = $1`,
        [ids[who], day, raw, eff],
      );
    await rollup('i1', '2026-07-01', 4, 3);
    await rollup('i1', '2026-07-02', 1, 1);
    await rollup('i2', '2026-08-10', 5, 5);
    await rollup('i3', '2026-09-30', 2, 2);
    await rollup('i4', '2026-07-15', 6, 4);
    await rollup('i5', '2026-07-05', 3, 3);
    await rollup('i5', '2026-07-06', 3, 3);
    await rollup('i7', '2026-08-01', 7, 6);
    await rollup('x', '2026-07-01', 9, 9);
    await q(
      `INSERT INTO activity (station_id, date, type, title, participants, created_by)
       SELECT id, d::date, '讲座', '活动', p, 'test' FROM station, (VALUES ('s1', '2026-07-10', 60), ('s4', '2026-08-20', 20)) v(st, d, p)
       WHERE station.name = v.st`,
    );
  });

  afterAll(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('one row per prefecture and per county: the sums of their stations, ranked, with the province total', async () => {
    const out = join(dir, 'province.xlsx');
    const r = await cli('report', 'quarterly', '--province', '测试省', '--quarter', '2026Q3', '--out', out);
    expect(r).toMatchObject({ code: 0, out: `已生成 ${out}：测试省 2026年第3季度，2 个盟市、3 个旗县区` });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(out);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['季度统计表', '各旗县区', '口径说明']);
    const col = (h: string) => STATION_HEADERS.indexOf(h) + 1;
    const row = (ws: ExcelJS.Worksheet, n: number) => {
      const x = ws.getRow(n);
      return {
        label: x.getCell(2).value,
        type: x.getCell(col('类型')).value,
        informants: x.getCell(col('信息员')).value,
        active: x.getCell(col('活跃信息员')).value,
        eff: x.getCell(col('有效转发')).value,
        idays: x.getCell(col('信息员人天')).value,
        perDay: x.getCell(col('人均每天有效转发')).value,
        met: x.getCell(col('达标率')).value,
        activities: x.getCell(col('活动次数')).value,
        participants: x.getCell(col('参加人次')).value,
        fresh: x.getCell(col('本期新增')).value,
      };
    };
    const sheet = wb.getWorksheet('季度统计表')!;
    expect(sheet.getCell('A1').value).toBe('测试省 2026年第3季度 季度统计表（统计截至 2026年9月30日）');
    expect(sheet.getCell('B3').value).toBe('盟市');
    // 甲市: s1 184 + s2 (92 + 31) + s3 184 = 491 informant-days; 15 + 6 effective shares; quota-met days 3 + 2.
    expect(row(sheet, 4)).toEqual({
      label: '甲市',
      type: '2 个旗县区，3 个e站',
      informants: 6,
      active: 5,
      eff: 21,
      idays: 491,
      perDay: expect.closeTo(21 / 491, 10),
      met: expect.closeTo(5 / 491, 10),
      activities: 1,
      participants: 60,
      fresh: 6,
    });
    // 乙市 = 乙一县: i7 61 days (from 1 August) + i8 92.
    expect(row(sheet, 5)).toEqual({
      label: '乙市',
      type: '1 个旗县区，1 个e站',
      informants: 2,
      active: 1,
      eff: 6,
      idays: 153,
      perDay: expect.closeTo(6 / 153, 10),
      met: expect.closeTo(1 / 153, 10),
      activities: 1,
      participants: 20,
      fresh: 2,
    });
    // The province (外省's station and its 9 shares left out).
    expect(row(sheet, 6)).toEqual({
      label: '合计',
      type: '',
      informants: 8,
      active: 6,
      eff: 27,
      idays: 644,
      perDay: expect.closeTo(27 / 644, 10),
      met: expect.closeTo(6 / 644, 10),
      activities: 2,
      participants: 80,
      fresh: 8,
    });
    const counties = wb.getWorksheet('各旗县区')!;
    expect(counties.getCell('B3').value).toBe('盟市 旗县区');
    // Ranked by effective shares per informant-day: 15/307 > 6/153 > 6/184.
    expect([4, 5, 6].map((n) => row(counties, n))).toEqual([
      {
        label: '甲市 甲一县',
        type: '2 个e站',
        informants: 4,
        active: 4,
        eff: 15,
        idays: 307,
        perDay: expect.closeTo(15 / 307, 10),
        met: expect.closeTo(3 / 307, 10),
        activities: 1,
        participants: 60,
        fresh: 4,
      },
      {
        label: '乙市 乙一县',
        type: '1 个e站',
        informants: 2,
        active: 1,
        eff: 6,
        idays: 153,
        perDay: expect.closeTo(6 / 153, 10),
        met: expect.closeTo(1 / 153, 10),
        activities: 1,
        participants: 20,
        fresh: 2,
      },
      {
        label: '甲市 甲二县',
        type: '1 个e站',
        informants: 2,
        active: 1,
        eff: 6,
        idays: 184,
        perDay: expect.closeTo(6 / 184, 10),
        met: expect.closeTo(2 / 184, 10),
        activities: 0,
        participants: 0,
        fresh: 2,
      },
    ]);
    expect(row(counties, 7)).toMatchObject({ label: '合计', informants: 8, eff: 27, idays: 644 });
  });

  it('the only province when none is named; the province by its number', async () => {
    // Two provinces here: naming none is refused with the list.
    const none = await cli('report', 'quarterly', '--province', '--quarter', '2026Q3', '--out', join(dir, 'p.xlsx'));
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/^有多个省\/自治区，请给出名称或编号：/);
    const [{ id }] = await db.ds.query(`SELECT id FROM region WHERE name = '测试省'`);
    const byId = await cli('report', 'quarterly', '--province', String(id), '--quarter', '2026Q3', '--out', join(dir, 'p.xlsx'));
    expect(byId).toMatchObject({ code: 0, out: `已生成 ${join(dir, 'p.xlsx')}：测试省 2026年第3季度，2 个盟市、3 个旗县区` });
  });

  it('an unknown province, or two scopes at once: a Chinese message and exit code 1, no file', async () => {
    const out = join(dir, 'unknown.xlsx');
    const unknown = await cli('report', 'quarterly', '--province', '火星省', '--quarter', '2026Q3', '--out', out);
    expect(unknown).toEqual({ code: 1, out: '', err: '找不到省/自治区“火星省”（请给出名称或编号）' });
    const both = await cli('report', 'quarterly', '--province', '测试省', '--county', '甲一县', '--quarter', '2026Q3', '--out', out);
    expect(both).toEqual({ code: 1, out: '', err: '请给出 --county、--prefecture 或 --province 之一' });
    // The same exit code as the other report errors (an unknown prefecture).
    expect((await cli('report', 'quarterly', '--prefecture', '火星市', '--quarter', '2026Q3', '--out', out)).code).toBe(unknown.code);
    await expect(rm(out)).rejects.toThrow();
  });
});
