/**
 * The grammar of station managers' commands, the same for every channel (WeCom app, Official
 * Account, private WeChat chat). Pure: text in, a typed command or a Chinese error with a
 * correct example out. Dates are resolved against `today` (Asia/Shanghai).
 */
import { closest, distance } from 'fastest-levenshtein';
import { daysBefore, chineseDayLabel, dayFromParts, yearMonthOf, type DayKey } from './calendar';

export const MAX_PARTICIPANTS = 100_000;

/** Activity types of the station's monthly report. */
export const ACTIVITY_TYPES = ['讲座', '培训', '展览', '咨询', '竞赛', '其他'] as const;
export type ActivityType = (typeof ACTIVITY_TYPES)[number];

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(error: string): Parsed<T> => ({ ok: false, error });

export const EXAMPLES = {
  activity: '活动 11月20日 讲座 冬季防火知识 65人 文化站',
  correct: '修改 12 人数 70',
  withdraw: '撤销 12',
  addInformant: '添加信息员 张三 13812345678',
  disableInformant: '停用信息员 张三',
  confirm: '确认 1 张三',
  bulletin: '宣传栏 更换 冬季防火',
  screen: '大屏 5小时',
  month: '本月',
};

/**
 * The nearest of the command words to an unknown one, when it is close enough to be a slip.
 * `words` are the commands the bot-scripts declare (src/bot/script-loader.ts commandWords).
 */
export function suggestCommand(text: string, words: readonly string[]): string | null {
  const word = text.trim().split(/\s+/)[0] ?? '';
  if (!word || words.length === 0) return null;
  const prefix = words.filter((w) => word.startsWith(w) || w.startsWith(word)).sort((a, b) => b.length - a.length)[0];
  if (prefix) return prefix;
  const best = closest(word, [...words]);
  return distance(word, best) <= Math.max(1, Math.floor(best.length / 2)) ? best : null;
}

// ---------------------------------------------------------------------------------------------
// Dates

const CN_DIGITS: Record<string, number> = {
  〇: 0,
  零: 0,
  一: 1,
  二: 2,
  两: 2,
  三: 3,
  四: 4,
  五: 5,
  六: 6,
  七: 7,
  八: 8,
  九: 9,
  十: 10,
  百: 100,
  千: 1000,
  万: 10000,
};

/** Whether a token looks like a date (so a malformed date is reported as such, not as a title). */
export function looksLikeDate(token: string): boolean {
  return /^(今天|昨天|前天|\d{4}[-/.年]\d{1,2}([-/.月]\d{1,2}[日号]?)?|\d{1,2}月\d{1,2}[日号]?|\d{1,2}[-/.]\d{1,2})$/.test(token);
}

/** Parses 今天 / 昨天 / 前天 / 11月20日 / 11月20号 / 2026-11-20 / 2026/11/20 / 2026年11月20日 / 11-20. */
export function parseDay(token: string, today: DayKey): Parsed<DayKey> {
  if (token === '今天') return ok(today);
  if (token === '昨天') return ok(daysBefore(today, 1));
  if (token === '前天') return ok(daysBefore(today, 2));
  let y: number | null = null;
  let m: number;
  let d: number;
  const full = token.match(/^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})[日号]?$/);
  const short = token.match(/^(\d{1,2})(?:月|[-/.])(\d{1,2})[日号]?$/);
  if (full) {
    [y, m, d] = [Number(full[1]), Number(full[2]), Number(full[3])];
  } else if (short) {
    [m, d] = [Number(short[1]), Number(short[2])];
  } else {
    return fail(`看不懂日期“${token}”。日期可以写：今天、昨天、11月20日 或 2026-11-20`);
  }
  const now = yearMonthOf(today);
  // Without a year: this year; a month far ahead (12月 typed in January) means last year's.
  const year = y ?? (m - now.month > 6 ? now.year - 1 : now.year);
  const day = dayFromParts(year, m, d);
  if (!day) return fail(`日期“${token}”不存在（${m}月没有${d}日），请检查后重发`);
  if (day > today) return fail(`日期“${token}”还没到，只能记录今天及以前的活动`);
  return ok(day);
}

// ---------------------------------------------------------------------------------------------
// Participants

export function parseParticipants(token: string): Parsed<number> | null {
  const m = token.match(/^(.+?)(人|名)$/);
  if (!m) return null;
  const raw = m[1].trim();
  if (!/^\d+$/.test(raw)) {
    const cn = [...raw].every((c) => c in CN_DIGITS) ? null : raw;
    return fail(`参加人数“${token}”应为正整数，例如 65人${cn === null ? '（请用阿拉伯数字）' : ''}`);
  }
  const n = Number(raw);
  if (n <= 0) return fail(`参加人数应大于 0，例如 65人`);
  if (n > MAX_PARTICIPANTS) return fail(`参加人数 ${n} 太多了（超过 ${MAX_PARTICIPANTS}），请检查后重发`);
  return ok(n);
}

// ---------------------------------------------------------------------------------------------
// 活动

export interface ActivityInput {
  date: DayKey;
  type: ActivityType;
  title: string;
  participants: number;
  place: string | null;
}

const ACTIVITY_USAGE = `请按格式发送：活动 日期 类型 标题 人数 地点，例如：\n${EXAMPLES.activity}\n（日期默认今天，类型为 ${ACTIVITY_TYPES.join('、')}，默认“其他”；地点可省略）`;

/** `活动 [日期] [类型] 标题 N人 [地点]`: the words after 活动. */
export function parseActivity(args: string, today: DayKey): Parsed<ActivityInput> {
  const tokens = args.trim().split(/\s+/).filter(Boolean);
  if (tokens.length === 0) return fail(`缺少活动内容。${ACTIVITY_USAGE}`);
  let date: DayKey | null = null;
  let type: ActivityType | null = null;
  let participants: number | null = null;
  const before: string[] = [];
  const after: string[] = [];
  for (const t of tokens) {
    const p = parseParticipants(t);
    if (p) {
      if (!p.ok) return fail(`${p.error}\n${ACTIVITY_USAGE}`);
      if (participants !== null) return fail(`人数写了两次。${ACTIVITY_USAGE}`);
      participants = p.value;
      continue;
    }
    if (date === null && type === null && before.length === 0 && participants === null && looksLikeDate(t)) {
      const d = parseDay(t, today);
      if (!d.ok) return fail(d.error);
      date = d.value;
      continue;
    }
    if (type === null && before.length === 0 && participants === null && (ACTIVITY_TYPES as readonly string[]).includes(t)) {
      type = t as ActivityType;
      continue;
    }
    (participants === null ? before : after).push(t);
  }
  if (participants === null) return fail(`缺少参加人数（例如 65人）。${ACTIVITY_USAGE}`);
  if (before.length === 0) return fail(`缺少活动标题。${ACTIVITY_USAGE}`);
  const title = before.join(' ');
  if (title.length > 200) return fail('活动标题太长（最多 200 字）');
  const place = after.join(' ') || null;
  if (place && place.length > 200) return fail('地点太长（最多 200 字）');
  return ok({ date: date ?? today, type: type ?? '其他', title, participants, place });
}

export function describeActivity(a: ActivityInput): string {
  return `${chineseDayLabel(a.date)} ${a.type}「${a.title}」${a.participants}人${a.place ? `，地点：${a.place}` : ''}`;
}

// ---------------------------------------------------------------------------------------------
// 修改 / 撤销

export type CorrectionField = 'participants' | 'date' | 'type' | 'title' | 'place';
const FIELD_WORDS: Record<string, CorrectionField> = {
  人数: 'participants',
  参加人数: 'participants',
  日期: 'date',
  时间: 'date',
  类型: 'type',
  标题: 'title',
  主题: 'title',
  名称: 'title',
  地点: 'place',
};

export interface Correction {
  id: number;
  field: CorrectionField;
  value: number | string | null;
}

const CORRECT_USAGE = `请按格式发送：修改 编号 项目 新内容，例如：${EXAMPLES.correct}（项目：人数、日期、类型、标题、地点）`;

export function parseRecordId(token: string | undefined, usage: string): Parsed<number> {
  if (!token) return fail(`缺少记录编号。${usage}`);
  const m = token.match(/^[#＃]?(\d{1,9})$/);
  if (!m) return fail(`记录编号“${token}”应为数字。${usage}`);
  return ok(Number(m[1]));
}

export function parseCorrection(args: string, today: DayKey): Parsed<Correction> {
  const [idToken, fieldToken, ...rest] = args.trim().split(/\s+/).filter(Boolean);
  const id = parseRecordId(idToken, CORRECT_USAGE);
  if (!id.ok) return fail(id.error);
  const field = fieldToken && Object.hasOwn(FIELD_WORDS, fieldToken) ? FIELD_WORDS[fieldToken] : undefined;
  if (!field) return fail(`不能修改“${fieldToken ?? ''}”。${CORRECT_USAGE}`);
  const raw = rest.join(' ');
  if (!raw && field !== 'place') return fail(`缺少新的${fieldToken}。${CORRECT_USAGE}`);
  switch (field) {
    case 'participants': {
      const p = parseParticipants(/[人名]$/.test(raw) ? raw : `${raw}人`)!;
      return p.ok ? ok({ id: id.value, field, value: p.value }) : fail(p.error);
    }
    case 'date': {
      const d = parseDay(raw, today);
      return d.ok ? ok({ id: id.value, field, value: d.value }) : fail(d.error);
    }
    case 'type':
      if (!(ACTIVITY_TYPES as readonly string[]).includes(raw)) return fail(`活动类型应为 ${ACTIVITY_TYPES.join('、')} 之一`);
      return ok({ id: id.value, field, value: raw });
    case 'title':
      return raw.length > 200 ? fail('活动标题太长（最多 200 字）') : ok({ id: id.value, field, value: raw });
    case 'place':
      return raw.length > 200 ? fail('地点太长（最多 200 字）') : ok({ id: id.value, field, value: raw || null });
  }
}

export function parseWithdraw(args: string): Parsed<number> {
  const tokens = args.trim().split(/\s+/).filter(Boolean);
  const usage = `请按格式发送：撤销 编号，例如：${EXAMPLES.withdraw}`;
  if (tokens.length > 1) return fail(usage);
  return parseRecordId(tokens[0], usage);
}

// ---------------------------------------------------------------------------------------------
// Informants

/** An informant's name as the commands (and the console) take it: Chinese or Latin letters, the middle dot, 64 at most. */
export const NAME_RE = /^[\p{Script=Han}A-Za-z·•．.]{1,64}$/u;
/** A mainland mobile number. */
export const MOBILE_RE = /^1[3-9]\d{9}$/;

export function parseAddInformant(args: string): Parsed<{ name: string; phone: string | null }> {
  const [name, phone, ...extra] = args.trim().split(/\s+/).filter(Boolean);
  const usage = `请按格式发送：添加信息员 姓名 [手机号]，例如：${EXAMPLES.addInformant}`;
  if (!name || extra.length > 0) return fail(usage);
  if (!NAME_RE.test(name)) return fail(`姓名“${name}”不像人名（不能含数字或符号）。${usage}`);
  if (phone && !MOBILE_RE.test(phone)) return fail(`手机号“${phone}”应为 11 位手机号码。${usage}`);
  return ok({ name, phone: phone ?? null });
}

export function parseDisableInformant(args: string): Parsed<{ name: string; phoneTail: string | null }> {
  const [name, tail, ...extra] = args.trim().split(/\s+/).filter(Boolean);
  const usage = `请按格式发送：停用信息员 姓名 [手机尾号]，例如：${EXAMPLES.disableInformant}`;
  if (!name || extra.length > 0 || !NAME_RE.test(name)) return fail(usage);
  if (tail && !/^\d{4}$/.test(tail)) return fail(`手机尾号应为 4 位数字。${usage}`);
  return ok({ name, phoneTail: tail ?? null });
}

export function parseConfirm(args: string): Parsed<{ index: number; name: string | null }> {
  const [indexToken, name, ...extra] = args.trim().split(/\s+/).filter(Boolean);
  const usage = `先发“未确认”查看名单，再按格式发送：确认 序号 [名册中的姓名]，例如：${EXAMPLES.confirm}`;
  if (!indexToken || extra.length > 0 || !/^\d{1,3}$/.test(indexToken)) return fail(usage);
  if (name && !NAME_RE.test(name)) return fail(`姓名“${name}”不像人名。${usage}`);
  return ok({ index: Number(indexToken), name: name ?? null });
}

// ---------------------------------------------------------------------------------------------
// Resource use (seeds): bulletin board, big screen

export function parseBulletin(args: string, today: DayKey): Parsed<{ date: DayKey; topic: string }> {
  const tokens = args.trim().split(/\s+/).filter(Boolean);
  const usage = `请按格式发送：宣传栏 更换 主题 [日期]，例如：${EXAMPLES.bulletin}`;
  if (tokens[0] === '更换' || tokens[0] === '换') tokens.shift();
  let date = today;
  if (tokens.length > 1 && looksLikeDate(tokens[tokens.length - 1])) {
    const d = parseDay(tokens.pop()!, today);
    if (!d.ok) return fail(d.error);
    date = d.value;
  }
  const topic = tokens.join(' ');
  if (!topic) return fail(`缺少宣传栏的主题。${usage}`);
  if (topic.length > 200) return fail('主题太长（最多 200 字）');
  return ok({ date, topic });
}

export function parseScreen(args: string, today: DayKey): Parsed<{ date: DayKey; hours: number }> {
  const tokens = args.trim().split(/\s+/).filter(Boolean);
  const usage = `请按格式发送：大屏 小时数 [日期]，例如：${EXAMPLES.screen}`;
  const hoursToken = tokens.find((t) => /小时$|^\d+(\.\d)?h?$/i.test(t));
  if (!hoursToken) return fail(`缺少播放时长。${usage}`);
  const m = hoursToken.match(/^(\d+(?:\.\d)?)(小时|h)?$/i);
  if (!m) return fail(`播放时长“${hoursToken}”应为数字，例如 5小时 或 2.5小时`);
  const hours = Number(m[1]);
  if (hours <= 0 || hours > 24) return fail(`播放时长应在 0 到 24 小时之间`);
  let date = today;
  const dateToken = tokens.find((t) => t !== hoursToken);
  if (dateToken) {
    const d = parseDay(dateToken, today);
    if (!d.ok) return fail(d.error);
    date = d.value;
  }
  return ok({ date, hours });
}

/** The Chinese name of an activity record's status (the console's activity list). */
export const ACTIVITY_STATUS_LABEL: Record<'active' | 'withdrawn', string> = { active: '正常', withdrawn: '已撤回' };
