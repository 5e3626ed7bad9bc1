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
  /**
   * Written by hand from the scripts' headers (the manager and staff commands, in script-file
   * order, then line order): the expectation the parser is checked against, not a second parser.
   */
  const DECLARED: ReadonlyArray<[script: string, words: string[]]> = [
    ['console-login.ts', ['登录']],
    ['help.ts', ['帮助']],
    ['station-activity-edit.ts', ['修改', '撤销']],
    ['station-activity-list.ts', ['活动列表']],
    ['station-activity-log.ts', ['活动']],
    ['station-informants.ts', ['添加信息员', '停用信息员', '未确认', '确认']],
    ['station-month.ts', ['本月', '上月']],
    ['station-resources.ts', ['宣传栏', '大屏']],
  ];
  const WORDS = DECLARED.flatMap(([, words]) => words);

  /** A copy of the scripts folder to edit. */
  async function copyOfScripts(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'kepubot-scripts-'));
    for (const file of await readdir(SCRIPTS_DIR)) await writeFile(join(dir, file), await readFile(join(SCRIPTS_DIR, file)));
    return dir;
  }

  it('are the words the manager and staff scripts declare, informant-only and automatic entries left out', () => {
    expect(commandWords(readHelp())).toEqual(WORDS);
  });

  it('lose a command when a script’s header loses it', async () => {
    const dir = await copyOfScripts();
    try {
      const file = join(dir, 'station-informants.ts');
      const source = await readFile(file, 'utf8');
      const line = '//   未确认 - 列出本站群里转发了但还没绑定名册的成员\n';
      expect(source).toContain(line);
      await writeFile(file, source.replace(line, ''));
      const words = commandWords(readHelp(dir));
      expect(words).toEqual(WORDS.filter((w) => w !== '未确认'));
      expect(words).not.toEqual(WORDS);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a command added in a script’s header is suggested', async () => {
    const dir = await copyOfScripts();
    try {
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
      // station-weather.ts sorts after station-resources.ts and before unknown-command.ts.
      expect(words).toEqual([...WORDS, '天气']);
      expect(suggestCommand('天汽 明天', words)).toBe('天气');
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
