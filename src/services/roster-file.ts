import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { basename, extname } from 'node:path';
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import type { RosterSheetRow } from '../domain/roster';
import { UserError } from '../errors';

const MiB = 1024 * 1024;

/**
 * What one roster file may be, checked before and while it is read, so that a hostile file is
 * refused in seconds instead of filling the server's memory (README「导入名册」). A county's
 * whole roster (200,000 rows, three columns) is about 5 MiB as .xlsx, with a 33 MiB worksheet and
 * 8 MiB of shared strings unzipped.
 */
export const ROSTER_LIMITS = {
  /** The file as uploaded or read from disk. */
  bytes: 10 * MiB,
  /** Rows of the worksheet or lines of the CSV, empty ones included. */
  rows: 200_000,
  /** Cells read per row; the rest of a very wide row is ignored. */
  columns: 50,
  /** Characters in one cell (Excel's own limit), and in one CSV line. */
  cellChars: 32_767,
  /** Parts (files) in the .xlsx zip. */
  zipEntries: 1_000,
  /** All parts unzipped, as the zip's central directory declares them (the declaration is checked while unzipping). */
  unzippedBytes: 256 * MiB,
  /** One worksheet unzipped. */
  sheetBytes: 128 * MiB,
  /** The shared-strings part unzipped, and the strings in it. */
  sharedStringsBytes: 64 * MiB,
  sharedStrings: 1_000_000,
  /** The workbook and relationship parts unzipped. */
  indexBytes: 4 * MiB,
} as const;

/** At most `max` characters of a library's error message (it may quote the file). */
const cut = (s: string, max = 80): string => (s.length > max ? `${s.slice(0, max)}…` : s);

const count = (n: number): string => n.toLocaleString('en-US');
const mib = (n: number): string => `${Math.round(n / MiB)} MB`;

const tooManyRows = (): UserError =>
  new UserError(`名册超过 ${count(ROSTER_LIMITS.rows)} 行（空行也计算在内），请分成几个文件导入（例如每个e站一个文件）`);
const cellTooLong = (where: string): UserError =>
  new UserError(`${where}超过 ${count(ROSTER_LIMITS.cellChars)} 个字符（Excel 单元格的上限），请检查文件后重新导入`);
const tooBig = (what: string, limit: string): UserError =>
  new UserError(`名册文件${what}超过 ${limit}，不像是名册：请只保留信息员名单（姓名、手机号、备注）后另存为 .xlsx 或 .csv 再导入`);

/** Refuses a roster file of `size` bytes before it is read: the one check of its size (upload, CLI, worker). */
export function checkRosterSize(size: number): void {
  if (size > ROSTER_LIMITS.bytes) {
    throw new UserError(`名册文件超过 ${mib(ROSTER_LIMITS.bytes)}，请只保留信息员名单（姓名、手机号、备注）后再导入`);
  }
}

/** A roster file as uploaded: its bytes, and its name, whose extension (.xlsx or .csv) says how to read it. */
export interface RosterFile {
  bytes: Buffer;
  fileName: string;
}

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

/**
 * Parses CSV text into rows: csv-parse stops at the first line past the row limit (empty lines
 * count: they are parsed as records and dropped here) and at a line longer than a cell may be, so
 * a file of millions of tiny rows costs no more than the limit; cells past the column limit are
 * dropped as each record arrives.
 */
export function parseRosterCsv(text: string): RosterSheetRow[] {
  const rows: RosterSheetRow[] = [];
  let past = false;
  try {
    parse(text, {
      bom: true,
      relax_column_count: true,
      trim: true,
      to_line: ROSTER_LIMITS.rows + 1,
      max_record_size: ROSTER_LIMITS.cellChars,
      on_record: (record, { lines }) => {
        if (lines > ROSTER_LIMITS.rows) past = true;
        else if (record.some((c) => c !== '')) {
          rows.push({ line: lines, cells: record.length > ROSTER_LIMITS.columns ? record.slice(0, ROSTER_LIMITS.columns) : record });
        }
        return null;
      },
    });
  } catch (err) {
    const e = err as { code?: string; lines?: number };
    if (e.code === 'CSV_MAX_RECORD_SIZE') throw cellTooLong(`第${e.lines ?? '?'}行`);
    throw new UserError(`无法读取 CSV 文件：第${e.lines ?? '?'}行格式有误（例如引号没有成对），请用 Excel 或 WPS 另存后重新导入`);
  }
  if (past) throw tooManyRows();
  return rows;
}

/** Which parts of an .xlsx are read, and how big each may be unzipped. */
function partLimit(name: string): number | null {
  if (name === 'xl/sharedStrings.xml') return ROSTER_LIMITS.sharedStringsBytes;
  if (/^xl\/worksheets\/[^/]+\.xml$/.test(name)) return ROSTER_LIMITS.sheetBytes;
  if (name === 'xl/workbook.xml' || name === 'xl/_rels/workbook.xml.rels') return ROSTER_LIMITS.indexBytes;
  return null;
}

/** ExcelJS's streaming reader, as far as this module drives it (its part parsers are not in its typings). */
interface ReaderParts {
  sharedStrings?: unknown[];
  workbookRels?: Array<{ Id: string; Target: string }>;
  model?: { sheets?: Array<{ rId: string }> };
  _parseRels(entry: Readable): Promise<void>;
  _parseWorkbook(entry: Readable): Promise<void>;
  _parseSharedStrings(entry: Readable): AsyncGenerator<{ text: unknown }>;
  _parseWorksheet(entry: Readable, sheetNo: string): Generator<{ eventType: string; value: unknown }>;
}

/** A shared string as cell text: rich text is its runs' text joined. */
function plainText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && 'richText' in v) {
    return (v as { richText: Array<{ text?: string | null }> }).richText.map((r) => r.text ?? '').join('');
  }
  return '';
}

/**
 * ExcelJS's streaming workbook reader, fed from the zip's central directory (yauzl) instead of
 * from the zip's local headers: the parts and their unzipped sizes are known and checked before
 * anything is unzipped, yauzl stops a part whose data inflates past its declared size, and the
 * shared strings are cached only up to their limit. Parts are handed over as UTF-8 text decoded
 * across chunk boundaries (ExcelJS decodes each chunk alone and breaks a Chinese character split
 * between two: exceljs issues #2063, #2316).
 */
class BoundedWorkbookReader extends ExcelJS.stream.xlsx.WorkbookReader {
  private readonly open = new Set<Readable>();
  /** The part being read (named when it turns out broken). */
  reading: string | null = null;

  constructor(
    private readonly zip: yauzl.ZipFile,
    private readonly parts: Map<string, yauzl.Entry>,
  ) {
    // The input is read by parse() below, from the zip the constructor is given.
    super('', { worksheets: 'emit', sharedStrings: 'emit', styles: 'ignore', hyperlinks: 'ignore', entries: 'ignore' });
  }

  private async part(name: string): Promise<Readable | null> {
    const entry = this.parts.get(name);
    if (!entry) return null;
    this.reading = name;
    const stream = await this.zip.openReadStreamPromise(entry);
    stream.setEncoding('utf8');
    this.open.add(stream);
    stream.once('close', () => this.open.delete(stream));
    return stream;
  }

  private async readSharedStrings(self: ReaderParts): Promise<void> {
    const strings: string[] = [];
    self.sharedStrings = strings;
    const stream = await this.part('xl/sharedStrings.xml');
    if (!stream) return;
    for await (const { text } of self._parseSharedStrings(stream)) {
      if (strings.length >= ROSTER_LIMITS.sharedStrings)
        throw tooBig('中的不同文字（共享字符串）', `${count(ROSTER_LIMITS.sharedStrings)} 个`);
      const s = plainText(text);
      if (s.length > ROSTER_LIMITS.cellChars) throw cellTooLong('文件中有单元格');
      strings.push(s);
    }
  }

  /** The worksheets in the workbook's order (the first tab first), or in the zip's when the workbook part says nothing. */
  private sheetParts(self: ReaderParts): string[] {
    const sheets = [...this.parts.keys()].filter((n) => /^xl\/worksheets\/[^/]+\.xml$/.test(n));
    const ordered = (self.model?.sheets ?? [])
      .map((s) => self.workbookRels?.find((r) => r.Id === s.rId)?.Target)
      .filter((t): t is string => typeof t === 'string')
      .map((t) => (t.startsWith('/') ? t.slice(1) : `xl/${t}`))
      .filter((n) => this.parts.has(n));
    return [...new Set([...ordered, ...sheets])];
  }

  override async *parse(): AsyncGenerator<{ eventType: string; value: unknown }> {
    const self = this as unknown as ReaderParts;
    try {
      const rels = await this.part('xl/_rels/workbook.xml.rels');
      if (rels) await self._parseRels(rels);
      const workbook = await this.part('xl/workbook.xml');
      if (workbook) await self._parseWorkbook(workbook);
      await this.readSharedStrings(self);
      for (const name of this.sheetParts(self)) {
        const stream = await this.part(name);
        if (stream) yield* self._parseWorksheet(stream, /(\d+)\.xml$/.exec(name)?.[1] ?? '1');
      }
    } finally {
      for (const s of this.open) s.destroy();
    }
  }
}

/** Opens an .xlsx zip from its central directory and checks every bound that the directory declares. */
async function openXlsx(bytes: Buffer): Promise<{ zip: yauzl.ZipFile; parts: Map<string, yauzl.Entry> }> {
  const zip = await yauzl.fromBufferPromise(bytes, { lazyEntries: true, validateEntrySizes: true });
  if (zip.entryCount > ROSTER_LIMITS.zipEntries) throw tooBig('包含的部件', `${count(ROSTER_LIMITS.zipEntries)} 个`);
  const parts = new Map<string, yauzl.Entry>();
  let unzipped = 0;
  for await (const entry of zip.eachEntry()) {
    const limit = partLimit(entry.fileName);
    if (limit !== null && entry.uncompressedSize > limit) {
      const what = entry.fileName === 'xl/sharedStrings.xml' ? '中的文字（共享字符串）解压后' : `中的 ${cut(entry.fileName, 40)} 解压后`;
      throw tooBig(what, mib(limit));
    }
    unzipped += entry.uncompressedSize;
    if (unzipped > ROSTER_LIMITS.unzippedBytes) throw tooBig('解压后', mib(ROSTER_LIMITS.unzippedBytes));
    if (limit !== null) parts.set(entry.fileName, entry);
  }
  return { zip, parts };
}

/**
 * Reads the first worksheet that has data, streaming, within ROSTER_LIMITS: every row counts
 * against the row limit (empty ones too), cells past the column limit are not read, and a cell
 * longer than Excel allows refuses the file. Cells become their text; phone numbers typed as
 * numbers become their digits, not Excel's display (1.38E+10).
 */
export async function readRosterXlsx(bytes: Buffer, fileName: string): Promise<RosterSheetRow[]> {
  let reader: BoundedWorkbookReader | null = null;
  try {
    const { zip, parts } = await openXlsx(bytes);
    reader = new BoundedWorkbookReader(zip, parts);
    for await (const sheet of reader) {
      const rows: RosterSheetRow[] = [];
      let seen = 0;
      for await (const row of sheet) {
        if (++seen > ROSTER_LIMITS.rows) throw tooManyRows();
        if (!row.hasValues) continue;
        const cells: string[] = [];
        for (let c = 1; c <= Math.min(row.cellCount, ROSTER_LIMITS.columns); c++) {
          const cell = row.getCell(c);
          const v = cell.value;
          const text = typeof v === 'number' ? String(v) : (cell.text ?? '');
          if (text.length > ROSTER_LIMITS.cellChars) throw cellTooLong(`第${row.number}行第${c}列的单元格`);
          cells.push(text);
        }
        rows.push({ line: row.number, cells });
      }
      if (rows.length > 0) return rows;
    }
    return [];
  } catch (err) {
    if (err instanceof UserError) throw err;
    // A zip or XML error, or a part that unzips to more than the directory declares.
    const part = reader?.reading ? `其中的 ${reader.reading} 已损坏：` : '';
    throw new UserError(
      `无法读取 Excel 文件 ${cut(basename(fileName), 40)}：${part}${cut(err instanceof Error ? err.message : String(err))}`,
    );
  }
}

/**
 * Reads a roster file's bytes (.xlsx or .csv, as its name says) into rows of cell text, within
 * ROSTER_LIMITS. Synchronous work on the calling thread: the server and the CLI call it through
 * readRosterInWorker() (roster-worker.ts).
 */
export async function readRosterBytes(file: RosterFile): Promise<RosterSheetRow[]> {
  checkRosterSize(file.bytes.length);
  const ext = extname(file.fileName).toLowerCase();
  if (ext === '.csv' || ext === '.txt') return parseRosterCsv(decodeCsv(file.bytes));
  if (ext === '.xlsx') return readRosterXlsx(file.bytes, file.fileName);
  if (ext === '.xls') throw new UserError('不支持旧版 .xls 文件，请在 Excel/WPS 中另存为 .xlsx 或 .csv 后再导入');
  throw new UserError(`不认识的文件类型“${cut(ext, 20) || '无扩展名'}”：请使用 .xlsx 或 .csv`);
}
