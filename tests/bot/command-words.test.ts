import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage } from '../../src/bot/context';
import { Robot } from '../../src/bot/robot';
import { commandWords, loadScripts, readHelp, SCRIPTS_DIR } from '../../src/bot/script-loader';
import { ManualClock } from '../../src/clock';
import { loadConfig } from '../../src/config';
import { suggestCommand } from '../../src/domain/station-commands';
import { createLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import { createServices } from '../../src/services';
import { createTestDatabase, type TestDatabase } from '../support/db';

/**
 * The command words for "did you mean" come from the bot-scripts' own headers, so a command
 * added to a script is suggested without editing a list elsewhere.
 */
describe('command words come from the scripts’ declarations', () => {
  /** Read straight from the files: first word of every `Commands:` line of a manager/staff script. */
  async function declaredInFiles(dir: string): Promise<string[]> {
    const words: string[] = [];
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.ts') || f.endsWith('.js'))) {
      const source = await readFile(join(dir, file), 'utf8');
      const header = source.slice(0, source.search(/^(?!\/\/)/m));
      const audience = header.match(/\/\/ Audience:\n\/\/\s+(.*)/)?.[1] ?? 'informant';
      if (!/manager|staff/.test(audience)) continue;
      const commands = header.match(/\/\/ Commands:\n((?:\/\/ {3}.*\n)+)/)?.[1] ?? '';
      for (const line of commands.split('\n').filter(Boolean)) {
        const word = line.replace(/^\/\/\s+#?/, '').split(/\s+/)[0];
        if (!word.startsWith('(')) words.push(word);
      }
    }
    return [...new Set(words)].sort();
  }

  it('equal the words the scripts declare, and the list that used to be kept by hand', async () => {
    const words = commandWords(readHelp());
    expect([...words].sort()).toEqual(await declaredInFiles(SCRIPTS_DIR));
    expect([...words].sort()).toEqual(
      [
        '活动',
        '活动列表',
        '修改',
        '撤销',
        '本月',
        '上月',
        '添加信息员',
        '停用信息员',
        '未确认',
        '确认',
        '宣传栏',
        '大屏',
        '帮助',
        '登录',
      ].sort(),
    );
  });

  it('a command added in a script’s header is suggested', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kepubot-scripts-'));
    try {
      for (const file of await readdir(SCRIPTS_DIR)) await writeFile(join(dir, file), await readFile(join(SCRIPTS_DIR, file)));
      expect(suggestCommand('天汽 明天', commandWords(readHelp(dir)))).toBeNull();
      await writeFile(
        join(dir, 'station-weather.ts'),
        [
          '// Description:',
          '//   Weather at the station.',
          '//',
          '// Commands:',
          '//   天气 [日期] - 查看本站天气',
          '//',
          '// Audience:',
          '//   manager',
          '',
          'export default function weather(): void {}',
          '',
        ].join('\n'),
      );
      const words = commandWords(readHelp(dir));
      expect(words).toContain('天气');
      expect(suggestCommand('天汽 明天', words)).toBe('天气');
      expect(await declaredInFiles(dir)).toEqual([...words].sort());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  describe('on the running robot', () => {
    let db: TestDatabase;
    let robot: Robot;
    const replies: string[] = [];
    let n = 0;
    const send = async (text: string) => {
      const message: IncomingMessage = {
        id: `cw-${++n}`,
        channel: 'wecom',
        text,
        kind: 'text',
        sentAt: new Date('2026-11-25T02:00:00Z'),
        sender: { id: 'someone', name: '' },
        links: [],
      };
      await robot.receive(message, async (t) => {
        replies.push(t);
      });
    };

    beforeAll(async () => {
      db = await createTestDatabase();
      const config = loadConfig({ LOG_LEVEL: 'silent' });
      const log = createLogger('silent');
      const metrics = createMetrics();
      robot = new Robot({
        services: createServices(db.ds, config, metrics, log),
        config,
        clock: new ManualClock(new Date('2026-11-25T02:00:00Z')),
        log,
        metrics,
      });
      loadScripts(robot);
    });
    afterAll(async () => {
      await db.close();
    });

    it('every declared word reaches a command of its own, not the unknown-command answer', async () => {
      const words = commandWords(robot.help);
      expect(words.length).toBeGreaterThan(10);
      for (const word of words) await send(word);
      const rows: Array<{ command: string; listener_id: string }> = await db.ds.query(
        `SELECT command, listener_id FROM audit_log ORDER BY id`,
      );
      expect(rows.map((r) => r.command)).toEqual(words);
      expect(rows.filter((r) => r.listener_id === 'station.unknown')).toEqual([]);
    });

    it('a slip is answered with the nearest declared word', async () => {
      replies.length = 0;
      await send('活东 11月20日');
      expect(replies).toHaveLength(1);
      expect(replies[0]).toContain('您是不是要用“活动”');
    });
  });
});
