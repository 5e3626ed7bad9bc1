import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { RosterSheetRow } from '../domain/roster';
import { UserError } from './group.service';

/**
 * Decodes a CSV file's bytes. Excel and WPS on Chinese Windows save CSV as GB18030 (ANSI) unless
 * told otherwise, so bytes that are not valid UTF-8 are read as GB18030.
 */
export function decodeCsv(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return new TextDecoder('gb18030').decode(bytes);
  }
}

export function parseRosterCsv(text: string): RosterSheetRow[] {
  const records = parse(text, {
    bom: true,
    info: true,
    relax_column_count: true,
    skip_empty_lines: true,
    trim: true,
  }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
  return records.map((r) => ({ line: r.info.lines, cells: r.record }));
}

/** Reads the first worksheet that has data; cells become the text Excel would display. */
export async function readRosterXlsx(path: string): Promise<RosterSheetRow[]> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(path);
  const sheet = wb.worksheets.find((ws) => ws.actualRowCount > 0);
  if (!sheet) return [];
  const rows: RosterSheetRow[] = [];
  sheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    const cells: string[] = [];
    for (let c = 1; c <= row.cellCount; c++) {
      const cell = row.getCell(c);
      const v = cell.value;
      // Phone numbers typed as numbers: take the digits, not Excel's display (1.38E+10).
      cells.push(typeof v === 'number' ? String(v) : (cell.text ?? ''));
    }
    rows.push({ line: rowNumber, cells });
  });
  return rows;
}

/** Reads a roster file (.xlsx or .csv) into rows of cell text. */
export async function readRosterFile(path: string): Promise<RosterSheetRow[]> {
  const ext = extname(path).toLowerCase();
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    throw new UserError(`读不到文件 ${path}`);
  }
  if (ext === '.csv' || ext === '.txt') return parseRosterCsv(decodeCsv(bytes));
  if (ext === '.xlsx') {
    try {
      return await readRosterXlsx(path);
    } catch (err) {
      throw new UserError(`无法读取 Excel 文件 ${path}：${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (ext === '.xls') throw new UserError('不支持旧版 .xls 文件，请在 Excel/WPS 中另存为 .xlsx 或 .csv 后再导入');
  throw new UserError(`不认识的文件类型“${ext || '无扩展名'}”：请使用 .xlsx 或 .csv`);
}
