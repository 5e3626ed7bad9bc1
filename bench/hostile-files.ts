/**
 * Hostile roster files, made with a zip library (yazl) the way an attacker would make them: the
 * bench's hostile-upload part and the upload tests share them. Each is a valid .xlsx (or CSV) as
 * far as the format goes; what makes it hostile is its size once unzipped, its number of shared
 * strings, or a cell that its bad rows repeat.
 */
import { Readable } from 'node:stream';
import yazl from 'yazl';

const CONTENT_TYPES = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`;
const ROOT_RELS = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`;
const WORKBOOK = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="名册" sheetId="1" r:id="rId1"/></sheets></workbook>`;
const WORKBOOK_RELS = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`;

/** A part's text: a string, or chunks generated as the zip is written (for parts of hundreds of MB). */
export type PartText = string | (() => Iterable<string>);

/** Zips the parts (deflated), the way Excel does; `extra` adds more parts (e.g. a bomb in xl/media/). */
export async function zipXlsx(sheet: PartText, sharedStrings: PartText, extra: Record<string, PartText> = {}): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  const add = (name: string, text: PartText): void => {
    if (typeof text === 'string') zip.addBuffer(Buffer.from(text), name);
    else zip.addReadStream(Readable.from(text(), { objectMode: false }), name);
  };
  add('[Content_Types].xml', CONTENT_TYPES);
  add('_rels/.rels', ROOT_RELS);
  add('xl/workbook.xml', WORKBOOK);
  add('xl/_rels/workbook.xml.rels', WORKBOOK_RELS);
  add('xl/worksheets/sheet1.xml', sheet);
  add('xl/sharedStrings.xml', sharedStrings);
  for (const [name, text] of Object.entries(extra)) add(name, text);
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream as Readable) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const xmlText = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A worksheet part: each row's cells, a number n meaning shared string n, a string an inline string. */
export function sheetXml(rows: Array<Array<number | string>>): string {
  const col = (i: number): string => String.fromCharCode(65 + i);
  const body = rows
    .map((cells, r) => {
      const cs = cells
        .map((v, i) =>
          typeof v === 'number'
            ? `<c r="${col(i)}${r + 1}" t="s"><v>${v}</v></c>`
            : `<c r="${col(i)}${r + 1}" t="inlineStr"><is><t>${xmlText(v)}</t></is></c>`,
        )
        .join('');
      return `<row r="${r + 1}">${cs}</row>`;
    })
    .join('');
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${body}</sheetData></worksheet>`;
}

const SST_HEAD = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`;

/** A shared-strings part listing `strings`. */
export function sharedStringsXml(strings: string[]): string {
  return `${SST_HEAD}${strings.map((s) => `<si><t>${xmlText(s)}</t></si>`).join('')}</sst>`;
}

/** A header and three good rows, whose strings are the first shared strings. */
const GOOD_STRINGS = ['姓名', '手机号', '张三', '李四', '王五'];
const GOOD_ROWS: Array<Array<number | string>> = [
  [0, 1],
  [2, '13800000001'],
  [3, '13800000002'],
  [4, '13800000003'],
];

/**
 * An .xlsx whose shared-strings part has `count` strings: the few a small roster uses, then the
 * same one-character string over and over, which deflates like the attacker's file (issue 14:
 * 30 M strings in 1.3 MB, 150 M in 6.5 MB).
 */
export function manySharedStringsXlsx(count: number): Promise<Buffer> {
  const chunks = function* (): Iterable<string> {
    yield SST_HEAD;
    yield GOOD_STRINGS.map((s) => `<si><t>${s}</t></si>`).join('');
    const batch = '<si><t>0</t></si>'.repeat(10_000);
    let left = count - GOOD_STRINGS.length;
    for (; left >= 10_000; left -= 10_000) yield batch;
    yield '<si><t>0</t></si>'.repeat(Math.max(0, left));
    yield '</sst>';
  };
  return zipXlsx(sheetXml(GOOD_ROWS), chunks);
}

/** `size` bytes of `fill` (one ASCII character) after `head`: deflates about a thousand times (a classic zip bomb). */
export const filler = (size: number, fill = '\0', head = ''): (() => Iterable<string>) =>
  function* () {
    yield head;
    const chunk = fill.repeat(1024 * 1024);
    for (let left = size; left > 0; left -= chunk.length) yield left >= chunk.length ? chunk : chunk.slice(0, left);
  };

/** A worksheet that opens and then goes on with `size` bytes of spaces (valid XML as far as it goes). */
export const spacesSheet = (size: number): (() => Iterable<string>) =>
  filler(
    size,
    ' ',
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>',
  );

/** A good small roster with a bomb of `size` unzipped bytes beside it (a part nobody reads). */
export function bombXlsx(size: number): Promise<Buffer> {
  return zipXlsx(sheetXml(GOOD_ROWS), sharedStringsXml(GOOD_STRINGS), { 'xl/media/image1.bin': filler(size) });
}

/**
 * An .xlsx of `rows` informants whose phone is one shared string of `cellChars` characters: every
 * row is bad, and each bad row's message would repeat the cell (issue 14's 10.7 KB file: 1,000
 * rows, 200,000 characters).
 */
export function hugeCellXlsx(rows: number, cellChars: number): Promise<Buffer> {
  const names = Array.from({ length: rows }, (_, i) => `信息员${String.fromCharCode(0x4e00 + i)}`);
  const strings = ['姓名', '手机号', '1'.repeat(cellChars), ...names];
  const sheet: Array<Array<number | string>> = [[0, 1], ...names.map((_, i) => [3 + i, 2])];
  return zipXlsx(sheetXml(sheet), sharedStringsXml(strings));
}

/** A CSV of a header and `rows` one-character rows (issue 14: 5 M rows, 10 MB). */
export function manyRowsCsv(rows: number): Buffer {
  return Buffer.from(`姓名\n${'x\n'.repeat(rows)}`);
}

/**
 * Rewrites the uncompressed size that the zip's central directory declares for `part` (a zip
 * whose directory lies). Only the directory: what is stored is unchanged.
 */
export function declareSize(zip: Buffer, part: string, size: number): Buffer {
  const out = Buffer.from(zip);
  const name = Buffer.from(part);
  for (let at = out.indexOf('PK\x01\x02'); at >= 0; at = out.indexOf('PK\x01\x02', at + 4)) {
    const nameLength = out.readUInt16LE(at + 28);
    if (nameLength === name.length && out.subarray(at + 46, at + 46 + nameLength).equals(name)) {
      out.writeUInt32LE(size, at + 24);
      return out;
    }
  }
  throw new Error(`${part} is not in the zip`);
}
