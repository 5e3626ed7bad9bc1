import ExcelJS from 'exceljs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { declareSize, manySharedStringsXlsx } from '../bench/hostile-files';
import { rosterRow, writeRosterXlsx } from '../bench/roster-import';
import { runCli } from '../src/cli';
import { createTestDatabase, type TestDatabase } from './support/db';

describe('kepubot import roster (xlsx and csv, all or nothing)', () => {
  let db: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'kepubot-roster-'));
    expect(await cli('station', 'add', '城关社区e站', '--county', '演示旗')).toMatchObject({ code: 0 });
  });

  afterAll(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function cli(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, { DATABASE_URL: db.url, LOG_LEVEL: 'silent' }, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  const roster = async () =>
    (await db.ds.query(`SELECT name, phone, note FROM informant ORDER BY id`)) as Array<{
      name: string;
      phone: string | null;
      note: string | null;
    }>;

  async function xlsx(name: string, rows: Array<Array<string | number>>): Promise<string> {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('信息员名册');
    for (const r of rows) ws.addRow(r);
    const path = join(dir, name);
    await wb.xlsx.writeFile(path);
    return path;
  }

  it('imports nothing when any row is bad, and prints each bad row with its reason', async () => {
    const file = await xlsx('bad.xlsx', [
      ['姓名', '手机号', '备注'],
      ['张三', 13812345678, '村医'],
      ['', 13900001111, ''],
      ['李四', '1390000', ''],
    ]);
    const r = await cli('import', 'roster', file, '--station', '城关社区e站');
    expect(r.code).toBe(1);
    expect(r.err).toContain('名册有 2 处问题，未导入任何一行');
    expect(r.err).toContain('第3行：姓名为空');
    expect(r.err).toContain('第4行：手机号“1390000”不是11位手机号码');
    // The summary is for the audit log only: the rows above already said what is wrong.
    expect(r.err.split('\n')).toEqual([
      '名册有 2 处问题，未导入任何一行：',
      '  第3行：姓名为空',
      '  第4行：手机号“1390000”不是11位手机号码',
    ]);
    expect(await roster()).toEqual([]);
  });

  it('imports a good .xlsx (phones typed as numbers), and a second import changes nothing', async () => {
    const file = await xlsx('good.xlsx', [
      ['城关社区e站信息员名册'],
      ['姓名', '手机号', '备注'],
      ['张三', 13812345678, '村医'],
      ['李四', '', ''],
    ]);
    const r = await cli('import', 'roster', file, '--station', '城关社区e站');
    expect(r).toMatchObject({ code: 0, out: '已导入“城关社区e站”名册：新增 2 人，补充手机号 0 人，已存在 0 人' });
    expect(await roster()).toEqual([
      { name: '张三', phone: '13812345678', note: '村医' },
      { name: '李四', phone: null, note: null },
    ]);
    const again = await cli('import', 'roster', file, '--station', '城关社区e站');
    expect(again.out).toBe('已导入“城关社区e站”名册：新增 0 人，补充手机号 0 人，已存在 2 人');
    expect(await roster()).toHaveLength(2);
  });

  it('reads a CSV saved by Excel on Chinese Windows (GB18030) and adds phones to existing entries', async () => {
    const text = '姓名,手机号\r\n李四,13700001234\r\n王五,\r\n';
    const gb = join(dir, 'roster-gbk.csv');
    // GB18030 bytes for the text above, produced by an independent encoder (iconv via Python is
    // not available everywhere, so the bytes are spelled out).
    const bytes = Buffer.concat([
      Buffer.from([0xd0, 0xd5, 0xc3, 0xfb]),
      Buffer.from(','), // 姓名
      Buffer.from([0xca, 0xd6, 0xbb, 0xfa, 0xba, 0xc5]),
      Buffer.from('\r\n'), // 手机号
      Buffer.from([0xc0, 0xee, 0xcb, 0xc4]),
      Buffer.from(',13700001234\r\n'), // 李四
      Buffer.from([0xcd, 0xf5, 0xce, 0xe5]),
      Buffer.from(',\r\n'), // 王五
    ]);
    await writeFile(gb, bytes);
    expect(new TextDecoder('gb18030').decode(bytes)).toBe(text);
    const r = await cli('import', 'roster', gb, '--station', '城关社区e站');
    expect(r).toMatchObject({ code: 0, out: '已导入“城关社区e站”名册：新增 1 人，补充手机号 1 人，已存在 0 人' });
    expect(await roster()).toEqual([
      { name: '张三', phone: '13812345678', note: '村医' },
      { name: '李四', phone: '13700001234', note: null },
      { name: '王五', phone: null, note: null },
    ]);
  });

  it('reads UTF-8 CSV with a BOM and reports CSV line numbers', async () => {
    const file = join(dir, 'utf8.csv');
    await writeFile(file, '\uFEFF姓名,手机号\n赵六,13600001111\n"钱 七",abc\n');
    const r = await cli('import', 'roster', file, '--station', '城关社区e站');
    expect(r.code).toBe(1);
    expect(r.err).toContain('第3行：手机号“abc”不是11位手机号码');
    expect((await roster()).map((x) => x.name)).not.toContain('赵六');
  });

  it('explains an unknown station, a missing file and an unsupported file type', async () => {
    const file = await xlsx('x.xlsx', [['姓名'], ['孙八']]);
    expect((await cli('import', 'roster', file, '--station', '无此站')).err).toContain('没有名为“无此站”的e站');
    expect((await cli('import', 'roster', join(dir, 'nope.xlsx'), '--station', '城关社区e站')).err).toContain('读不到文件');
    await writeFile(join(dir, 'old.xls'), 'x');
    const xls = await cli('import', 'roster', join(dir, 'old.xls'), '--station', '城关社区e站');
    expect(xls).toMatchObject({ code: 1 });
    expect(xls.err).toContain('另存为 .xlsx 或 .csv');
    const audit: Array<{ outcome: string }> = await db.ds.query(
      `SELECT outcome FROM audit_log WHERE listener_id = 'cli.import.roster' ORDER BY id`,
    );
    expect(audit.map((a) => a.outcome)).toEqual(['invalid', 'ok', 'ok', 'ok', 'invalid', 'invalid', 'invalid', 'invalid']);
  });

  it('refuses a file over 10 MB before reading it, and a zip bomb from its directory', async () => {
    const big = join(dir, 'big.csv');
    await writeFile(big, Buffer.alloc(10 * 1024 * 1024 + 1, 0x41));
    expect(await cli('import', 'roster', big, '--station', '城关社区e站')).toMatchObject({
      code: 1,
      err: '名册文件超过 10 MB，请只保留信息员名单（姓名、手机号、备注）后再导入',
    });
    const bomb = join(dir, 'bomb.xlsx');
    await writeFile(bomb, declareSize(await manySharedStringsXlsx(10), 'xl/worksheets/sheet1.xml', 200 * 1024 * 1024));
    expect(await cli('import', 'roster', bomb, '--station', '城关社区e站')).toMatchObject({
      code: 1,
      err: '名册文件中的 xl/worksheets/sheet1.xml 解压后超过 128 MB，不像是名册：请只保留信息员名单（姓名、手机号、备注）后另存为 .xlsx 或 .csv 再导入',
    });
  });

  it('imports 20,000 rows (more than one INSERT can bind) in one transaction, and a second time changes nothing', async () => {
    await cli('station', 'add', '大名册e站', '--county', '演示旗');
    const file = join(dir, 'big.xlsx');
    await writeRosterXlsx(file, 20_000);
    const r = await cli('import', 'roster', file, '--station', '大名册e站');
    expect(r).toMatchObject({ code: 0, out: '已导入“大名册e站”名册：新增 20000 人，补充手机号 0 人，已存在 0 人' });
    const [{ n, names, phones }] = await db.ds.query(
      `SELECT count(*)::int AS n, count(DISTINCT i.name)::int AS names, count(DISTINCT i.phone)::int AS phones
         FROM informant i JOIN station s ON s.id = i.station_id WHERE s.name = '大名册e站'`,
    );
    expect({ n, names, phones }).toEqual({ n: 20_000, names: 20_000, phones: 20_000 });
    // Names read back exactly (no character broken at a chunk boundary of the streamed XML).
    const sample: Array<{ name: string; phone: string }> = await db.ds.query(
      `SELECT name, phone FROM informant WHERE phone = ANY($1::varchar[]) ORDER BY phone`,
      [[0, 4_321, 19_999].map((i) => rosterRow(i).phone)],
    );
    expect(sample).toEqual([0, 4_321, 19_999].map((i) => rosterRow(i)));
    const again = await cli('import', 'roster', file, '--station', '大名册e站');
    expect(again.out).toBe('已导入“大名册e站”名册：新增 0 人，补充手机号 0 人，已存在 20000 人');
  });

  it('a big file with bad rows imports nothing and lists the first 50 problems and the total, no good row', async () => {
    await cli('station', 'add', '坏名册e站', '--county', '演示旗');
    const bad = new Map<number, Array<string | number>>();
    for (let i = 100; i < 20_000; i += 160) bad.set(i, [`坏${i}`, rosterRow(i).phone, '']);
    const file = join(dir, 'big-bad.xlsx');
    await writeRosterXlsx(file, 20_000, bad);
    const r = await cli('import', 'roster', file, '--station', '坏名册e站');
    expect(r.code).toBe(1);
    const lines = r.err.split('\n');
    expect(lines[0]).toBe(`名册有 ${bad.size} 处问题，未导入任何一行（以下列出前 50 处）：`);
    expect(lines.filter((l) => /^ {2}第\d+行：/.test(l))).toHaveLength(50);
    expect(lines[1]).toBe('  第102行：姓名“坏100”含有数字或符号');
    expect(lines.at(-1)).toBe(`  ……另有 ${bad.size - 50} 处问题未列出，请修改后重新导入`);
    for (const i of [0, 99, 101, 19_999]) {
      expect(r.err).not.toContain(rosterRow(i).name);
      expect(r.err).not.toContain(rosterRow(i).phone);
    }
    const [{ n }] = await db.ds.query(
      `SELECT count(*)::int AS n FROM informant i JOIN station s ON s.id = i.station_id WHERE s.name = '坏名册e站'`,
    );
    expect(n).toBe(0);
  });
});
