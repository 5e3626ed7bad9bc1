import ExcelJS from 'exceljs';
import { ROSTER_COLUMNS } from '../domain/roster';

/** The template's file name, as the console downloads it and the CLI suggests it. */
export const ROSTER_TEMPLATE_NAME = '名册模板.xlsx';

/**
 * 名册模板.xlsx: the columns the roster import reads (ROSTER_COLUMNS, the same definition the
 * import uses), one example row, and a second sheet saying what goes in each column. Cells are
 * text, so Excel keeps a phone number as typed instead of turning it into 1.38E+10.
 */
export async function rosterTemplate(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'kepubot';
  const sheet = wb.addWorksheet('名册', { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = ROSTER_COLUMNS.map((c) => ({ header: c.header, key: c.key, width: c.key === 'note' ? 30 : 16, style: { numFmt: '@' } }));
  sheet.getRow(1).font = { bold: true };
  sheet.addRow(Object.fromEntries(ROSTER_COLUMNS.map((c) => [c.key, c.example])));
  const notes = wb.addWorksheet('填写说明');
  notes.columns = [
    { header: '列', key: 'header', width: 12 },
    { header: '是否必填', key: 'required', width: 10 },
    { header: '说明', key: 'hint', width: 70 },
  ];
  notes.getRow(1).font = { bold: true };
  for (const c of ROSTER_COLUMNS) notes.addRow({ header: c.header, required: c.required ? '必填' : '选填', hint: c.hint });
  notes.addRow({});
  notes.addRow({ hint: '第 1 行是表头，列的顺序不限；从第 2 行起每行一位信息员。第 2 行是示例，导入前请删除或改成真实信息员。' });
  notes.addRow({
    hint: '只要有一行有问题（姓名为空、含数字、手机号不是 11 位、同名没有手机号区分、重复行），一行也不导入，并列出每一处问题。',
  });
  return Buffer.from(await wb.xlsx.writeBuffer());
}
