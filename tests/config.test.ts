import { ConfigError, loadConfig } from '../src/config';

describe('loadConfig', () => {
  it('runs with nothing configured: embedded PostgreSQL, demo WeChat, port 3000 on 127.0.0.1', () => {
    const c = loadConfig({});
    expect(c.http).toEqual({
      host: '127.0.0.1',
      port: 3000,
      trustProxy: false,
      headersTimeoutMs: 20_000,
      requestTimeoutMs: 120_000,
      keepAliveTimeoutMs: 5_000,
    });
    // The one WeChat account serves every county.
    expect(c.wechat.accountCounties).toEqual([]);
    expect(c.database.url).toBeUndefined();
    expect(c.database.dataDir).toBe('./data');
    expect(c.wechat.puppetService).toBeUndefined();
    expect(c.counting.dailyQuota).toBe(3);
    expect(c.links.miniProgramNames).toEqual(['科普中国']);
  });

  it('reads lists, booleans and the puppet service settings', () => {
    const c = loadConfig({
      KEPU_EXTRA_DOMAINS: 'kepu.example.cn, science.example.org',
      KEPU_MINIPROGRAM_NAMES: '科普中国，科普中国e站',
      WECHATY_PUPPET_SERVICE_TOKEN: 'puppet_xxx_token',
      WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT: 'true',
      PORT: '0',
    });
    expect(c.links.extraDomains).toEqual(['kepu.example.cn', 'science.example.org']);
    expect(c.links.miniProgramNames).toEqual(['科普中国', '科普中国e站']);
    expect(c.wechat.puppetService).toEqual({ token: 'puppet_xxx_token', endpoint: undefined, noTlsInsecureClient: true });
    expect(c.http.port).toBe(0);
  });

  it('reads extra content URL shapes (KEPU_URL_RULES) and the items counted per message', () => {
    const c = loadConfig({
      KEPU_EXTRA_DOMAINS: 'kepu.example.cn',
      KEPU_URL_RULES: 'special:www.kepuchina.cn/special/specialinfo?id, news:kepu.example.cn/detail?newsId',
      SHARE_ITEMS_PER_MESSAGE_MAX: '5',
    });
    expect(c.links.urlRules).toEqual([
      { kind: 'special', host: 'www.kepuchina.cn', path: '/special/specialinfo', param: 'id' },
      { kind: 'news', host: 'kepu.example.cn', path: '/detail', param: 'newsId' },
    ]);
    expect(c.counting.itemsPerMessage).toBe(5);
    expect(loadConfig({}).counting.itemsPerMessage).toBe(3);
    expect(loadConfig({}).links.urlRules).toEqual([]);
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: ' ' }).database.url).toBeUndefined();
  });

  it.each([
    ['PORT', 'abc', /PORT: .*got "abc"/],
    ['PORT', '70000', /PORT/],
    ['DATABASE_URL', 'mysql://x', /DATABASE_URL: should look like postgres:\/\/user:password@host:5432\/kepubot/],
    ['DAILY_SHARE_QUOTA', '0', /DAILY_SHARE_QUOTA/],
    ['WECHATY_PUPPET_SERVICE_ENDPOINT', 'no-port', /WECHATY_PUPPET_SERVICE_ENDPOINT: should be host:port/],
    ['WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT', 'maybe', /WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT: should be true or false/],
    ['KEPU_EXTRA_DOMAINS', 'not a domain!', /KEPU_EXTRA_DOMAINS/],
    ['KEPU_MINIPROGRAM_APPIDS', 'wx123', /KEPU_MINIPROGRAM_APPIDS.*wx \+ 16 hex digits/],
    [
      'KEPU_URL_RULES',
      'www.kepuchina.cn/special/specialinfo?id',
      /KEPU_URL_RULES: rule "www\.kepuchina\.cn\/special\/specialinfo\?id" should be kind:host\/path\?param/,
    ],
    ['KEPU_URL_RULES', 'special:www.example.com/a?id', /KEPU_URL_RULES: .*not kepuchina\.cn or a KEPU_EXTRA_DOMAINS domain/],
    ['SHARE_ITEMS_PER_MESSAGE_MAX', '0', /SHARE_ITEMS_PER_MESSAGE_MAX/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL/],
  ])('stops on a bad %s (%s) naming the variable', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it('lists every bad variable at once', () => {
    try {
      loadConfig({ PORT: 'x', DAILY_SHARE_QUOTA: 'y' });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems.map((p) => p.split(':')[0]).sort()).toEqual(['DAILY_SHARE_QUOTA', 'PORT']);
    }
  });

  it('turns a manager channel on only when all its settings are there, and names what a half-configured one lacks', () => {
    expect(loadConfig({}).wecom).toBeUndefined();
    expect(loadConfig({}).mp).toBeUndefined();
    const full = loadConfig({
      WECOM_CORP_ID: 'ww1234567890abcdef',
      WECOM_AGENT_ID: '1000002',
      WECOM_SECRET: 'secret-secret',
      WECOM_TOKEN: 'QDG6eK',
      WECOM_ENCODING_AES_KEY: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
      MP_APP_ID: 'wx0123456789abcdef',
      MP_TOKEN: 'mpToken',
    });
    expect(full.wecom).toMatchObject({ corpId: 'ww1234567890abcdef', agentId: 1000002, apiBase: 'https://qyapi.weixin.qq.com' });
    expect(full.mp).toEqual({ appId: 'wx0123456789abcdef', appSecret: undefined, token: 'mpToken', encodingAesKey: undefined });

    expect(() => loadConfig({ WECOM_CORP_ID: 'ww1234567890abcdef', WECOM_TOKEN: 'QDG6eK' })).toThrow(ConfigError);
    try {
      loadConfig({ WECOM_CORP_ID: 'ww1234567890abcdef', WECOM_TOKEN: 'QDG6eK' });
    } catch (err) {
      expect((err as ConfigError).problems.map((p) => p.split(':')[0]).sort()).toEqual([
        'WECOM_AGENT_ID',
        'WECOM_ENCODING_AES_KEY',
        'WECOM_SECRET',
      ]);
    }
    expect(() => loadConfig({ MP_TOKEN: 'mpToken' })).toThrow(/MP_APP_ID: missing/);
    expect(() => loadConfig({ WECOM_ENCODING_AES_KEY: 'too-short' })).toThrow(
      /WECOM_ENCODING_AES_KEY: should be the 43-character EncodingAESKey/,
    );
  });

  it('keeps raw shares 36 months unless RAW_RETENTION_MONTHS says otherwise, and stops on a bad value naming it', () => {
    expect(loadConfig({}).retention).toEqual({ rawMonths: 36 });
    expect(loadConfig({ RAW_RETENTION_MONTHS: '24' }).retention).toEqual({ rawMonths: 24 });
    for (const [value, message] of [
      ['三年', /RAW_RETENTION_MONTHS: should be a whole number of months, e\.g\. 36 \(got "三年"\)/],
      ['36.5', /RAW_RETENTION_MONTHS: should be a whole number of months/],
      ['6', /RAW_RETENTION_MONTHS: should be at least 12/],
      ['5000', /RAW_RETENTION_MONTHS: should be at most 1200/],
    ] as const) {
      expect(() => loadConfig({ RAW_RETENTION_MONTHS: value })).toThrow(ConfigError);
      expect(() => loadConfig({ RAW_RETENTION_MONTHS: value })).toThrow(message);
    }
  });
});
