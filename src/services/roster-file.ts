import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { RosterSheetRow } from '../domain/roster';
import { UserError } from '../errors';

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

async function* decodeUtf8(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  for await (const c of chunks) yield typeof c === 'string' ? c : decoder.write(c);
  const rest = decoder.end();
  if (rest) yield rest;
}

/**
 * ExcelJS's streaming reader decodes each inflated chunk of XML on its own, so a Chinese
 * character split across two chunks becomes U+FFFD (exceljs issues #2063, #2316; the fix, PR
 * #1665, is unreleased). This reader hands ExcelJS text decoded across chunk boundaries instead:
 * its XML parser passes strings through untouched.
 */
class Utf8WorkbookReader extends ExcelJS.stream.xlsx.WorkbookReader {
  constructor(input: string | Readable, options: Partial<ExcelJS.stream.xlsx.WorkbookStreamReaderOptions>) {
    super(input, options);
    const self = this as unknown as {
      _parseSharedStrings: (entry: Readable) => AsyncGenerator<unknown>;
      _parseWorksheet: (iterator: AsyncIterable<Buffer | string>, sheetNo: string) => Generator<unknown>;
    };
    const sharedStrings = self._parseSharedStrings.bind(this);
    const worksheet = self._parseWorksheet.bind(this);
    self._parseSharedStrings = (entry) => {
      const text = entry.pipe(new PassThrough());
      text.setEncoding('utf8');
      return sharedStrings(text);
    };
    self._parseWorksheet = (iterator, sheetNo) => worksheet(decodeUtf8(iterator), sheetNo);
  }
}

/** The most rows a roster file may have (a county's whole roster is a few tens of thousands). */
export const ROSTER_MAX_ROWS = 200_000;
/** Cells read per row: a roster has a handful of columns; the rest of a very wide row is ignored. */
export const ROSTER_MAX_COLUMNS = 50;

const tooManyRows = (): UserError =>
  new UserError(`名册超过 ${ROSTER_MAX_ROWS.toLocaleString('en-US')} 行，请分成几个文件导入（例如每个e站一个文件）`);

/** A roster file as uploaded: its bytes, and its name, whose extension (.xlsx or .csv) says how to read it. */
export interface RosterFile {
  bytes: Buffer;
  fileName: string;
}

/**
 * Reads the first worksheet that has data, streaming (ExcelJS's WorkbookReader), so a 100,000-row
 * file never becomes a whole workbook in memory; cells become the text Excel would display.
 */
export async function readRosterXlsx(input: string | Buffer): Promise<RosterSheetRow[]> {
  // A Buffer is one chunk of a stream (Readable.from does not split a Buffer).
  const source = typeof input === 'string' ? input : Readable.from([input]);
  const reader = new Utf8WorkbookReader(source, {
    worksheets: 'emit',
    sharedStrings: 'cache',
    styles: 'cache',
    hyperlinks: 'ignore',
    entries: 'emit',
  });
  for await (const sheet of reader) {
    const rows: RosterSheetRow[] = [];
    for await (const row of sheet) {
      if (!row.hasValues) continue;
      if (rows.length >= ROSTER_MAX_ROWS) throw tooManyRows();
      const cells: string[] = [];
      for (let c = 1; c <= Math.min(row.cellCount, ROSTER_MAX_COLUMNS); c++) {
        const cell = row.getCell(c);
        const v = cell.value;
        // Phone numbers typed as numbers: take the digits, not Excel's display (1.38E+10).
        cells.push(typeof v === 'number' ? String(v) : (cell.text ?? ''));
      }
      rows.push({ line: row.number, cells });
    }
    if (rows.length > 0) return rows;
  }
  return [];
}

/**
 * Reads a roster file's bytes (.xlsx or .csv, as its name says) into rows of cell text: the one
 * reader behind both `kepubot import roster` and the console's upload.
 */
export async function readRosterBytes(file: RosterFile): Promise<RosterSheetRow[]> {
  const ext = extname(file.fileName).toLowerCase();
  if (ext === '.csv' || ext === '.txt') {
    const rows = parseRosterCsv(decodeCsv(file.bytes));
    if (rows.length > ROSTER_MAX_ROWS) throw tooManyRows();
    return rows.map((r) => (r.cells.length > ROSTER_MAX_COLUMNS ? { ...r, cells: r.cells.slice(0, ROSTER_MAX_COLUMNS) } : r));
  }
  if (ext === '.xlsx') {
    try {
      return await readRosterXlsx(file.bytes);
    } catch (err) {
      if (err instanceof UserError) throw err;
      throw new UserError(`无法读取 Excel 文件 ${basename(file.fileName)}：${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (ext === '.xls') throw new UserError('不支持旧版 .xls 文件，请在 Excel/WPS 中另存为 .xlsx 或 .csv 后再导入');
  throw new UserError(`不认识的文件类型“${ext || '无扩展名'}”：请使用 .xlsx 或 .csv`);
}

/** Reads a roster file (.xlsx or .csv) from disk into rows of cell text. */
export async function readRosterFile(path: string): Promise<RosterSheetRow[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    throw new UserError(`读不到文件 ${path}`);
  }
  return readRosterBytes({ bytes, fileName: path });
}
