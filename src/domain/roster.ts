/**
 * Rules for an informant roster as county staff keep it in Excel: a header row naming the
 * columns (姓名 required; 手机号 and 备注 optional, in any order, with common spellings), then one
 * informant per row. Pure: takes the cells as strings, returns the valid entries and every problem.
 */

export interface RosterSheetRow {
  /** 1-based line (spreadsheet row or CSV line) as the user sees it. */
  line: number;
  cells: string[];
}

export interface RosterEntry {
  line: number;
  name: string;
  phone: string | null;
  note: string | null;
}

export interface RosterProblem {
  line: number;
  reason: string;
}

export interface RosterCheck {
  entries: RosterEntry[];
  problems: RosterProblem[];
}

/** How many problems an import lists; the rest are only counted. */
export const LISTED_PROBLEMS = 50;

/** The most characters of a cell a problem quotes. */
export const QUOTED_CHARS = 20;

/** A cell as a problem quotes it: the first QUOTED_CHARS characters, then … when there is more. */
export function quoteCell(s: string): string {
  // Characters, not UTF-16 units; 2 units each at most, plus one to see that there is more.
  const chars = Array.from(s.slice(0, QUOTED_CHARS * 2 + 1));
  return chars.length > QUOTED_CHARS ? `${chars.slice(0, QUOTED_CHARS).join('')}…` : s;
}

/** One column of a roster file: what the import looks for, and what the template (名册模板.xlsx) writes. */
export interface RosterColumn {
  key: 'name' | 'phone' | 'note';
  /** The header the template writes (the first spelling the import accepts). */
  header: string;
  /** Every header the import accepts for this column (lower case; the header first). */
  aliases: readonly string[];
  required: boolean;
  /** The template's example row. */
  example: string;
  /** What the template's notes sheet says about the column. */
  hint: string;
}

/** The columns of a roster file, in the template's order: the one definition the import and the template read. */
export const ROSTER_COLUMNS: readonly RosterColumn[] = [
  {
    key: 'name',
    header: '姓名',
    aliases: ['姓名', '名字', '信息员姓名', '科普信息员', '信息员', 'name'],
    required: true,
    example: '张三',
    hint: '必填。汉字或字母，可含少数民族姓名的间隔号“·”，不能含数字',
  },
  {
    key: 'phone',
    header: '手机号',
    aliases: ['手机号', '手机', '手机号码', '联系电话', '电话', '联系方式', 'phone', 'mobile'],
    required: false,
    example: '13812345678',
    hint: '选填。11 位手机号码；名册中有同名的人时必填，用来区分',
  },
  {
    key: 'note',
    header: '备注',
    aliases: ['备注', '说明', 'note'],
    required: false,
    example: '示例行，导入前请删除',
    hint: '选填。最多 200 个字',
  },
];

const HEADER_ALIASES = Object.fromEntries(ROSTER_COLUMNS.map((c) => [c.key, c.aliases])) as Record<RosterColumn['key'], readonly string[]>;

const MAX_NAME = 64;
const MAX_NOTE = 200;
/** Chinese names, with the middle dot of minority names, or Latin names with spaces. */
const NAME_RE = /^[\p{Script=Han}A-Za-z·•．.\s]+$/u;
const MOBILE_RE = /^1[3-9]\d{9}$/;

function normaliseHeader(s: string): string {
  return s
    .replace(/[\s*＊（(].*$/u, '')
    .trim()
    .toLowerCase();
}

function findColumns(cells: string[]): { name: number; phone: number; note: number } | null {
  const heads = cells.map(normaliseHeader);
  const find = (aliases: readonly string[]) => heads.findIndex((h) => aliases.includes(h));
  const name = find(HEADER_ALIASES.name);
  if (name < 0) return null;
  return { name, phone: find(HEADER_ALIASES.phone), note: find(HEADER_ALIASES.note) };
}

/** Strips spaces, dashes and a +86 prefix; Excel may also have turned the number into 1.3812345678E10. */
export function normalisePhone(raw: string): string {
  let s = raw.replace(/[\s\-－()（）]/gu, '');
  if (/^\d+(\.0+)?$/.test(s)) s = s.replace(/\.0+$/, '');
  if (s.startsWith('+86')) s = s.slice(3);
  else if (s.startsWith('0086')) s = s.slice(4);
  return s;
}

/** Validates every row; the caller imports only when `problems` is empty. */
export function checkRoster(rows: RosterSheetRow[]): RosterCheck {
  const problems: RosterProblem[] = [];
  const entries: RosterEntry[] = [];
  const nonEmpty = rows.filter((r) => r.cells.some((c) => c.trim() !== ''));
  const headerIdx = nonEmpty.findIndex((r) => findColumns(r.cells) !== null);
  if (headerIdx < 0) {
    return {
      entries,
      problems: [{ line: nonEmpty[0]?.line ?? 1, reason: '找不到表头：第一行应有“姓名”列（可选“手机号”“备注”列）' }],
    };
  }
  const cols = findColumns(nonEmpty[headerIdx].cells)!;
  const seen = new Map<string, number>();
  const cell = (r: RosterSheetRow, i: number) => (i >= 0 ? (r.cells[i] ?? '').trim() : '');

  for (const row of nonEmpty.slice(headerIdx + 1)) {
    const name = cell(row, cols.name).replace(/\s+/gu, ' ');
    const phoneRaw = cell(row, cols.phone);
    const note = cell(row, cols.note);
    const before = problems.length;
    if (!name) problems.push({ line: row.line, reason: '姓名为空' });
    else if (name.length > MAX_NAME) problems.push({ line: row.line, reason: `姓名过长（最多 ${MAX_NAME} 个字）` });
    else if (!NAME_RE.test(name)) problems.push({ line: row.line, reason: `姓名“${quoteCell(name)}”含有数字或符号` });
    let phone: string | null = null;
    if (phoneRaw) {
      phone = normalisePhone(phoneRaw);
      if (!MOBILE_RE.test(phone)) {
        problems.push({ line: row.line, reason: `手机号“${quoteCell(phoneRaw)}”不是11位手机号码` });
      }
    }
    if (note.length > MAX_NOTE) problems.push({ line: row.line, reason: `备注过长（最多 ${MAX_NOTE} 个字）` });
    if (problems.length > before) continue;

    const key = `${name}\u0000${phone ?? ''}`;
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push({
        line: row.line,
        reason: phone ? `与第${first}行重复（同名同手机号）` : `与第${first}行同名，请填写手机号以区分`,
      });
      continue;
    }
    seen.set(key, row.line);
    entries.push({ line: row.line, name, phone, note: note || null });
  }
  // Same name once with and once without a phone: the one without cannot be told apart.
  const byName = new Map<string, RosterEntry[]>();
  for (const e of entries) {
    const group = byName.get(e.name);
    if (group) group.push(e);
    else byName.set(e.name, [e]);
  }
  for (const group of byName.values()) {
    if (group.length < 2) continue;
    for (const e of group.filter((x) => !x.phone)) {
      problems.push({ line: e.line, reason: `名册中有多位“${quoteCell(e.name)}”，请为每位填写手机号以区分` });
    }
  }
  if (entries.length === 0 && problems.length === 0) {
    problems.push({ line: nonEmpty[headerIdx].line, reason: '表头下面没有信息员' });
  }
  problems.sort((a, b) => a.line - b.line);
  return { entries, problems };
}

/** The Chinese name of an informant's status (the console's roster). */
export const INFORMANT_STATUS_LABEL: Record<'active' | 'disabled', string> = { active: '正常', disabled: '已停用' };
