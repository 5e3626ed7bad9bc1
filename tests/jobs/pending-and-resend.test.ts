import { runCli } from '../../src/cli';
import { createDeliver } from '../../src/channels/outbound';
import { WecomApiClient } from '../../src/channels/wecom/wecom-api';
import { ManualClock } from '../../src/clock';
import { loadConfig, type AppConfig } from '../../src/config';
import { OutboxMessage } from '../../src/db/entities';
import { OutboxParts1764630000000 } from '../../src/db/migrations/1764630000000-outbox-parts';
import { parsePeriod } from '../../src/domain/periods';
import { createLogger } from '../../src/logger';
import { createServices, type Services } from '../../src/services';
import { JobRunner } from '../../src/jobs/runner';
import { OutboxWorker } from '../../src/jobs/outbox';
import { Scheduler } from '../../src/jobs/scheduler';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startFakeWecom, type FakeWecom } from '../support/fake-wecom';

const log = createLogger('silent');
const CORP = 'ww1234567890abcdef';
const SECRET = 'secret-secret';
// Monday 30 November 2026, 10:00 in Asia/Shanghai: the digest of 2026-W48 and the check of 2026-11 are due.
const MONDAY = new Date('2026-11-30T02:00:00Z');
const throttle = { intervalMs: 1500, jitterMs: 0, dailyCap: 100, quiet: { start: 0, end: 0 }, zone: 'Asia/Shanghai' };

/**
 * Scheduled messages never vanish: a run with nobody (or no channel) to send to waits with its
 * reason and goes once someone is registered; `--resend` sends again on purpose; a failed file
 * never repeats its text. Real PostgreSQL, the CLI in-process, a fake WeCom server, a manual clock.
 */
describe('pending runs, resend and message parts', () => {
  let db: TestDatabase;
  let fake: FakeWecom;
  let wecomEnv: Record<string, string>;
  let withWecom: AppConfig;
  let services: Services;
  const without = loadConfig({ LOG_LEVEL: 'silent' });

  beforeAll(async () => {
    db = await createTestDatabase();
    fake = await startFakeWecom({ corpId: CORP, secret: SECRET });
    wecomEnv = {
      WECOM_CORP_ID: CORP,
      WECOM_AGENT_ID: '1000002',
      WECOM_SECRET: SECRET,
      WECOM_TOKEN: 'kepubot',
      WECOM_ENCODING_AES_KEY: 'k'.repeat(43),
      WECOM_API_BASE: fake.url,
    };
    withWecom = loadConfig({ LOG_LEVEL: 'silent', ...wecomEnv });
    services = createServices(db.ds, withWecom);
  });
  afterAll(async () => {
    await fake.close();
    await db.close();
  });
  beforeEach(() => {
    fake.sent.length = 0;
    fake.webhook.length = 0;
    fake.uploads.length = 0;
  });

  const cli = async (argv: string[], clock: ManualClock, env: Record<string, string> = wecomEnv) => {
    const lines: string[] = [];
    const code = await runCli(
      argv,
      { DATABASE_URL: db.url, LOG_LEVEL: 'silent', ...env },
      { out: (l) => lines.push(l), err: (l) => lines.push(l) },
      clock,
    );
    return { code, out: lines.join('\n') };
  };
  const wecomApi = () =>
    new WecomApiClient({ baseUrl: fake.url, corpId: CORP, secret: SECRET, agentId: 1000002, sleep: async () => undefined });
  const worker = (maxAttempts = 5) => new OutboxWorker(db.ds, createDeliver({ wecom: wecomApi() }), { ...throttle, maxAttempts }, log);
  /** Ticks until the queue is idle at `now`; the results in order. */
  const drain = async (w: OutboxWorker, now: Date) => {
    const out: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await w.tick(now);
      out.push(r);
      if (r === 'idle') break;
    }
    return out;
  };
  const outboxOf = async (countyId: number) =>
    db.ds.getRepository(OutboxMessage).query(
      `SELECT o.channel, o.recipient, o.round, o.part, o.state, o.payload ->> 'text' AS text, o.payload -> 'file' ->> 'name' AS file
       FROM outbox_message o JOIN job_run r ON r.id = o.run_id
       WHERE r.scope = $1 OR r.scope IN (SELECT 'station:' || id FROM station WHERE county_id = $2) ORDER BY o.id`,
      [`county:${countyId}`, countyId],
    ) as Promise<
      Array<{ channel: string; recipient: string; round: number; part: number; state: string; text: string; file: string | null }>
    >;

  it('a run with no recipient stays pending with its reason and is sent after staff add / manager add; a useless one is missed', async () => {
    const clock = new ManualClock(MONDAY);
    const east = await services.stations.add({ name: '等待东站', county: '等待旗' });
    await services.stations.add({ name: '等待西站', county: '等待旗' });
    const runner = new JobRunner(db.ds, services, withWecom, log);

    // The first start's catch-up: nobody is registered yet.
    const caught = await runner.catchUp(clock.now());
    const mine = caught.filter((r) => r.scope === `county:${east.countyId}` || r.scope.startsWith('station:'));
    expect(mine.map((r) => `${r.job} ${r.period} ${r.state}`)).toEqual([
      'weekly-digest 2026-W48 pending',
      'monthly-check 2026-11 pending',
      'monthly-check 2026-11 pending',
    ]);
    expect(await outboxOf(east.countyId)).toEqual([]);
    expect(await drain(worker(), clock.now())).toEqual(['idle']);
    // A restart catches up again: the pending runs are not claimed twice.
    expect((await runner.catchUp(clock.now())).filter((r) => r.scope === `county:${east.countyId}`)).toEqual([]);

    let jobs = await cli(['jobs'], clock);
    expect(jobs.code).toBe(0);
    expect(jobs.out).toMatch(/weekly-digest\tcounty:\d+\t2026-W48\tpending\t已发送 0，待发送 0/);
    expect(jobs.out).toContain(
      '等待中（条件满足后自动补发）：没有接收人：等待旗还没有登记有企业微信账号的工作人员（管理后台“人员”页添加，或 npx kepubot staff add --county 等待旗 --wecom-user <企业微信UserID>）',
    );
    expect(jobs.out).toContain(
      '没有接收人：等待东站还没有登记能接收提醒的管理员（管理后台“人员”页添加，或 npx kepubot manager add --station 等待东站',
    );

    // An hour later the operator registers a staff member: the digest is queued at once and sent.
    clock.advance(3_600_000);
    const added = await cli(['staff', 'add', '--county', '等待旗', '--wecom-user', 'wait-li'], clock);
    expect(added.code).toBe(0);
    expect(added.out).toContain(`已补发等待中的定时任务 weekly-digest county:${east.countyId} 2026-W48：1 条消息加入发送队列`);
    expect(await drain(worker(), clock.now())).toEqual(['sent', 'sent', 'idle']);
    expect(fake.sent.map((b) => `${b.msgtype} ${b.touser}`)).toEqual(['markdown wait-li', 'file wait-li']);
    expect(fake.sent[0].markdown.content).toContain('## 等待旗 科普e站周报');
    expect(fake.uploads.map((u) => u.name)).toEqual(['等待旗-2026-W48-周统计表.xlsx']);

    // A second staff member later: the digest went already, nothing is sent again.
    const again = await cli(['staff', 'add', '--county', '等待旗', '--wecom-user', 'wait-wang'], clock);
    expect(again.out).not.toContain('weekly-digest');
    expect(await drain(worker(), clock.now())).toEqual(['idle']);
    expect(fake.sent).toHaveLength(2);

    // A manager for the east station: its activity check goes; the west station's still waits.
    const manager = await cli(['manager', 'add', '--station', '等待东站', '--wecom-user', 'east-zhao'], clock);
    expect(manager.out).toContain(`已补发等待中的定时任务 monthly-check station:${east.id} 2026-11：1 条消息加入发送队列`);
    expect(await drain(worker(), clock.now())).toEqual(['sent', 'idle']);
    expect(fake.sent[2]).toMatchObject({ msgtype: 'text', touser: 'east-zhao' });
    expect(fake.sent[2].text.content).toContain('提醒：等待东站11月还没有登记活动');

    // The month ends with the west station still unreachable: the check is missed, and says why.
    clock.set(new Date('2026-12-01T02:00:00Z'));
    expect(await runner.retryPending(clock.now())).toEqual([]);
    jobs = await cli(['jobs'], clock);
    expect(jobs.out).toMatch(/weekly-digest\tcounty:\d+\t2026-W48\tplanned\t已发送 2，待发送 0/);
    expect(jobs.out).toMatch(/monthly-check\tstation:\d+\t2026-11\tmissed\t已发送 0/);
    expect(jobs.out).toContain('已错过（过了有效期仍发不出）：没有接收人：等待西站还没有登记能接收提醒的管理员');
    // Registering a manager now sends nothing for a month that is over.
    const late = await cli(['manager', 'add', '--station', '等待西站', '--wecom-user', 'west-qian'], clock);
    expect(late.out).not.toContain('monthly-check');
    expect(await drain(worker(), clock.now())).toEqual(['idle']);
  });

  it('a channel that is not configured keeps the run pending; after a restart with WeCom configured it goes, without repeating the robot', async () => {
    const clock = new ManualClock(MONDAY);
    const st = await services.stations.add({ name: '渠道站', county: '渠道旗' });
    // A staff member registered before this installation dropped WeCom, and the county's group robot.
    await db.ds.query(
      `WITH c AS (INSERT INTO county_staff (county_id) VALUES ($1) RETURNING id)
       INSERT INTO person_identity (staff_id, kind, external_id) SELECT id, 'wecom-user', 'chan-li' FROM c`,
      [st.countyId],
    );
    await db.ds.query(`UPDATE region SET digest_webhook_url = $2 WHERE id = $1`, [
      st.countyId,
      `${fake.url}/cgi-bin/webhook/send?key=chan`,
    ]);
    const week = parsePeriod('2026-W48')!;

    const plain = new JobRunner(db.ds, createServices(db.ds, without), without, log);
    const [run] = await plain.run('weekly-digest', week, clock.now(), { countyIds: [st.countyId] });
    expect(run.state).toBe('pending');
    expect(run.messages.map((m) => m.channel)).toEqual(['wecom-webhook']);
    expect(run.reason).toBe(
      '企业微信未配置：需要在 .env 中设置 WECOM_CORP_ID、WECOM_AGENT_ID、WECOM_SECRET、WECOM_TOKEN、WECOM_ENCODING_AES_KEY（见 README 配置表），设置后重启 kepubot',
    );
    const robotOnly = new OutboxWorker(db.ds, createDeliver({}), throttle, log);
    expect(await drain(robotOnly, clock.now())).toEqual(['sent', 'sent', 'idle']);
    expect(fake.webhook.map((b) => b.msgtype)).toEqual(['markdown', 'file']);
    const jobs = await cli(['jobs'], clock, {});
    expect(jobs.out).toMatch(/weekly-digest\tcounty:\d+\t2026-W48\tpending\t已发送 2，待发送 0/);
    expect(jobs.out).toContain('等待中（条件满足后自动补发）：企业微信未配置：需要在 .env 中设置 WECOM_CORP_ID');
    // Still unconfigured: the periodic pass changes nothing.
    expect(await plain.retryPending(clock.now())).toEqual([]);

    // Restarted with WeCom configured: the scheduler's start plans the pending run again.
    clock.advance(600_000);
    const runner = new JobRunner(db.ds, services, withWecom, log);
    const scheduler = new Scheduler(runner, worker(), withWecom, clock, log);
    await scheduler.start();
    await scheduler.stop();
    expect(await drain(worker(), clock.now())).toEqual(['sent', 'sent', 'idle']);
    expect(fake.sent.map((b) => `${b.msgtype} ${b.touser}`)).toEqual(['markdown chan-li', 'file chan-li']);
    expect(fake.webhook).toHaveLength(2);
    expect((await outboxOf(st.countyId)).map((o) => `${o.channel} ${o.part} ${o.state}`)).toEqual([
      'wecom-webhook 0 sent',
      'wecom-webhook 1 sent',
      'wecom-app 0 sent',
      'wecom-app 1 sent',
    ]);
  });

  it('kepubot run --resend sends a run again on purpose; without it the run is not repeated', async () => {
    const clock = new ManualClock(MONDAY);
    const st = await services.stations.add({ name: '重发站', county: '重发旗' });
    await services.people.addStaff('重发旗', { ids: { 'wecom-user': 'resend-li' } });
    const args = ['run', 'weekly-digest', '--period', '2026-W48', '--county', '重发旗'];

    const first = await cli(args, clock);
    expect(first.out).toContain(`== weekly-digest county:${st.countyId} 2026-W48 （已加入发送队列）`);
    expect(await drain(worker(), clock.now())).toEqual(['sent', 'sent', 'idle']);

    const plain = await cli(args, clock);
    expect(plain.out).toContain('（此前已运行，不再重复；确要再发一次请加 --resend）');
    expect(await drain(worker(), clock.now())).toEqual(['idle']);
    expect(fake.sent).toHaveLength(2);

    const resent = await cli([...args, '--resend'], clock);
    expect(resent.code).toBe(0);
    expect(resent.out).toContain(`== weekly-digest county:${st.countyId} 2026-W48 （已重新加入发送队列，第 1 次重发）`);
    expect(resent.out).toContain('-> wecom-app resend-li 附件 重发旗-2026-W48-周统计表.xlsx');
    expect(await drain(worker(), clock.now())).toEqual(['sent', 'sent', 'idle']);
    expect(fake.sent.map((b) => `${b.msgtype} ${b.touser}`)).toEqual([
      'markdown resend-li',
      'file resend-li',
      'markdown resend-li',
      'file resend-li',
    ]);
    expect((await outboxOf(st.countyId)).map((o) => `${o.round}/${o.part} ${o.state}`)).toEqual([
      '0/0 sent',
      '0/1 sent',
      '1/0 sent',
      '1/1 sent',
    ]);
    const jobs = await cli(['jobs'], clock);
    expect(jobs.out).toMatch(/weekly-digest\tcounty:\d+\t2026-W48\tplanned（重发 1 次）\t已发送 4，待发送 0/);
    expect((await cli([...args, '--resend', '--dry-run'], clock)).out).toBe('--dry-run 和 --resend 不能同时使用');
  });

  it('a failed file never repeats its text, and a file waits while its text is being retried', async () => {
    const clock = new ManualClock(MONDAY);
    const st = await services.stations.add({ name: '附件站', county: '附件旗' });
    await services.people.addStaff('附件旗', { ids: { 'wecom-user': 'file-li' } });
    const runner = new JobRunner(db.ds, services, withWecom, log);
    await runner.run('weekly-digest', parsePeriod('2026-W48')!, clock.now(), { countyIds: [st.countyId] });
    const w = worker(2);
    const t = clock.now().getTime();

    // The text fails once: its file, although due, waits for it.
    fake.queue('/cgi-bin/message/send', { json: { errcode: 40003, errmsg: 'invalid userid' } });
    expect(await w.tick(new Date(t))).toBe('retry');
    expect(await w.tick(new Date(t))).toBe('idle');
    expect(await w.tick(new Date(t + 30_000))).toBe('sent');
    // Now the file's upload fails twice: it is given up, and the text is never sent again.
    fake.queue('/cgi-bin/media/upload', { json: { errcode: 40004, errmsg: 'invalid media' } });
    fake.queue('/cgi-bin/media/upload', { json: { errcode: 40004, errmsg: 'invalid media' } });
    expect(await w.tick(new Date(t + 30_000))).toBe('retry');
    expect(await w.tick(new Date(t + 60_000))).toBe('failed');
    expect(await w.tick(new Date(t + 600_000))).toBe('idle');
    expect(fake.sent.map((b) => b.msgtype)).toEqual(['markdown']);
    expect((await outboxOf(st.countyId)).map((o) => `${o.part} ${o.state} ${o.file ?? o.text.split('\n')[0]}`)).toEqual([
      '0 sent ## 附件旗 科普e站周报',
      '1 failed 附件旗-2026-W48-周统计表.xlsx',
    ]);
    const jobs = await cli(['jobs'], clock);
    expect(jobs.out).toMatch(/weekly-digest\tcounty:\d+\t2026-W48\tplanned\t已发送 1，待发送 0，失败 1/);
  });

  it('the migration splits a queued message that still carries text and file into two parts, and goes back down', async () => {
    const migration = new OutboxParts1764630000000();
    const qr = db.ds.createQueryRunner();
    try {
      await migration.down(qr);
      const [{ id: runId }] = await qr.query(
        `INSERT INTO job_run (job, scope, period, state) VALUES ('weekly-digest', 'county:999', '2026-W01', 'planned') RETURNING id`,
      );
      const payload = { text: '旧的周报', markdown: true, file: { name: 'old.xlsx', base64: 'AAAA' } };
      await qr.query(
        `INSERT INTO outbox_message (run_id, channel, recipient, payload, state, due_at) VALUES ($1, 'wecom-app', 'old-a', $2, 'queued', now()), ($1, 'wecom-app', 'old-b', $2, 'sent', now())`,
        [runId, JSON.stringify(payload)],
      );
      await migration.up(qr);
      const rows = await qr.query(`SELECT recipient, part, state, payload FROM outbox_message WHERE run_id = $1 ORDER BY recipient, part`, [
        runId,
      ]);
      expect(rows).toEqual([
        { recipient: 'old-a', part: 0, state: 'queued', payload: { text: '旧的周报', markdown: true } },
        { recipient: 'old-a', part: 1, state: 'queued', payload: { text: '', file: { name: 'old.xlsx', base64: 'AAAA' } } },
        { recipient: 'old-b', part: 0, state: 'sent', payload },
      ]);
    } finally {
      await qr.release();
    }
  });

  it('staff add / manager add refuse a channel that is not configured, naming what to set', async () => {
    const clock = new ManualClock(MONDAY);
    await services.stations.add({ name: '拒绝站', county: '拒绝旗' });
    const wecom = await cli(['staff', 'add', '--county', '拒绝旗', '--wecom-user', 'no-li'], clock, {});
    expect(wecom.code).toBe(1);
    expect(wecom.out).toBe(
      '不能登记 --wecom-user。企业微信未配置：需要在 .env 中设置 WECOM_CORP_ID、WECOM_AGENT_ID、WECOM_SECRET、WECOM_TOKEN、WECOM_ENCODING_AES_KEY（见 README 配置表），设置后再登记（kepubot 服务也要重启）',
    );
    const mp = await cli(['manager', 'add', '--station', '拒绝站', '--openid', 'o-abc'], clock, {});
    expect(mp.code).toBe(1);
    expect(mp.out).toBe(
      '不能登记 --openid。公众号未配置：需要在 .env 中设置 MP_APP_ID、MP_TOKEN（见 README 配置表），设置后再登记（kepubot 服务也要重启）',
    );
    const both = await cli(['manager', 'add', '--station', '拒绝站', '--wechat-contact', 'wx-ok', '--wecom-user', 'no-zhang'], clock, {});
    expect(both.code).toBe(1);
    const [{ staff, managers }] = await db.ds.query(
      `SELECT (SELECT count(*)::int FROM county_staff c JOIN region r ON r.id = c.county_id WHERE r.name = '拒绝旗') AS staff,
              (SELECT count(*)::int FROM station_manager m JOIN station s ON s.id = m.station_id WHERE s.name = '拒绝站') AS managers`,
    );
    expect({ staff, managers }).toEqual({ staff: 0, managers: 0 });
    // A WeChat contact needs no configuration; WeCom is accepted once configured.
    expect((await cli(['manager', 'add', '--station', '拒绝站', '--wechat-contact', 'wx-ok'], clock, {})).code).toBe(0);
    expect((await cli(['staff', 'add', '--county', '拒绝旗', '--wecom-user', 'yes-li'], clock)).code).toBe(0);
  });
});
