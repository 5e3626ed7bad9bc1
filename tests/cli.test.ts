import { runCli } from '../src/cli';
import { createTestDatabase, type TestDatabase } from './support/db';

describe('kepubot CLI (in-process, real PostgreSQL)', () => {
  let db: TestDatabase;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase();
    // WeCom and the Official Account configured, so their handles may be registered (the CLI never calls them here).
    env = {
      DATABASE_URL: db.url,
      LOG_LEVEL: 'silent',
      WECOM_CORP_ID: 'ww1234567890abcdef',
      WECOM_AGENT_ID: '1000002',
      WECOM_SECRET: 'secret-secret',
      WECOM_TOKEN: 'kepubot',
      WECOM_ENCODING_AES_KEY: 'k'.repeat(43),
      MP_APP_ID: 'wx0123456789abcdef',
      MP_TOKEN: 'kepubot',
    };
  });

  afterAll(async () => {
    await db.close();
  });

  async function cli(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, env, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it('adds stations with their regions and lists them', async () => {
    const r = await cli('station', 'add', '城关社区e站', '--county', '演示旗', '--prefecture', '演示市', '--type', 'community');
    expect(r).toMatchObject({ code: 0 });
    expect(r.out).toContain('已添加e站“城关社区e站”');
    const list = await cli('station', 'list');
    expect(list.out).toMatch(/城关社区e站\t演示旗\tcommunity\tactive/);
    const bad = await cli('station', 'add', '某站', '--county', '演示旗', '--type', 'castle');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('e站类型应为');
  });

  it('binds groups by room id or exact topic, and explains what it cannot bind', async () => {
    await db.ds.query(
      `INSERT INTO wechat_group (room_id, topic) VALUES ('r1@chatroom', '城关科普群'), ('r2@chatroom', '同名群'), ('r3@chatroom', '同名群')`,
    );
    expect((await cli('group', 'bind', '城关科普群', '--station', '城关社区e站')).out).toContain(
      '已将群“城关科普群”（r1@chatroom）绑定到“城关社区e站”',
    );
    expect((await cli('group', 'bind', 'r9@chatroom', '--station', '城关社区e站')).code).toBe(0);

    const ambiguous = await cli('group', 'bind', '同名群', '--station', '城关社区e站');
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.err).toContain('有 2 个群都叫“同名群”，请改用群 ID');
    const unknown = await cli('group', 'bind', '不存在的群', '--station', '城关社区e站');
    expect(unknown.err).toContain('机器人还没见过群“不存在的群”');
    const noStation = await cli('group', 'bind', 'r2@chatroom', '--station', '无此站');
    expect(noStation.err).toContain('找不到e站“无此站”');

    const list = await cli('group', 'list');
    expect(list.out).toContain('r1@chatroom\t城关科普群\t城关社区e站');
    expect(list.out).toContain('r2@chatroom\t同名群\t未绑定');

    const audit: Array<{ listener_id: string; outcome: string }> = await db.ds.query(
      `SELECT listener_id, outcome FROM audit_log WHERE channel = 'cli' AND listener_id = 'cli.group.bind' ORDER BY id`,
    );
    expect(audit.map((a) => a.outcome)).toEqual(['ok', 'ok', 'invalid', 'invalid', 'invalid']);
  });

  it('reports missing options and bad configuration with a non-zero exit', async () => {
    const missing = await cli('group', 'bind', 'r1@chatroom');
    expect(missing.code).not.toBe(0);
    expect(missing.err).toContain('--station');
    const out: string[] = [];
    const code = await runCli(['group', 'list'], { DATABASE_URL: 'mysql://nope' }, { out: (l) => out.push(l), err: (l) => out.push(l) });
    expect(code).toBe(2);
    expect(out.join('\n')).toContain('DATABASE_URL');
  });

  it('registers station managers and county staff, refusing unknown stations and reused handles', async () => {
    const ok = await cli('manager', 'add', '--station', '城关社区e站', '--wecom-user', 'zhangsan', '--name', '张三');
    expect(ok).toMatchObject({ code: 0, out: '已登记“城关社区e站”的管理员 张三（企业微信 zhangsan）' });
    expect((await cli('manager', 'add', '--station', '无此站', '--openid', 'o1')).err).toContain('找不到e站“无此站”');
    expect((await cli('manager', 'add', '--station', '城关社区e站')).err).toContain('请至少给出一种联系方式');
    expect((await cli('staff', 'add', '--county', '演示旗', '--wecom-user', 'zhangsan')).err).toContain(
      '已登记为e站管理员或旗县区工作人员',
    );
    expect((await cli('staff', 'add', '--county', '演示旗', '--openid', 'o-wang', '--wechat-contact', 'wx-wang')).out).toBe(
      '已登记演示旗的工作人员（公众号 o-wang、微信 wx-wang）',
    );
    const [{ managers }] = await db.ds.query(`SELECT count(*)::int AS managers FROM station_manager`);
    expect(managers).toBe(1);
  });
});
