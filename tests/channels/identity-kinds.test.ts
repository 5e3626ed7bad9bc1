import { identityKindsOf, identitySpecs } from '../../src/channels/registry';
import { loadConfig } from '../../src/config';
import { IdentityKinds, WECHAT_CONTACT } from '../../src/domain/identity-kinds';
import { builtInIdentityKinds } from '../../src/services/channels';

const WECOM = {
  WECOM_CORP_ID: 'ww1234567890abcdef',
  WECOM_AGENT_ID: '1000002',
  WECOM_SECRET: 'wecom-secret-0123456789',
  WECOM_TOKEN: 't',
  WECOM_ENCODING_AES_KEY: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
};

describe('identity kinds: declared by the channels, read from one registry', () => {
  it('the registry lists each channel’s kind, then the WeChat contact, available when its channel is configured', () => {
    const kinds = identityKindsOf(loadConfig({ LOG_LEVEL: 'silent', ...WECOM }));
    expect(kinds.all.map((k) => [k.kind, k.label, k.unavailable === null])).toEqual([
      ['wecom-user', '企业微信 UserID', true],
      ['openid', '公众号 OpenID', false],
      ['wechat-contact', '微信联系人 ID', true],
    ]);
    expect(kinds.get('openid')?.unavailable).toBe('公众号未配置：需要在 .env 中设置 MP_APP_ID、MP_TOKEN（见 README 配置表）');
    expect(identitySpecs().map((k) => k.flag)).toEqual(['wecom-user', 'openid', 'wechat-contact']);
  });

  it('services built without the registry (tests, bench) get the same kinds as the registry gives the server', () => {
    for (const env of [{}, WECOM, { MP_APP_ID: 'wx1234567890abcdef', MP_TOKEN: 'mptoken123' }]) {
      const config = loadConfig({ LOG_LEVEL: 'silent', ...env });
      expect(builtInIdentityKinds(config).all).toEqual(identityKindsOf(config).all);
    }
  });

  it('checks ids: an unknown kind, the same kind twice is impossible, too long, spaces, a kind’s own rule', () => {
    const kinds = new IdentityKinds([
      { ...WECHAT_CONTACT, unavailable: null },
      {
        kind: 'x-user',
        label: 'X 账号',
        short: 'X',
        flag: 'x-user',
        maxLength: 8,
        check: (id) => (id.startsWith('x') ? null : '应以 x 开头'),
        unavailable: null,
      },
    ]);
    expect(kinds.problem([])).toBe('请至少给出一种联系方式：--wechat-contact、--x-user');
    expect(kinds.problem([{ kind: 'dingtalk', externalId: 'd1' }])).toBe('不认识的联系方式“dingtalk”（可用：wechat-contact、x-user）');
    expect(kinds.problem([{ kind: 'x-user', externalId: 'x123456789' }])).toBe('X 账号最多 8 个字符');
    expect(kinds.problem([{ kind: 'x-user', externalId: 'y1' }])).toBe('X 账号应以 x 开头');
    expect(kinds.problem([{ kind: 'wechat-contact', externalId: 'wx 1' }])).toBe('微信联系人 ID不能包含空格或控制字符');
    expect(
      kinds.problem([
        { kind: 'x-user', externalId: 'x1' },
        { kind: 'wechat-contact', externalId: 'wxid_1' },
      ]),
    ).toBeNull();
    expect(kinds.labels()).toBe('微信联系人 ID 或X 账号');
    expect(
      () =>
        new IdentityKinds([
          { ...WECHAT_CONTACT, unavailable: null },
          { ...WECHAT_CONTACT, unavailable: null },
        ]),
    ).toThrow('declared twice');
  });
});
