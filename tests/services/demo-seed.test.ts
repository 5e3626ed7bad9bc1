import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli';
import { ManualClock } from '../../src/clock';
import { loadConfig } from '../../src/config';
import { daysBefore } from '../../src/domain/calendar';
import { parsePeriod, periodBefore } from '../../src/domain/periods';
import { JobRunner } from '../../src/jobs/runner';
import { createLogger } from '../../src/logger';
import { createServices, type Services } from '../../src/services';
import { DEMO_COUNTY, seedDemo, type DemoSeed } from '../../src/services/demo-seed.service';
import { createTestDatabase, type TestDatabase } from '../support/db';

const log = createLogger(process.env.SEED_LOG ?? 'silent');
/** Friday 4 December 2026, 10:00 in Shanghai. */
const NOW = new Date('2026-12-04T02:00:00Z');
const TODAY = '2026-12-04';

describe('the demo county starts with a quarter of history', () => {
  let db: TestDatabase;
  let services: Services;
  let seeded: DemoSeed;
  let countyId: number;
  const config = loadConfig({ LOG_LEVEL: 'silent' });

  beforeAll(async () => {
    db = await createTestDatabase();
    services = createServices(db.ds, config);
    seeded = await seedDemo(services, db.ds, NOW, log);
    [{ id: countyId }] = await db.ds.query(`SELECT id FROM region WHERE name = $1`, [DEMO_COUNTY.county]);
  }, 120_000);

  afterAll(async () => {
    await db.close();
  });

  it('four stations, one of them counting only from 38 days ago, with groups bound', async () => {
    const rows: Array<{ name: string; counting_from: string }> = await db.ds.query(
      `SELECT name, to_char(counting_from, 'YYYY-MM-DD') AS counting_from FROM station ORDER BY id`,
    );
    expect(rows).toEqual([
      { name: '城关社区e站', counting_from: daysBefore(TODAY, 91) },
      { name: '红旗嘎查e站', counting_from: daysBefore(TODAY, 91) },
      { name: '第一中学e站', counting_from: daysBefore(TODAY, 91) },
      { name: '人民医院e站', counting_from: daysBefore(TODAY, 38) },
    ]);
    expect(seeded.groups.map((g) => g.roomId)).toEqual([1, 2, 3, 4].map((i) => `demo-room-${i}@chatroom`));
    expect(seeded.history).not.toBeNull();
  });

  it('effective shares on at least 60 of the last 90 days, and not the same every day', async () => {
    const days: Array<{ day: string; n: string }> = await db.ds.query(
      `SELECT day::text, sum(effective_shares) AS n FROM daily_rollup WHERE day >= $1 AND day < $2 GROUP BY day`,
      [daysBefore(TODAY, 90), TODAY],
    );
    expect(days.filter((d) => Number(d.n) > 0).length).toBeGreaterThanOrEqual(60);
    const counts = new Set(days.map((d) => Number(d.n)));
    expect(counts.size).toBeGreaterThan(10);
  });

  it('one station meets the quota of 3 a day over the quarter so far and one does not', async () => {
    const table = await services.statistics.stationTable(countyId, parsePeriod('2026Q4')!, TODAY);
    const per = new Map(table.rows.map((r) => [r.name, r.figures.perInformantDay]));
    expect(per.get('城关社区e站')).toBeGreaterThanOrEqual(3);
    expect(per.get('红旗嘎查e站')).toBeLessThan(3);
    expect(per.get('红旗嘎查e站')).toBeGreaterThan(0);
  });

  it('activities with 50 people or more and with fewer, resource logs, a disabled informant, unconfirmed members', async () => {
    const [a]: Array<{ big: string; small: string }> = await db.ds.query(
      `SELECT count(*) FILTER (WHERE participants >= 50) AS big, count(*) FILTER (WHERE participants < 50) AS small FROM activity`,
    );
    expect(Number(a.big)).toBeGreaterThan(0);
    expect(Number(a.small)).toBeGreaterThan(0);
    const [r]: Array<{ bulletins: string; screens: string }> = await db.ds.query(
      `SELECT count(*) FILTER (WHERE kind = 'bulletin') AS bulletins, count(*) FILTER (WHERE kind = 'screen') AS screens FROM resource_log`,
    );
    expect(Number(r.bulletins)).toBeGreaterThan(0);
    expect(Number(r.screens)).toBeGreaterThan(0);
    const disabled: Array<{ name: string }> = await db.ds.query(`SELECT name FROM informant WHERE status = 'disabled'`);
    expect(disabled).toHaveLength(1);
    const [u]: Array<{ n: string }> = await db.ds.query(
      `SELECT count(DISTINCT talker_id) AS n FROM share_event WHERE informant_id IS NULL`,
    );
    expect(Number(u.n)).toBeGreaterThanOrEqual(4);
  });

  it("last week's digest names the bottom station, titles instead of bare URLs, and goes to the demo inbox", async () => {
    const runner = new JobRunner(db.ds, services, config, log);
    const lastWeek = periodBefore('week', parsePeriod('2026-W49')!.from);
    const [run] = await runner.run('weekly-digest', lastWeek, NOW, { countyIds: [countyId], dryRun: true });
    expect(run.waiting).toEqual([]);
    expect(run.messages).toHaveLength(1);
    const [msg] = run.messages;
    expect(msg.channel).toBe('demo');
    expect(msg.payload.text).toContain('**排名靠后的e站**：红旗嘎查e站');
    const content = msg.payload.text.slice(msg.payload.text.indexOf('转发最多的内容'));
    expect(content).not.toContain('https://');
    expect(content).toMatch(/1\. [^h].+：\d+ 人转发到 \d+ 个群，有效转发 \d+ 条/);
    expect(msg.payload.file?.name).toBe('演示旗-2026-W48-周统计表.xlsx');
  });

  it('is seeded once: a second start keeps the history as it is', async () => {
    const before: Array<{ n: string }> = await db.ds.query(`SELECT count(*) AS n FROM share_event`);
    const again = await seedDemo(services, db.ds, new Date(NOW.getTime() + 3600_000), log);
    expect(again.history).toBeNull();
    expect(await db.ds.query(`SELECT count(*) AS n FROM share_event`)).toEqual(before);
  });

  describe('kepubot --demo runs a command on the demo database, not the real one', () => {
    let real: TestDatabase;
    let dir: string;
    let env: Record<string, string>;
    const cli = async (...argv: string[]) => {
      const lines: string[] = [];
      const code = await runCli(argv, env, { out: (l) => lines.push(l), err: (l) => lines.push(l) }, new ManualClock(NOW));
      return { code, text: lines.join('\n') };
    };

    beforeAll(async () => {
      real = await createTestDatabase();
      dir = await mkdtemp(join(tmpdir(), 'kepubot-demo-cli-'));
      env = { DATABASE_URL: real.url, DEMO_DATABASE_URL: db.url, LOG_LEVEL: 'silent' };
    });
    afterAll(async () => {
      await real.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('report quarterly finds the demo county with --demo, and not without', async () => {
      const out = join(dir, 'q4.xlsx');
      expect(await cli('--demo', 'report', 'quarterly', '--county', '演示旗', '--quarter', '2026Q4', '--out', out)).toEqual({
        code: 0,
        text: `已生成 ${out}：演示旗 2026年第4季度，4 个e站`,
      });
      const without = await cli('report', 'quarterly', '--county', '演示旗', '--quarter', '2026Q4', '--out', out);
      expect(without.code).toBe(1);
      expect(without.text).toContain('演示旗');
    });

    it('run weekly-digest --dry-run prints the digest the demo inbox would get', async () => {
      const r = await cli('--demo', 'run', 'weekly-digest', '--dry-run');
      expect(r.code).toBe(0);
      const lines = r.text.split('\n');
      expect(lines[0]).toBe(`== weekly-digest county:${countyId} 2026-W48 （试运行，未发送）`);
      expect(lines[1]).toBe(`-> demo county:${countyId} 附件 演示旗-2026-W48-周统计表.xlsx`);
      expect(lines[2]).toBe('## 演示旗 科普e站周报');
      // Nothing was stored: a dry run.
      expect(await db.ds.query(`SELECT count(*)::int AS n FROM job_run`)).toEqual([{ n: 0 }]);
    });
  });
});

describe('DEMO_HISTORY_DAYS=0: the demo county without a past', () => {
  it('has its stations, groups and rosters, nobody bound and no shares; its inbox is the demo one', async () => {
    const db = await createTestDatabase();
    try {
      const config = loadConfig({ LOG_LEVEL: 'silent', DEMO_HISTORY_DAYS: '0' });
      const seeded = await seedDemo(createServices(db.ds, config), db.ds, NOW, log, config.wechat.demoHistoryDays);
      expect(seeded.groups.every((g) => g.members.every((m) => !m.bound))).toBe(true);
      expect(
        await db.ds.query(`SELECT
          (SELECT count(*) FROM station)::int AS stations,
          (SELECT count(*) FROM informant WHERE status = 'active')::int AS informants,
          (SELECT count(*) FROM informant WHERE wechat_contact_id IS NOT NULL)::int AS bound,
          (SELECT count(*) FROM share_event)::int AS shares,
          (SELECT count(*) FROM activity)::int AS activities,
          (SELECT count(*) FROM region WHERE demo_inbox)::int AS inboxes`),
      ).toEqual([{ stations: 4, informants: 78, bound: 0, shares: 0, activities: 0, inboxes: 1 }]);
    } finally {
      await db.close();
    }
  });
});
