import fc from 'fast-check';
import { commandWords, readHelp } from '../../src/bot/script-loader';
import {
  contentKeyOf,
  DEFAULT_LINK_RULES,
  findKepuLinksInText,
  isKepuHost,
  recognizeMiniProgram,
  recognizeUrlCard,
  type LinkRules,
} from '../../src/domain/kepu-links';
import {
  parseActivity,
  parseAddInformant,
  parseBulletin,
  parseConfirm,
  parseCorrection,
  parseDay,
  parseDisableInformant,
  parseParticipants,
  parseScreen,
  parseWithdraw,
  suggestCommand,
  type Parsed,
} from '../../src/domain/station-commands';

const RUNS = { numRuns: 300 };
/** The command words the bot-scripts declare. */
const WORDS = commandWords(readHelp());
const RULES: LinkRules = { ...DEFAULT_LINK_RULES, miniProgramAppIds: ['wx1234567890abcdef'] };

/** Any text: arbitrary code points (lone surrogates, NUL, emoji), not only "nice" strings. */
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.string({ maxLength: 200 }),
);

/** Text made of pieces that reach deep into the recogniser: Kepu hosts, paths, ids, separators. */
const linkish = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        'https://',
        'http://',
        'HTTPS://',
        'm.kepuchina.cn',
        'www.kepuchina.cn',
        'cloud.kepuchina.cn',
        'kepuchina.cn.evil.com',
        '/tuwendetail?id=',
        '/article/articleinfo?business_type=100&ar_id=',
        '/h5/detail?id=',
        'pages/detail/detail?id=',
        '?',
        '&',
        '#',
        '%',
        '%E4',
        '@',
        ':',
        '//',
        '.',
        '，',
        '。',
        ' ',
        '\n',
        '链接',
        '【',
        '】',
        '"',
        '<',
        '>',
        '\u0000',
        '\uD800',
      ),
      fc.nat({ max: 1e9 }).map(String),
      fc.string({ unit: 'binary', maxLength: 8 }),
    ),
    { maxLength: 20 },
  )
  .map((parts) => parts.join(''));

/** A Kepu China link with noise around and inside its parts. */
const noisyLink = fc
  .tuple(
    fc.string({ unit: 'binary', maxLength: 10 }),
    fc.constantFrom(
      'https://m.kepuchina.cn/tuwendetail?id=',
      'http://www.kepuchina.cn/article/articleinfo?business_type=100&classify=0&ar_id=',
      'https://cloud.kepuchina.cn/h5/detail?id=',
      'm.kepuchina.cn/tuwendetail?id=',
    ),
    fc.nat({ max: 1e9 }),
    fc.constantFrom('', '&from=timeline', '#top', '。', '）', ' ', '%', '&id=2'),
    fc.string({ unit: 'binary', maxLength: 10 }),
  )
  .map(([a, link, id, tail, b]) => `${a} ${link}${id}${tail} ${b}`);

describe('property: the link recogniser never throws', () => {
  it('findKepuLinksInText returns links with a content key for any text', () => {
    let found = 0;
    fc.assert(
      fc.property(fc.oneof(anyText, linkish, noisyLink), (text) => {
        const links = findKepuLinksInText(text, RULES);
        if (links.length > 0) found++;
        for (const link of links) {
          expect(typeof link.contentKey).toBe('string');
          expect(link.contentKey.length).toBeGreaterThan(0);
        }
      }),
      RUNS,
    );
    // The generator reaches the recogniser's accepting paths, not only its early exits.
    expect(found).toBeGreaterThan(0);
  });

  it('link cards, mini-program cards, hosts and content keys never throw', () => {
    fc.assert(
      fc.property(
        fc.oneof(anyText, linkish, noisyLink),
        fc.oneof(anyText, linkish),
        fc.oneof(anyText, fc.constant('wx1234567890abcdef')),
        (a, b, appid) => {
          recognizeUrlCard({ url: a, title: b, description: b }, RULES);
          recognizeMiniProgram({ appid, title: a, pagePath: b, username: a, description: b }, RULES);
          isKepuHost(a, RULES);
          contentKeyOf(a, RULES);
        },
      ),
      RUNS,
    );
  });
});

const TODAY = '2026-11-22';
const HAN = /[\u4e00-\u9fff]/;

/** Tokens of the command grammar, so generated commands get past the first word. */
const commandish = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '今天',
        '昨天',
        '前天',
        '11月20日',
        '2026-11-31',
        '十一月二十日',
        '13月40日',
        '讲座',
        '培训',
        '展览',
        '其他',
        '人数',
        '日期',
        '类型',
        '标题',
        '地点',
        '65人',
        '0人',
        '100001人',
        '一百人',
        '5小时',
        '25小时',
        '更换',
        '13812345678',
        '1234',
        '张三',
        '冬季防火知识',
        '文化站',
        '-1',
        '1e9',
        '99999999999999999999',
      ),
      fc.nat().map(String),
      fc.string({ unit: 'binary', maxLength: 10 }),
    ),
    { maxLength: 8 },
  )
  .map((parts) => parts.join(' '));

function expectParsedOrChineseError(r: Parsed<unknown>): void {
  if (r.ok) return;
  expect(typeof r.error).toBe('string');
  expect(r.error).toMatch(HAN);
}

describe('property: the command grammar never throws and either parses or explains in Chinese', () => {
  it('every parser, on any argument text', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, commandish), (args) => {
        expectParsedOrChineseError(parseActivity(args, TODAY));
        expectParsedOrChineseError(parseCorrection(args, TODAY));
        expectParsedOrChineseError(parseWithdraw(args));
        expectParsedOrChineseError(parseAddInformant(args));
        expectParsedOrChineseError(parseDisableInformant(args));
        expectParsedOrChineseError(parseConfirm(args));
        expectParsedOrChineseError(parseBulletin(args, TODAY));
        expectParsedOrChineseError(parseScreen(args, TODAY));
        expectParsedOrChineseError(parseDay(args, TODAY));
        const p = parseParticipants(args);
        if (p) expectParsedOrChineseError(p);
        const s = suggestCommand(args, WORDS);
        expect(s === null || typeof s === 'string').toBe(true);
      }),
      RUNS,
    );
  });

  it('a parsed activity is always within the grammar’s limits', () => {
    fc.assert(
      fc.property(commandish, (args) => {
        const r = parseActivity(args, TODAY);
        if (!r.ok) return;
        expect(r.value.title.length).toBeGreaterThan(0);
        expect(Number.isInteger(r.value.participants)).toBe(true);
        expect(r.value.participants).toBeGreaterThanOrEqual(0);
        expect(r.value.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      }),
      RUNS,
    );
  });
});
