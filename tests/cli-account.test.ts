import { runCli } from '../src/cli';
import { createTestDatabase, type TestDatabase } from './support/db';

const TOKEN = 'puppet_padlocal_0123456789abcdefWXYZ';

/** `kepubot account …`: accounts as data, validated, the token never printed nor audited. */
describe('kepubot account (in-process, real PostgreSQL)', () => {
  let db: TestDatabase;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase();
    env = { DATABASE_URL: db.url, LOG_LEVEL: 'silent' };
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

  it('adds accounts (counties by name), lists them without the token, pauses, resumes and removes them', async () => {
    expect((await cli('station', 'add', '城关e站', '--county', '城关旗')).code).toBe(0);
    expect((await cli('station', 'add', '东风e站', '--county', '东风旗')).code).toBe(0);
    expect((await cli('account', 'list')).out).toBe('还没有微信号。用 kepubot account add <名称> --endpoint 主机:端口 --token TOKEN 添加');

    const one = await cli('account', 'add', '工作号1', '--endpoint', '10.0.0.2:8788', '--token', TOKEN);
    expect(one).toMatchObject({ code: 0, err: '' });
    expect(one.out).toContain('已添加微信号“工作号1”（编号 1，服务所有旗县区）');
    const two = await cli(
      'account',
      'add',
      '工作号2',
      '--endpoint',
      'puppet.example.cn:443',
      '--token',
      TOKEN,
      '--insecure',
      '--county',
      '城关旗',
      '--county',
      '东风旗',
    );
    expect(two.out).toContain('已添加微信号“工作号2”（编号 2，服务 城关旗、东风旗）');

    const list = await cli('account', 'list');
    expect(list.out.split('\n')).toEqual([
      '名称\t状态\t微信名\t群\t最近消息\t今日发送\t持有进程\t旗县区',
      '工作号1\t无进程连接\t—\t—\t—\t0\t—\t全部',
      '工作号2\t无进程连接\t—\t—\t—\t0\t—\t东风旗、城关旗',
    ]);
    const rows: Array<{ name: string; endpoint: string; tls: boolean; token: string }> = await db.ds.query(
      `SELECT name, endpoint, tls, token FROM bot_account ORDER BY id`,
    );
    expect(rows).toEqual([
      { name: '工作号1', endpoint: '10.0.0.2:8788', tls: true, token: TOKEN },
      { name: '工作号2', endpoint: 'puppet.example.cn:443', tls: false, token: TOKEN },
    ]);

    expect((await cli('account', 'pause', '工作号1')).out).toBe('已暂停微信号“工作号1”');
    expect((await cli('account', 'list')).out).toContain('工作号1\t已暂停');
    expect((await cli('account', 'resume', '工作号1')).out).toBe('已恢复微信号“工作号1”');
    expect((await cli('account', 'remove', '工作号2')).out).toBe('已移除微信号“工作号2”');
    expect((await cli('account', 'list')).out).not.toContain('工作号2');

    // The audit log names the command, never the token.
    const audit: Array<{ command: string }> = await db.ds.query(`SELECT command FROM audit_log WHERE command LIKE 'account%' ORDER BY id`);
    expect(audit.map((a) => a.command)).toContain('account add 工作号2');
    expect(JSON.stringify(audit)).not.toContain(TOKEN);
  });

  it('refuses bad input in Chinese and stores nothing half way', async () => {
    const cases: Array<[string[], string]> = [
      [['account', 'add', '坏 名字', '--endpoint', '10.0.0.2:8788', '--token', TOKEN], '微信号名称应为 1–32 个字'],
      [
        ['account', 'add', '工作号3', '--endpoint', '10.0.0.2', '--token', TOKEN],
        '--endpoint 应为 主机:端口，例如 10.0.0.2:8788（收到“10.0.0.2”）',
      ],
      [['account', 'add', '工作号3', '--endpoint', '10.0.0.2:70000', '--token', TOKEN], '--endpoint 应为 主机:端口'],
      [['account', 'add', '工作号3', '--endpoint', '10.0.0.2:8788', '--token', 'short'], '--token 应为 puppet 服务商给的 token'],
      [
        ['account', 'add', '工作号3', '--endpoint', '10.0.0.2:8788', '--token', TOKEN, '--county', '城关旗', '--county', '西山旗'],
        '找不到旗县区“西山旗”',
      ],
      [['account', 'add', '工作号1', '--endpoint', '10.0.0.2:8788', '--token', TOKEN], '已有名为“工作号1”的微信号'],
      [['account', 'add', '工作号2', '--endpoint', '10.0.0.2:8788', '--token', TOKEN], '微信号“工作号2”已移除过，名称不能再用'],
      [['account', 'pause', '没有这个号'], '没有名为“没有这个号”的微信号'],
      [['account', 'remove', '工作号2'], '没有名为“工作号2”的微信号'],
    ];
    for (const [argv, message] of cases) {
      const r = await cli(...argv);
      expect({ argv, code: r.code }).toEqual({ argv, code: 1 });
      expect(r.err).toContain(message);
      expect(r.err).not.toContain(TOKEN);
    }
    const missing = await cli('account', 'add', '工作号3', '--endpoint', '10.0.0.2:8788');
    expect(missing.code).not.toBe(0);
    expect(missing.err).toContain('--token');
    const [{ n }] = await db.ds.query(`SELECT count(*)::int AS n FROM bot_account WHERE name = '工作号3'`);
    expect(n).toBe(0);
    const [{ c }] = await db.ds.query(`SELECT count(*)::int AS c FROM bot_account_county`);
    expect(c).toBe(2);
  });
});
