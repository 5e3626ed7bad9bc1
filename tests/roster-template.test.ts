import ExcelJS from 'exceljs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../src/cli';
import { createTestDatabase, type TestDatabase } from './support/db';

/** 名册模板.xlsx from `kepubot roster template`, imported back through `kepubot import roster`. */
describe('the roster template', () => {
  let db: TestDatabase;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(path.join(os.tmpdir(), 'kepubot-template-'));
    env = { DATABASE_URL: db.url, LOG_LEVEL: 'silent' };
  });
  afterAll(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function cli(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, env, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it('has the columns the import expects and an example row that imports as one valid entry', async () => {
    const file = path.join(dir, '名册模板.xlsx');
    const made = await cli('roster', 'template', '--out', file);
    expect(made).toMatchObject({ code: 0, err: '' });
    expect(made.out).toContain(`已生成 ${file}`);

    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(file);
    const sheet = wb.worksheets[0];
    expect(sheet.getRow(1).values).toEqual([undefined, '姓名', '手机号', '备注']);
    expect(sheet.getRow(2).values).toEqual([undefined, '张三', '13812345678', '示例行，导入前请删除']);
    // Text cells: Excel keeps the phone number as typed.
    expect(sheet.getCell('B2').numFmt).toBe('@');
    expect(sheet.rowCount).toBe(2);

    expect((await cli('station', 'add', '模板e站', '--county', '模板旗')).code).toBe(0);
    const imported = await cli('import', 'roster', file, '--station', '模板e站');
    expect(imported.err).toBe('');
    expect(imported.out).toBe('已导入“模板e站”名册：新增 1 人，补充手机号 0 人，已存在 0 人');
    expect(await db.ds.query(`SELECT name, phone, note FROM informant`)).toEqual([
      { name: '张三', phone: '13812345678', note: '示例行，导入前请删除' },
    ]);
  });

  it('says so when the file cannot be written', async () => {
    const r = await cli('roster', 'template', '--out', path.join(dir, 'no-such-dir', 'x.xlsx'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('写不进');
  });
});
