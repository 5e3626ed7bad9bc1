import {
  contentKeyOf,
  DEFAULT_LINK_RULES,
  findKepuLinksInText,
  isKepuHost,
  recognizeMiniProgram,
  recognizeUrlCard,
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
  it('knows kepuchina.cn and the 科普中国 mini-program only', () => {
    expect(DEFAULT_LINK_RULES).toEqual({ extraDomains: [], miniProgramNames: ['科普中国'], miniProgramAppIds: [] });
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

describe('contentKeyOf', () => {
  it.each<KeyRow>([
    ['desktop article', DESKTOP, 'kepu:item:123'],
    ['mobile article', MOBILE, 'kepu:item:123'],
    ['mobile video', 'https://m.kepuchina.cn/videodetail?id=456', 'kepu:item:456'],
    ['cloud h5 (long id)', `https://cloud.kepuchina.cn/h5/detail?id=${CLOUD_ID}`, `kepu:item:${CLOUD_ID}`],
    ['articleId param', 'https://www.kepuchina.cn/share/detail?articleId=77&from=timeline', 'kepu:item:77'],
    ['contentId param', 'https://m.kepuchina.cn/content?contentId=A-88', 'kepu:item:A-88'],
    ['piyao with id', 'https://piyao.kepuchina.cn/rumor/rumordetail?id=9001', 'kepu:item:9001'],
    ['piyao without id', 'https://piyao.kepuchina.cn/rumor/list/', 'kepu:url:piyao.kepuchina.cn/rumor/list'],
    ['wiki path', 'https://www.kepuchina.cn/wiki/blackhole', 'kepu:url:kepuchina.cn/wiki/blackhole'],
    ['more/shtml', 'https://www.kepuchina.cn/more/201901/t20190125_904532.shtml', 'kepu:page:t20190125_904532'],
    ['more/shtml on m.', 'http://m.kepuchina.cn/more/201901/t20190125_904532.shtml?from=groupmessage', 'kepu:page:t20190125_904532'],
    ['home page', 'https://www.kepuchina.cn/', 'kepu:url:kepuchina.cn'],
    [
      'tracking params dropped, others sorted',
      'https://www.kepuchina.cn/topic/list?utm_source=wx&page=2&from=singlemessage&isappinstalled=0&share_token=x&spm=a.b&timestamp=1&scene=1&clicktime=2&enterid=3&nsukey=k&cat=7',
      'kepu:url:kepuchina.cn/topic/list?cat=7&page=2',
    ],
    ['http, upper-case host, default port, fragment', 'HTTP://WWW.KEPUCHINA.CN:80/wiki/blackhole#top', 'kepu:url:kepuchina.cn/wiki/blackhole'],
    ['trailing-dot host', 'https://m.kepuchina.cn./tuwendetail?id=123', 'kepu:item:123'],
    ['scheme-less', 'www.kepuchina.cn/article/articleinfo?ar_id=123', 'kepu:item:123'],
    ['&amp; from card XML', 'https://www.kepuchina.cn/article/articleinfo?business_type=100&amp;classify=0&amp;ar_id=123', 'kepu:item:123'],
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
    ['extra domain not configured', 'https://www.kepu.example.cn/news/1.html', undefined],
    ['extra domain configured', 'https://www.kepu.example.cn/news/1.html', 'kepu:url:kepu.example.cn/news/1.html', EXTRA],
    ['extra domain with id', 'https://kepu.example.cn/detail?id=5', 'kepu:item:5', EXTRA],
  ])('%s', (...[, url, expected, rules]: KeyRow) => {
    expect(contentKeyOf(url, rules)).toBe(expected);
  });

  it.each([
    ['desktop vs mobile article', DESKTOP, MOBILE],
    ['mobile article vs cloud', 'https://m.kepuchina.cn/tuwendetail?id=8f3a9c', 'https://cloud.kepuchina.cn/h5/detail?id=8f3a9c'],
    ['desktop vs cloud', DESKTOP, 'https://cloud.kepuchina.cn/h5/detail?id=123&shareId=abc'],
    ['http vs https', 'http://www.kepuchina.cn/wiki/x', 'https://www.kepuchina.cn/wiki/x'],
    ['www vs m vs bare host', 'https://m.kepuchina.cn/wiki/x/', 'https://kepuchina.cn/wiki/x'],
    ['query order', 'https://www.kepuchina.cn/list?b=2&a=1', 'https://www.kepuchina.cn/list?a=1&b=2'],
    ['tracking params', 'https://www.kepuchina.cn/list?a=1', 'https://www.kepuchina.cn/list?a=1&utm_medium=x&from=timeline'],
    ['upper-case host', 'https://WWW.KEPUCHINA.CN/more/201901/t20190125_904532.shtml', 'https://www.kepuchina.cn/more/201901/t20190125_904532.shtml'],
  ])('same item: %s', (_name, a, b) => {
    expect(contentKeyOf(a)).toBeDefined();
    expect(contentKeyOf(a)).toBe(contentKeyOf(b));
  });

  it.each([
    ['different items', MOBILE, 'https://m.kepuchina.cn/tuwendetail?id=124'],
    ['different paths', 'https://www.kepuchina.cn/wiki/a', 'https://www.kepuchina.cn/wiki/b'],
    ['meaningful query', 'https://www.kepuchina.cn/list?page=1', 'https://www.kepuchina.cn/list?page=2'],
  ])('different items: %s', (_name, a, b) => {
    expect(contentKeyOf(a)).not.toBe(contentKeyOf(b));
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
    [
      'two different links',
      `今日：${MOBILE}；https://m.kepuchina.cn/videodetail?id=456`,
      ['kepu:item:123', 'kepu:item:456'],
    ],
    ['same link twice', `${MOBILE} 再发一次 ${MOBILE}`, ['kepu:item:123']],
    ['same item desktop + mobile', `${DESKTOP}\n${MOBILE}`, ['kepu:item:123']],
    ['scheme-less www', '看这篇www.kepuchina.cn/more/201901/t20190125_904532.shtml。', ['kepu:page:t20190125_904532']],
    ['scheme-less bare host', '看 kepuchina.cn/wiki/blackhole', ['kepu:url:kepuchina.cn/wiki/blackhole']],
    ['bare domain without path is not a link', '下载科普中国APP或访问www.kepuchina.cn', []],
    ['e-mail is not a link', '投稿 editor@kepuchina.cn/x', []],
    ['embedded in query of another site', 'https://evil.com/?u=https://www.kepuchina.cn/tuwendetail?id=1', []],
    ['embedded scheme-less in query', 'evil.com/r?u=www.kepuchina.cn/tuwendetail?id=1', []],
    ['embedded in path of another site', 'https://web.archive.org/web/2020/https://m.kepuchina.cn/tuwendetail?id=1', []],
    ['userinfo trick', 'https://kepuchina.cn@evil.com/tuwendetail?id=1', []],
    ['lookalike hosts', 'https://kepuchina.cn.example.com/a https://notkepuchina.cn/a https://kepuchina.cn-fake.com/a https://kepuchina.com/a', []],
    ['ftp', 'ftp://www.kepuchina.cn/tuwendetail?id=1', []],
    ['no links', '今天大家都转发了吗？', []],
    ['extra domain not configured', '看 https://kepu.example.cn/detail?id=5', []],
    ['extra domain configured', '看 https://kepu.example.cn/detail?id=5', ['kepu:item:5'], EXTRA],
  ])('%s', (...[, text, keys, rules]: TextRow) => {
    const links = findKepuLinksInText(text, rules);
    expect(links.map((l) => l.contentKey)).toEqual(keys);
    for (const l of links) expect(l.kind).toBe('text');
  });

  it('returns the normalised absolute URL, adding https:// when scheme-less', () => {
    expect(findKepuLinksInText('看WWW.KepuChina.cn/wiki/blackhole，好文')).toEqual([
      { contentKey: 'kepu:url:kepuchina.cn/wiki/blackhole', url: 'https://www.kepuchina.cn/wiki/blackhole', kind: 'text' },
    ]);
  });

  it('does not swallow full-width characters', () => {
    const [link] = findKepuLinksInText('https://www.kepuchina.cn/wiki/x１２３');
    expect(link.url).toBe('https://www.kepuchina.cn/wiki/x');
  });
});

describe('recognizeUrlCard', () => {
  it.each<UrlCardRow>([
    ['kepu article card', { url: MOBILE, title: '黑洞是什么', description: '科普中国' }, 'kepu:item:123'],
    ['kepu desktop card', { url: DESKTOP, title: '黑洞是什么' }, 'kepu:item:123'],
    ['non-kepu card', { url: 'https://mp.weixin.qq.com/s/abc', title: '科普中国：黑洞是什么' }, undefined],
    ['non-kepu card mentioning a kepu URL', { url: 'https://example.com/a', title: 't', description: `原文 ${MOBILE}` }, undefined],
    ['lookalike card', { url: 'https://kepuchina.cn.example.com/tuwendetail?id=123' }, undefined],
    ['extra domain card', { url: 'https://kepu.example.cn/detail?id=5' }, 'kepu:item:5', EXTRA],
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
});

describe('recognizeMiniProgram', () => {
  it.each<MiniProgramRow>([
    ['by appid', { appid: 'wx0123456789abcdef', title: '黑洞', pagePath: 'pages/detail/detail.html?id=123' }, 'kepu:item:123', MP_APPID],
    ['appid not configured', { appid: 'wx0123456789abcdef', title: '黑洞', pagePath: 'pages/detail/detail?id=123' }, undefined],
    ['by name in description', { appid: 'wxffff', description: '科普中国', title: '黑洞', pagePath: 'pages/detail/detail?ar_id=123' }, 'kepu:item:123'],
    ['description starts with name', { description: '科普中国 小程序', title: '黑洞', pagePath: 'pages/detail?articleId=9' }, 'kepu:item:9'],
    ['by username', { username: 'gh_kepu@app', title: '黑洞', pagePath: 'pages/detail?id=7' }, 'kepu:item:7', { ...DEFAULT_LINK_RULES, miniProgramNames: ['gh_kepu@app'] }],
    ['title only is not enough', { appid: 'wxother', description: '某某资讯', title: '科普中国：黑洞是什么', pagePath: 'pages/a?id=1' }, undefined],
    ['nothing identifies the app', { title: '科普中国' }, undefined],
    ['path without id', { appid: 'wxffff', description: '科普中国', title: '黑洞', pagePath: '/pages/topic/index.html?from=share' }, 'kepu:mp:wxffff:pages/topic/index'],
    ['no appid: keyed by name', { description: '科普中国', title: '黑洞', pagePath: 'pages/topic/index' }, 'kepu:mp:科普中国:pages/topic/index'],
    ['no path: keyed by title', { appid: 'wxffff', description: '科普中国', title: '  黑洞  是什么 ' }, 'kepu:mp:wxffff:title:黑洞 是什么'],
    [
      'web-view page carrying a kepu URL',
      { description: '科普中国', pagePath: `pages/webview/webview?url=${encodeURIComponent(DESKTOP)}` },
      'kepu:item:123',
    ],
  ])('%s', (...[, card, key, rules]: MiniProgramRow) => {
    const link = recognizeMiniProgram(card, rules);
    expect(link?.contentKey).toBe(key);
    if (link) expect(link.kind).toBe('mini-program');
  });

  it('pagePath id gives the same key as the web share of that item', () => {
    const mp = recognizeMiniProgram({ description: '科普中国', title: '黑洞', pagePath: 'pages/detail/detail?id=123' });
    expect(mp?.contentKey).toBe(contentKeyOf(DESKTOP));
    expect(mp?.contentKey).toBe(contentKeyOf(MOBILE));
  });

  it('builds a miniprogram:// url from appid (or name) and pagePath', () => {
    expect(recognizeMiniProgram({ appid: 'wxffff', description: '科普中国', title: '黑洞', pagePath: 'pages/detail?id=1' })).toEqual({
      contentKey: 'kepu:item:1',
      url: 'miniprogram://wxffff/pages/detail?id=1',
      title: '黑洞',
      kind: 'mini-program',
    });
    expect(recognizeMiniProgram({ description: '科普中国', pagePath: 'pages/detail?id=1' })?.url).toBe(
      'miniprogram://科普中国/pages/detail?id=1',
    );
  });
});
