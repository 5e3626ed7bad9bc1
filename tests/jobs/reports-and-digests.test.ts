import ExcelJS from 'exceljs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli';
import { createDeliver } from '../../src/channels/outbound';
import { WecomApiClient } from '../../src/channels/wecom/wecom-api';
import { loadConfig, type AppConfig } from '../../src/config';
import { parsePeriod } from '../../src/domain/periods';
import { createLogger } from '../../src/logger';
import { createServices, type Services } from '../../src/services';
import { JobRunner } from '../../src/jobs/runner';
import { OutboxWorker } from '../../src/jobs/outbox';
import { ScheduleError, Scheduler } from '../../src/jobs/scheduler';
import { ManualClock } from '../../src/clock';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startFakeWecom, type FakeWecom } from '../support/fake-wecom';
import { STATION_HEADERS } from '../support/filed-headers';

const log = createLogger('silent');
const CORP = 'ww1234567890abcdef';

/**
 * A county of two stations with hand-made rollups and activities in 2026Q3, so every figure
 * below is computed by hand in the test, independently of kepubot's SQL.
 */
describe('quarterly and weekly tables (.xlsx) and the weekly digest to WeCom', () => {
  let db: TestDatabase;
  let services: Services;
  let fake: FakeWecom;
  let dir: string;
  let config: AppConfig;
  /** The CLI's environment: this database, and WeCom configured against the fake. */
  let env: Record<string, string>;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    db = await createTestDatabase();
    fake = await startFakeWecom({ corpId: CORP, secret: 'secret-secret' });
    const wecom = {
      WECOM_CORP_ID: CORP,
      WECOM_AGENT_ID: '1000002',
      WECOM_SECRET: 'secret-secret',
      WECOM_TOKEN: 'kepubot',
      WECOM_ENCODING_AES_KEY: 'k'.repeat(43),
      WECOM_API_BASE: fake.url,
    };
    config = loadConfig({ LOG_LEVEL: 'silent', ...wecom });
    env = { DATABASE_URL: db.url, LOG_LEVEL: 'silent', ...wecom };
    dir = await mkdtemp(join(tmpdir(), 'kepubot-report-'));
    services = createServices(db.ds, config);
    const east = await services.stations.add({ name: '东站', county: '报表旗' });
    const west = await services.stations.add({ name: '西站', county: '报表旗' });
    ids.east = east.id;
    ids.west = west.id;
    ids.county = east.countyId;
    // East: 2 informants; west: 1 informant (and 1 disabled, not on the roster).
    const inf: Array<{ id: number }> = await db.ds.query(
      `INSERT INTO informant (station_id, name, status) VALUES ($1, '东一', 'active'), ($1, '东二', 'active'), ($2, '西一', 'active'), ($2, '西停', 'disabled') RETURNING id`,
      [east.id, west.id],
    );
    [ids.e1, ids.e2, ids.w1] = inf.map((r) => r.id);
    // Both stations count, and the three active informants are on the roster, from 1 June (西停 left before).
    await db.ds.query(`UPDATE station SET counting_from = '2026-06-01' WHERE id = ANY($1)`, [[east.id, west.id]]);
    await db.ds.query(
      `INSERT INTO informant_roster (informant_id, station_id, from_day, to_day) SELECT id, station_id, '2026-06-01', CASE WHEN status = 'active' THEN NULL ELSE '2026-06-10'::date END FROM informant`,
    );
    // East: e1 has 3 effective on 2026-07-01 and 5 on 2026-09-30; e2 has 1 on 2026-08-15. West: w1 has 2 on 2026-07-10.
    await db.ds.query(
      `INSERT INTO daily_rollup (informant_id, day, station_id, raw_shares, effective_shares) VALUES
       ($1, '2026-07-01', $4, 4, 3), ($1, '2026-09-30', $4, 5, 5), ($2, '2026-08-15', $4, 1, 1), ($3, '2026-07-10', $5, 2, 2),
       ($1, '2026-06-30', $4, 9, 9), ($3, '2026-10-01', $5, 9, 9)`,
      [ids.e1, ids.e2, ids.w1, east.id, west.id],
    );
    await db.ds.query(
      `INSERT INTO activity (station_id, date, type, title, participants, created_by) VALUES
       ($1, '2026-07-20', '讲座', '防汛', 60, 't'), ($1, '2026-08-20', '培训', '急救', 30, 't'), ($2, '2026-09-01', '展览', '航天', 80, 't')`,
      [east.id, west.id],
    );
  });
  afterAll(async () => {
    await fake.close();
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function read(path: string): Promise<ExcelJS.Worksheet> {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(path);
    return wb.worksheets[0];
  }
  const values = (ws: ExcelJS.Worksheet, row: number) => (ws.getRow(row).values as unknown[]).slice(1);

  it('kepubot report quarterly writes one row per station, ranked, with correct totals', async () => {
    const out = join(dir, 'q3.xlsx');
    const lines: string[] = [];
    const code = await runCli(
      ['report', 'quarterly', '--county', '报表旗', '--quarter', '2026Q3', '--out', out],
      { DATABASE_URL: db.url, LOG_LEVEL: 'silent' },
      { out: (l) => lines.push(l), err: (l) => lines.push(l) },
    );
    expect(lines.join('\n')).toBe(`已生成 ${out}：报表旗 2026年第3季度，2 个e站`);
    expect(code).toBe(0);
    const ws = await read(out);
    // Rows 1–2: title and period line; row 3: headers; then the stations and the totals.
    expect(ws.getCell('A1').value).toBe('报表旗 2026年第3季度 季度统计表（统计截至 2026年9月30日）');
    expect(values(ws, 3)).toEqual(STATION_HEADERS);
    expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 3 });
    expect(ws.getColumn(2).width).toBeGreaterThan(10);
    const days = 92; // 1 July – 30 September
    const num = (v: unknown) => (typeof v === 'number' ? expect.closeTo(v, 10) : v);
    // East: informants 2, active 2, effective 3+5+1 = 9, quota-met days 2 (3 and 5), activities 2 / 90 people / one of 50+.
    const east = [
      '东站',
      '其他',
      '正常',
      '2026-06-01',
      days,
      2,
      '✗',
      0,
      2,
      1,
      9,
      2 * days,
      9 / (2 * days),
      '✗',
      2 / (2 * days),
      2,
      1,
      '✗',
      90,
      0,
      '✗',
      0,
      '✗',
    ];
    // West: informants 1, active 1, effective 2, quota-met 0, activities 1 / 80 / 1.
    const west = ['西站', '其他', '正常', '2026-06-01', days, 1, '✗', 0, 1, 1, 2, days, 2 / days, '✗', 0, 1, 1, '✗', 80, 0, '✗', 0, '✗'];
    expect(values(ws, 4).slice(1)).toEqual(east.map(num));
    expect(values(ws, 5).slice(1)).toEqual(west.map(num));
    expect(values(ws, 4)[0]).toBe(1);
    const total = values(ws, 6);
    expect(total[1]).toBe('合计');
    expect(total.slice(4)).toEqual(
      ['2026-06-01', days, 3, '✗', 0, 3, 1, 11, 3 * days, 11 / (3 * days), '✗', 2 / (3 * days), 3, 2, '✗', 170, 0, '✗', 0, '✗'].map(num),
    );
    expect(ws.getRow(4).getCell(11).numFmt).toBe('0.0%');
  });

  it('rejects a malformed quarter and an unknown county with a clear message', async () => {
    const err: string[] = [];
    const io = { out: () => undefined, err: (l: string) => err.push(l) };
    expect(
      await runCli(
        ['report', 'quarterly', '--county', '报表旗', '--quarter', '2026Q5', '--out', join(dir, 'x.xlsx')],
        { DATABASE_URL: db.url },
        io,
      ),
    ).toBe(1);
    expect(
      await runCli(
        ['report', 'quarterly', '--county', '无此旗', '--quarter', '2026Q3', '--out', join(dir, 'x.xlsx')],
        { DATABASE_URL: db.url },
        io,
      ),
    ).toBe(1);
    expect(err).toEqual(['--quarter 格式不对，例如 2026Q3', '找不到旗县区“无此旗”']);
  });

  it('the weekly digest goes to the county staff on WeCom (markdown + .xlsx) and to the group robot, once', async () => {
    await services.people.addStaff('报表旗', { ids: { 'wecom-user': 'staff-a' } });
    await services.people.addStaff('报表旗', { ids: { 'wecom-user': 'staff-b' } });
    await db.ds.query(`UPDATE region SET digest_webhook_url = $2 WHERE id = $1`, [ids.county, `${fake.url}/cgi-bin/webhook/send?key=k1`]);
    const runner = new JobRunner(db.ds, services, config, log);
    const week = parsePeriod('2026-W27')!; // 29 June – 5 July
    const monday = new Date('2026-07-06T00:30:00Z');
    const [run] = await runner.run('weekly-digest', week, monday);
    expect(run.messages.map((m) => `${m.channel} ${m.recipient}`)).toEqual([
      'wecom-app staff-a|staff-b',
      `wecom-webhook ${fake.url}/cgi-bin/webhook/send?key=k1`,
    ]);
    const text = run.messages[0].payload.text;
    expect(text).toContain('## 报表旗 科普e站周报');
    expect(text).toContain('2026年第27周（6月29日—7月5日）');
    // East in W27: e1 has 9 (30 June) + 3 (1 July) = 12 effective over 2 informants × 7 days.
    expect(text).toContain(`1. 东站：信息员 2，活跃率 50.0%，人均 ${(12 / 14).toFixed(2)} 条`);
    expect(text).toContain('**本月尚无活动的e站**：东站、西站');
    expect(text).toContain('**优秀信息员**：东一（东站，12 条）');

    const api = new WecomApiClient({
      baseUrl: fake.url,
      corpId: CORP,
      secret: 'secret-secret',
      agentId: 1000002,
      sleep: async () => undefined,
    });
    const worker = new OutboxWorker(
      db.ds,
      createDeliver({ wecom: api }),
      { intervalMs: 1500, jitterMs: 0, dailyCap: 10, quiet: { start: 0, end: 0 }, zone: 'Asia/Shanghai' },
      log,
    );
    // Four outbox entries: each recipient's text, then its file.
    for (let i = 0; i < 4; i++) expect(await worker.tick(monday)).toBe('sent');
    expect(await worker.tick(monday)).toBe('idle');
    expect(fake.sent.map((b) => b.msgtype)).toEqual(['markdown', 'file']);
    expect(fake.sent[0]).toMatchObject({ touser: 'staff-a|staff-b', agentid: 1000002 });
    expect(fake.sent[1].file.media_id).toBe(fake.uploads[0].mediaId);
    expect(fake.webhook.map((b) => b.msgtype)).toEqual(['markdown', 'file']);
    expect(fake.uploads.map((u) => u.name)).toEqual(['报表旗-2026-W27-周统计表.xlsx', '报表旗-2026-W27-周统计表.xlsx']);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(fake.uploads[0].bytes as unknown as ArrayBuffer);
    expect((wb.worksheets[0].getRow(4).values as unknown[]).slice(2, 5)).toEqual(['东站', '其他', '正常']);
    // The same digest again (a restarted scheduler, a second instance): nothing new is queued.
    expect((await runner.run('weekly-digest', week, monday))[0].state).toBe('already');
  });

  it('kepubot run weekly-digest --dry-run prints the digest without storing it; kepubot jobs lists runs', async () => {
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
    expect(await runCli(['run', 'weekly-digest', '--period', '2026-W37', '--dry-run'], env, io)).toBe(0);
    const out = lines.join('\n');
    expect(out).toContain(`== weekly-digest county:${ids.county} 2026-W37 （试运行，未发送）`);
    expect(out).toContain('-> wecom-app staff-a|staff-b 附件 报表旗-2026-W37-周统计表.xlsx');
    const [{ n }] = await db.ds.query(`SELECT count(*)::int AS n FROM job_run WHERE period = '2026-W37'`);
    expect(n).toBe(0);
    lines.length = 0;
    expect(await runCli(['run', 'weekly-digest', '--period', '2026-11'], env, io)).toBe(1);
    expect(lines.join('\n')).toContain('统计期应为周');
    lines.length = 0;
    expect(await runCli(['jobs'], env, io)).toBe(0);
    expect(lines.join('\n')).toMatch(/weekly-digest\tcounty:\d+\t2026-W27\tplanned\t已发送 4，待发送 0/);
  });

  it('a county with nobody to send to: the dry run still shows the digest, a real run queues nothing and waits', async () => {
    await services.stations.add({ name: '孤站', county: '无人旗' });
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
    expect(await runCli(['run', 'weekly-digest', '--period', '2026-W27', '--county', '无人旗', '--dry-run'], env, io)).toBe(0);
    expect(lines.join('\n')).toContain('-> （没有接收人');
    expect(lines.join('\n')).toContain('## 无人旗 科普e站周报');
    lines.length = 0;
    expect(await runCli(['run', 'weekly-digest', '--period', '2026-W27', '--county', '无人旗'], env, io)).toBe(0);
    expect(lines.join('\n')).toContain('（等待中：下面标明原因的消息暂时发不出，条件满足后自动补发）');
    const [{ n }] = await db.ds.query(
      `SELECT count(*)::int AS n FROM outbox_message o JOIN job_run r ON r.id = o.run_id WHERE r.scope = (SELECT 'county:' || id FROM region WHERE name = '无人旗')`,
    );
    expect(n).toBe(0);
    const [run] = await db.ds.query(
      `SELECT state, pending_reason FROM job_run WHERE scope = (SELECT 'county:' || id FROM region WHERE name = '无人旗')`,
    );
    expect(run).toEqual({
      state: 'pending',
      pending_reason: expect.stringMatching(/^没有接收人：无人旗还没有登记有企业微信账号的工作人员/),
    });
  });

  it('stops start-up on a malformed county rule, and the CLI refuses one', async () => {
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
    expect(await runCli(['county', '报表旗', '--job', 'group-reminder', '--rule', '61 19 * * *'], { DATABASE_URL: db.url }, io)).toBe(1);
    expect(lines.join('\n')).toContain('时间规则有误');
    await db.ds.query(`UPDATE region SET schedule = '{"group-reminder": "30 25 * * *"}'::jsonb WHERE id = $1`, [ids.county]);
    const runner = new JobRunner(db.ds, services, config, log);
    const worker = new OutboxWorker(
      db.ds,
      createDeliver({}),
      { intervalMs: 0, jitterMs: 0, dailyCap: 1, quiet: { start: 0, end: 0 }, zone: 'Asia/Shanghai' },
      log,
    );
    const scheduler = new Scheduler(runner, worker, config, new ManualClock(new Date('2026-07-06T00:30:00Z')), log);
    await expect(scheduler.start()).rejects.toThrow(ScheduleError);
    await expect(scheduler.start()).rejects.toThrow(/county 报表旗, job group-reminder: "30 25 \* \* \*" is not a valid cron rule/);
    await scheduler.stop();
    expect(await runCli(['county', '报表旗', '--job', 'group-reminder', '--rule', 'default'], { DATABASE_URL: db.url }, io)).toBe(0);
    expect(await runner.ruleProblems()).toEqual([]);
  });
});
