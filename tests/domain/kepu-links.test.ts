import {
  classifyKepuUrl,
  contentKeyOf,
  DEFAULT_LINK_RULES,
  findKepuLinksInText,
  isKepuHost,
  parseUrlRules,
  recognizeMiniProgram,
  recognizeUrlCard,
  scanKepuText,
  unknownShapeOfCard,
  type LinkRules,
} from '../../src/domain/kepu-links';

const EXTRA: LinkRules = { ...DEFAULT_LINK_RULES, extraDomains: ['kepu.example.cn'] };
const MP_APPID: LinkRules = { ...DEFAULT_LINK_RULES, miniProgramAppIds: ['wx0123456789abcdef'] };

// Rows end with optional rules. Test callbacks take a rest parameter: jest would treat a
// declared parameter beyond a row's length as the `done` callback.
type HostRow = [host: string, expected: boolean, rules?: LinkRules];
type KeyRow = [name: string, url: string, expected: string | undefined, rules?: LinkRules];
type TextRow = [name: string, text: string, keys: string[], rules?: LinkRules];
type UrlCard = Parameters<typeof recognizeUrlCard>[0];
type UrlCardRow = [name: string, card: UrlCard, key: string | undefined, rules?: LinkRules];
type MiniProgram = Parameters<typeof recognizeMiniProgram>[0];
type MiniProgramRow = [name: string, card: MiniProgram, key: string | undefined, rules?: LinkRules];

const DESKTOP = 'https://www.kepuchina.cn/article/articleinfo?business_type=100&classify=0&ar_id=123';
const MOBILE = 'https://m.kepuchina.cn/tuwendetail?id=123';
const CLOUD_ID = '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d';

describe('DEFAULT_LINK_RULES', () => {
  it('knows kepuchina.cn and the 科普中国 mini-program only, and no extra URL shapes', () => {
    expect(DEFAULT_LINK_RULES).toEqual({ extraDomains: [], miniProgramNames: ['科普中国'], miniProgramAppIds: [], urlRules: [] });
  });
});

describe('isKepuHost', () => {
  it.each<HostRow>([
    ['kepuchina.cn', true],
    ['www.kepuchina.cn', true],
    ['m.kepuchina.cn', true],
    ['cloud.kepuchina.cn', true],
    ['piyao.kepuchina.cn', true],
    ['WWW.KepuChina.CN', true],
    ['www.kepuchina.cn.', true],
    ['www.kepuchina.cn:8080', true],
    ['kepuchina.cn.example.com', false],
    ['notkepuchina.cn', false],
    ['kepuchina.cn-fake.com', false],
    ['kepuchina.com', false],
    ['evil.com/kepuchina.cn', false],
    ['', false],
    ['kepu.example.cn', false],
    ['kepu.example.cn', true, EXTRA],
    ['www.kepu.example.cn', true, EXTRA],
    ['notkepu.example.cn', false, EXTRA],
  ])('%s → %s', (...[host, expected, rules]: HostRow) => {
    expect(isKepuHost(host, rules)).toBe(expected);
  });
});

describe('contentKeyOf: one table of URL shapes, a key per (kind, id)', () => {
  it.each<KeyRow>([
    ['desktop article', DESKTOP, 'kepu:item:123'],
    ['mobile article (same id space as ar_id)', MOBILE, 'kepu:item:123'],
    ['mobile video', 'https://m.kepuchina.cn/videodetail?id=456', 'kepu:video:456'],
    ['cloud h5 (long id)', `https://cloud.kepuchina.cn/h5/detail?id=${CLOUD_ID}`, `kepu:cloud:${CLOUD_ID}`],
    [
      'cloud search page of one resource',
      'https://cloud.kepuchina.cn/newSearch/imgText?from=1&id=6973803399690276864&is_self=2',
      'kepu:cloud:6973803399690276864',
    ],
    ['piyao rumour', 'https://piyao.kepuchina.cn/rumor/rumordetail?id=9001', 'kepu:rumour:9001'],
    ['wiki entry', 'https://www.kepuchina.cn/wiki/blackhole', 'kepu:wiki:blackhole'],
    ['more/shtml', 'https://www.kepuchina.cn/more/201901/t20190125_904532.shtml', 'kepu:page:t20190125_904532'],
    ['more/shtml on m.', 'http://m.kepuchina.cn/more/201901/t20190125_904532.shtml?from=groupmessage', 'kepu:page:t20190125_904532'],
    ['wiki/ct shtml is a page', 'https://www.kepuchina.cn/wiki/ct/201903/t20190323_1029572.shtml', 'kepu:page:t20190323_1029572'],
    ['tracking parameters do not matter', `${DESKTOP}&utm_source=wx&from=timeline&share_token=x`, 'kepu:item:123'],
    ['http, upper-case host, default port, fragment', 'HTTP://WWW.KEPUCHINA.CN:80/wiki/blackhole#top', 'kepu:wiki:blackhole'],
    ['trailing-dot host', 'https://m.kepuchina.cn./tuwendetail?id=123', 'kepu:item:123'],
    ['scheme-less', 'www.kepuchina.cn/article/articleinfo?ar_id=123', 'kepu:item:123'],
    ['bare host for www', 'https://kepuchina.cn/article/articleinfo?ar_id=123', 'kepu:item:123'],
    ['parameter names in any case', 'https://www.kepuchina.cn/article/articleinfo?AR_ID=123', 'kepu:item:123'],
    ['&amp; from card XML', 'https://www.kepuchina.cn/article/articleinfo?business_type=100&amp;classify=0&amp;ar_id=123', 'kepu:item:123'],
    ['full-width digit', 'https://www.kepuchina.cn/article/articleinfo?ar_id=５', 'kepu:item:5'],
    ['full-width ？＝＆ and digits', 'https://www.kepuchina.cn/article/articleinfo？business_type＝100＆ar_id＝１２３', 'kepu:item:123'],
    // not one content item
    ['home page', 'https://www.kepuchina.cn/', undefined],
    ['home page index.html', 'https://www.kepuchina.cn/index.html', undefined],
    ['search', 'https://www.kepuchina.cn/search?keyword=a', undefined],
    ['piyao search', 'https://piyao.kepuchina.cn/search?keyword=b', undefined],
    ['piyao list', 'https://piyao.kepuchina.cn/rumor/rumorlist', undefined],
    ['list page', 'https://www.kepuchina.cn/topic/list?page=2', undefined],
    ['wiki index', 'https://www.kepuchina.cn/wiki/yzts/02/index_3.shtml', undefined],
    ['login', 'https://www.kepuchina.cn/user/login?redirect=%2F', undefined],
    ['article without id', 'https://www.kepuchina.cn/article/articleinfo', undefined],
    ['article with an empty id', 'https://www.kepuchina.cn/article/articleinfo?ar_id=', undefined],
    ['video without id', 'https://m.kepuchina.cn/videodetail?from=timeline', undefined],
    // unknown shapes are not counted
    ['articleinfo?id= is not the ar_id space', 'https://www.kepuchina.cn/article/articleinfo?id=123', undefined],
    ['unknown shape', 'https://www.kepuchina.cn/share/detail?articleId=77', undefined],
    // not Kepu China at all
    ['lookalike suffix', 'https://kepuchina.cn.example.com/tuwendetail?id=1', undefined],
    ['lookalike prefix', 'https://notkepuchina.cn/tuwendetail?id=1', undefined],
    ['lookalike hyphen', 'https://kepuchina.cn-fake.com/tuwendetail?id=1', undefined],
    ['.com', 'https://www.kepuchina.com/tuwendetail?id=1', undefined],
    ['userinfo trick', 'https://kepuchina.cn@evil.com/tuwendetail?id=1', undefined],
    ['backslash trick', 'https://evil.com\\@www.kepuchina.cn/tuwendetail?id=1', undefined],
    ['embedded in another URL', 'https://evil.com/?u=https://www.kepuchina.cn/tuwendetail?id=1', undefined],
    ['ftp scheme', 'ftp://www.kepuchina.cn/tuwendetail?id=1', undefined],
    ['javascript scheme', 'javascript:alert("kepuchina.cn")', undefined],
    ['not a URL', '科普中国', undefined],
    ['extra domain, shape not configured', 'https://kepu.example.cn/detail?id=5', undefined, EXTRA],
    [
      'extra domain with a rule',
      'https://kepu.example.cn/detail?id=5',
      'kepu:news:5',
      { ...EXTRA, urlRules: [{ kind: 'news', host: 'kepu.example.cn', path: '/detail', param: 'id' }] },
    ],
    [
      'an operator rule adds a shape',
      'https://www.kepuchina.cn/special/specialinfo?id=AR2025',
      'kepu:special:AR2025',
      { ...DEFAULT_LINK_RULES, urlRules: parseUrlRules('special:www.kepuchina.cn/special/specialinfo?id') },
    ],
  ])('%s', (...[, url, expected, rules]: KeyRow) => {
    expect(contentKeyOf(url, rules)).toBe(expected);
  });

  it.each([
    ['desktop vs mobile article', DESKTOP, MOBILE],
    ['http vs https', 'http://www.kepuchina.cn/wiki/x', 'https://www.kepuchina.cn/wiki/x'],
    ['www vs bare host', 'https://www.kepuchina.cn/wiki/x/', 'https://kepuchina.cn/wiki/x'],
    [
      'other parameters and their order',
      'https://www.kepuchina.cn/article/articleinfo?classify=0&ar_id=9',
      'https://www.kepuchina.cn/article/articleinfo?ar_id=9&business_type=100',
    ],
    ['full-width digits', 'https://m.kepuchina.cn/videodetail?id=４５６', 'https://m.kepuchina.cn/videodetail?id=456'],
    [
      'upper-case host',
      'https://WWW.KEPUCHINA.CN/more/201901/t20190125_904532.shtml',
      'https://www.kepuchina.cn/more/201901/t20190125_904532.shtml',
    ],
  ])('same item: %s', (_name, a, b) => {
    expect(contentKeyOf(a)).toBeDefined();
    expect(contentKeyOf(a)).toBe(contentKeyOf(b));
  });

  it('never merges id spaces: four URLs with the number 123 are four different things', () => {
    const urls = [
      'https://piyao.kepuchina.cn/rumor/rumordetail?id=123',
      'https://www.kepuchina.cn/article/articleinfo?ar_id=123',
      'https://www.kepuchina.cn/article/articleinfo?id=123',
      'https://m.kepuchina.cn/videodetail?id=123',
    ];
    const classes = urls.map((u) => classifyKepuUrl(u));
    expect(classes.map((c) => (c?.status === 'content' ? c.contentKey : `${c?.status}:${c?.status === 'unknown' ? c.shape : ''}`))).toEqual(
      ['kepu:rumour:123', 'kepu:item:123', 'unknown:www.kepuchina.cn/article/articleinfo?id', 'kepu:video:123'],
    );
    expect(contentKeyOf(`https://cloud.kepuchina.cn/h5/detail?id=123`)).toBe('kepu:cloud:123');
  });

  it.each([
    ['different items', MOBILE, 'https://m.kepuchina.cn/tuwendetail?id=124'],
    ['different paths', 'https://www.kepuchina.cn/wiki/a', 'https://www.kepuchina.cn/wiki/b'],
    ['mobile article vs cloud', 'https://m.kepuchina.cn/tuwendetail?id=8f3a9c', 'https://cloud.kepuchina.cn/h5/detail?id=8f3a9c'],
    ['article vs video', 'https://www.kepuchina.cn/article/articleinfo?ar_id=5', 'https://m.kepuchina.cn/videodetail?id=5'],
  ])('different items: %s', (_name, a, b) => {
    expect(contentKeyOf(a)).toBeDefined();
    expect(contentKeyOf(b)).toBeDefined();
    expect(contentKeyOf(a)).not.toBe(contentKeyOf(b));
  });
});

describe('classifyKepuUrl', () => {
  it.each([
    'https://www.kepuchina.cn/',
    'https://www.kepuchina.cn/search?keyword=a',
    'https://www.kepuchina.cn/search?keyword=b',
    'https://www.kepuchina.cn/article/articleinfo',
    'https://piyao.kepuchina.cn/',
    'https://cloud.kepuchina.cn/homePage/kphIndex?id=315&type=1&page=2',
  ])('%s is a page that is not content', (url) => {
    expect(classifyKepuUrl(url)).toEqual({ status: 'not-content' });
  });

  it('gives an unknown shape without values, long numbers as {n}, and an example without tracking parameters', () => {
    expect(
      classifyKepuUrl('https://www.kepuchina.cn/special/20250801/specialinfo?id=AR202508011646548120&from=timeline&utm_source=wx'),
    ).toEqual({
      status: 'unknown',
      shape: 'www.kepuchina.cn/special/{n}/specialinfo?id',
      example: 'https://www.kepuchina.cn/special/20250801/specialinfo?id=AR202508011646548120',
    });
  });

  it('is undefined for other sites', () => {
    expect(classifyKepuUrl('https://example.com/a?id=1')).toBeUndefined();
  });
});

describe('parseUrlRules (KEPU_URL_RULES)', () => {
  it('reads kind:host/path?param lists and JSON', () => {
    expect(parseUrlRules('special:www.kepuchina.cn/special/specialinfo?id, live:m.kepuchina.cn/livedetail?liveId')).toEqual([
      { kind: 'special', host: 'www.kepuchina.cn', path: '/special/specialinfo', param: 'id' },
      { kind: 'live', host: 'm.kepuchina.cn', path: '/livedetail', param: 'liveId' },
    ]);
    expect(parseUrlRules('[{"kind":"news","host":"kepu.example.cn","path":"/detail","param":"id"}]', ['kepu.example.cn'])).toEqual([
      { kind: 'news', host: 'kepu.example.cn', path: '/detail', param: 'id' },
    ]);
    expect(parseUrlRules('  ')).toEqual([]);
  });

  it.each([
    ['no kind', 'www.kepuchina.cn/special/specialinfo?id', /kind:host\/path\?param/],
    ['no param', 'special:www.kepuchina.cn/special/specialinfo', /kind:host\/path\?param/],
    ['a value instead of a name', 'special:www.kepuchina.cn/special/specialinfo?id=1', /kind:host\/path\?param/],
    ['another site', 'special:www.example.com/special?id', /not kepuchina\.cn/],
    ['a reserved kind', 'item:www.kepuchina.cn/special/specialinfo?id', /kind should be/],
    ['bad JSON', '[{"kind":"x"', /not valid JSON/],
    ['JSON without param', '[{"kind":"x","host":"www.kepuchina.cn","path":"/a"}]', /needs the strings/],
  ])('rejects %s', (_name, text, message) => {
    expect(() => parseUrlRules(text)).toThrow(message);
  });
});

describe('findKepuLinksInText', () => {
  it.each<TextRow>([
    ['plain URL', `请大家阅读 ${MOBILE}`, ['kepu:item:123']],
    ['Chinese punctuation around', `【科普】《黑洞》（${MOBILE}），欢迎转发！`, ['kepu:item:123']],
    ['Chinese text right after', `${MOBILE}请转发到各群。`, ['kepu:item:123']],
    ['Chinese quotes', `“${MOBILE}”`, ['kepu:item:123']],
    ['full-width colon before', `链接：${MOBILE}`, ['kepu:item:123']],
    ['ASCII colon without space', `链接:${MOBILE}`, ['kepu:item:123']],
    ['trailing ASCII punctuation', `(see ${MOBILE}).`, ['kepu:item:123']],
    ['angle brackets and quotes', `<${MOBILE}> "${DESKTOP}"`, ['kepu:item:123']],
    ['two different links', `今日：${MOBILE}；https://m.kepuchina.cn/videodetail?id=456`, ['kepu:item:123', 'kepu:video:456']],
    ['same link twice', `${MOBILE} 再发一次 ${MOBILE}`, ['kepu:item:123']],
    ['same item desktop + mobile', `${DESKTOP}\n${MOBILE}`, ['kepu:item:123']],
    [
      'same number, different kinds',
      'https://piyao.kepuchina.cn/rumor/rumordetail?id=123 https://www.kepuchina.cn/article/articleinfo?ar_id=123',
      ['kepu:rumour:123', 'kepu:item:123'],
    ],
    ['full-width digits and ？＝ in the URL', '看这篇 https://www.kepuchina.cn/article/articleinfo？ar_id＝５，很好', ['kepu:item:5']],
    ['full-width id does not lose its digits', 'https://www.kepuchina.cn/article/articleinfo?ar_id=１２３。', ['kepu:item:123']],
    [
      'home page and searches count nothing',
      'https://www.kepuchina.cn/ https://www.kepuchina.cn/search?keyword=a https://www.kepuchina.cn/search?keyword=b',
      [],
    ],
    ['article page without id', 'https://www.kepuchina.cn/article/articleinfo?business_type=100', []],
    ['scheme-less www', '看这篇www.kepuchina.cn/more/201901/t20190125_904532.shtml。', ['kepu:page:t20190125_904532']],
    ['scheme-less bare host', '看 kepuchina.cn/wiki/blackhole', ['kepu:wiki:blackhole']],
    ['bare domain without path is not a link', '下载科普中国APP或访问www.kepuchina.cn', []],
    ['e-mail is not a link', '投稿 editor@kepuchina.cn/x', []],
    ['embedded in query of another site', 'https://evil.com/?u=https://www.kepuchina.cn/tuwendetail?id=1', []],
    ['embedded scheme-less in query', 'evil.com/r?u=www.kepuchina.cn/tuwendetail?id=1', []],
    ['embedded in path of another site', 'https://web.archive.org/web/2020/https://m.kepuchina.cn/tuwendetail?id=1', []],
    ['userinfo trick', 'https://kepuchina.cn@evil.com/tuwendetail?id=1', []],
    [
      'lookalike hosts',
      'https://kepuchina.cn.example.com/a https://notkepuchina.cn/a https://kepuchina.cn-fake.com/a https://kepuchina.com/a',
      [],
    ],
    ['ftp', 'ftp://www.kepuchina.cn/tuwendetail?id=1', []],
    ['no links', '今天大家都转发了吗？', []],
    ['extra domain not configured', '看 https://kepu.example.cn/detail?id=5', []],
  ])('%s', (...[, text, keys, rules]: TextRow) => {
    const links = findKepuLinksInText(text, rules);
    expect(links.map((l) => l.contentKey)).toEqual(keys);
    for (const l of links) expect(l.kind).toBe('text');
  });

  it('returns the normalised absolute URL, adding https:// when scheme-less', () => {
    expect(findKepuLinksInText('看WWW.KepuChina.cn/wiki/blackhole，好文')).toEqual([
      { contentKey: 'kepu:wiki:blackhole', url: 'https://www.kepuchina.cn/wiki/blackhole', kind: 'text' },
    ]);
  });

  it('reads full-width letters and digits as part of the URL, and full-width ，as its end', () => {
    const [link] = findKepuLinksInText('https://www.kepuchina.cn/wiki/x１２３，下一篇');
    expect(link.url).toBe('https://www.kepuchina.cn/wiki/x123');
  });

  it('lists unknown Kepu China shapes once each, and no pages that are not content', () => {
    const scan = scanKepuText(
      `${MOBILE} https://www.kepuchina.cn/special/specialinfo?id=1 https://www.kepuchina.cn/special/specialinfo?id=2&from=timeline https://www.kepuchina.cn/search?keyword=x https://example.com/special/specialinfo?id=3`,
    );
    expect(scan.links.map((l) => l.contentKey)).toEqual(['kepu:item:123']);
    expect(scan.unknown).toEqual([
      { shape: 'www.kepuchina.cn/special/specialinfo?id', example: 'https://www.kepuchina.cn/special/specialinfo?id=1' },
    ]);
  });
});

describe('recognizeUrlCard', () => {
  it.each<UrlCardRow>([
    ['kepu article card', { url: MOBILE, title: '黑洞是什么', description: '科普中国' }, 'kepu:item:123'],
    ['kepu desktop card', { url: DESKTOP, title: '黑洞是什么' }, 'kepu:item:123'],
    ['video card', { url: 'https://m.kepuchina.cn/videodetail?id=123', title: '黑洞' }, 'kepu:video:123'],
    ['home page card', { url: 'https://www.kepuchina.cn/', title: '科普中国' }, undefined],
    ['unknown shape card', { url: 'https://www.kepuchina.cn/special/specialinfo?id=1', title: '专题' }, undefined],
    ['non-kepu card', { url: 'https://mp.weixin.qq.com/s/abc', title: '科普中国：黑洞是什么' }, undefined],
    ['non-kepu card mentioning a kepu URL', { url: 'https://example.com/a', title: 't', description: `原文 ${MOBILE}` }, undefined],
    ['lookalike card', { url: 'https://kepuchina.cn.example.com/tuwendetail?id=123' }, undefined],
    ['full-width id in a card', { url: 'https://m.kepuchina.cn/tuwendetail?id=１２３' }, 'kepu:item:123'],
  ])('%s', (...[, card, key, rules]: UrlCardRow) => {
    const link = recognizeUrlCard(card, rules);
    expect(link?.contentKey).toBe(key);
    if (link) expect(link.kind).toBe('url');
  });

  it('keeps the title and the normalised url', () => {
    expect(recognizeUrlCard({ url: 'HTTPS://M.KEPUCHINA.CN/tuwendetail?id=123', title: ' 黑洞是什么 ' })).toEqual({
      contentKey: 'kepu:item:123',
      url: 'https://m.kepuchina.cn/tuwendetail?id=123',
      title: '黑洞是什么',
      kind: 'url',
    });
  });

  it('names the shape of an unknown card, and nothing for content or pages', () => {
    expect(unknownShapeOfCard({ url: 'https://www.kepuchina.cn/special/specialinfo?id=1' })).toEqual({
      shape: 'www.kepuchina.cn/special/specialinfo?id',
      example: 'https://www.kepuchina.cn/special/specialinfo?id=1',
    });
    expect(unknownShapeOfCard({ url: MOBILE })).toBeUndefined();
    expect(unknownShapeOfCard({ url: 'https://www.kepuchina.cn/' })).toBeUndefined();
  });
});

describe('recognizeMiniProgram', () => {
  it.each<MiniProgramRow>([
    [
      'by appid',
      { appid: 'wx0123456789abcdef', title: '黑洞', pagePath: 'pages/detail/detail.html?id=123' },
      'kepu:mp:wx0123456789abcdef:pages/detail/detail:123',
      MP_APPID,
    ],
    ['appid not configured', { appid: 'wx0123456789abcdef', title: '黑洞', pagePath: 'pages/detail/detail?id=123' }, undefined],
    [
      'by name in description',
      { appid: 'wxffff', description: '科普中国', title: '黑洞', pagePath: 'pages/detail/detail?ar_id=123' },
      'kepu:mp:wxffff:pages/detail/detail:123',
    ],
    [
      'description starts with name',
      { description: '科普中国 小程序', title: '黑洞', pagePath: 'pages/detail?articleId=9' },
      'kepu:mp:科普中国:pages/detail:9',
    ],
    [
      'by username',
      { username: 'gh_kepu@app', title: '黑洞', pagePath: 'pages/detail?id=7' },
      'kepu:mp:gh_kepu@app:pages/detail:7',
      { ...DEFAULT_LINK_RULES, miniProgramNames: ['gh_kepu@app'] },
    ],
    [
      'title only is not enough',
      { appid: 'wxother', description: '某某资讯', title: '科普中国：黑洞是什么', pagePath: 'pages/a?id=1' },
      undefined,
    ],
    ['nothing identifies the app', { title: '科普中国' }, undefined],
    [
      'path without id',
      { appid: 'wxffff', description: '科普中国', title: '黑洞', pagePath: '/pages/topic/index.html?from=share' },
      'kepu:mp:wxffff:pages/topic/index',
    ],
    [
      'no appid: keyed by name',
      { description: '科普中国', title: '黑洞', pagePath: 'pages/topic/index' },
      'kepu:mp:科普中国:pages/topic/index',
    ],
    ['no path: keyed by title', { appid: 'wxffff', description: '科普中国', title: '  黑洞  是什么 ' }, 'kepu:mp:wxffff:title:黑洞 是什么'],
    [
      'web-view page carrying a kepu URL',
      { description: '科普中国', pagePath: `pages/webview/webview?url=${encodeURIComponent(DESKTOP)}` },
      'kepu:item:123',
    ],
    [
      'web-view page carrying the home page',
      { description: '科普中国', pagePath: `pages/webview/webview?url=${encodeURIComponent('https://www.kepuchina.cn/')}` },
      undefined,
    ],
  ])('%s', (...[, card, key, rules]: MiniProgramRow) => {
    const link = recognizeMiniProgram(card, rules);
    expect(link?.contentKey).toBe(key);
    if (link) expect(link.kind).toBe('mini-program');
  });

  it('keeps a mini-program page id apart from the web ids (its id space is not known)', () => {
    const mp = recognizeMiniProgram({ description: '科普中国', title: '黑洞', pagePath: 'pages/detail/detail?id=123' });
    expect(mp?.contentKey).toBe('kepu:mp:科普中国:pages/detail/detail:123');
    expect(mp?.contentKey).not.toBe(contentKeyOf(DESKTOP));
  });

  it('builds a miniprogram:// url from appid (or name) and pagePath', () => {
    expect(recognizeMiniProgram({ appid: 'wxffff', description: '科普中国', title: '黑洞', pagePath: 'pages/detail?id=1' })).toEqual({
      contentKey: 'kepu:mp:wxffff:pages/detail:1',
      url: 'miniprogram://wxffff/pages/detail?id=1',
      title: '黑洞',
      kind: 'mini-program',
    });
    expect(recognizeMiniProgram({ description: '科普中国', pagePath: 'pages/detail?id=1' })?.url).toBe(
      'miniprogram://科普中国/pages/detail?id=1',
    );
  });
});
