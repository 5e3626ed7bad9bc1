import ExcelJS from 'exceljs';
import { createDeliver } from '../../src/channels/outbound';
import { Informant, WechatGroup } from '../../src/db/entities';
import { parsePeriod } from '../../src/domain/periods';
import { previewBody, runMessagesBody } from '../../src/http/api/areas/job-messages';
import { OutboxWorker } from '../../src/jobs/outbox';
import { createLogger } from '../../src/logger';
import { joinRoster } from '../../src/services/roster-history';
import { seedDemo } from '../../src/services/demo-seed.service';
import { startConsole, type ApiBrowser, type ConsoleFixture } from '../support/console';
import { signInAs } from '../support/console-people';

/** Friday 4 December 2026, 10:00 in Shanghai: last week is 2026-W48. */
const NOW = new Date('2026-12-04T02:00:00Z');

async function sheetTitle(bytes: Buffer): Promise<string> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(bytes as unknown as ArrayBuffer);
  return String(wb.worksheets[0].getCell('A1').value);
}

/** The 任务 page: the demo inbox's digest is kept and readable; any job's message can be previewed before it is sent. */
describe('console API: what a run sent and what it would send', () => {
  let fx: ConsoleFixture;
  let operator: ApiBrowser;
  let demoCounty: number;
  let realCounty: number;
  let realStaff: ApiBrowser;
  let realManager: ApiBrowser;

  beforeAll(async () => {
    fx = await startConsole(NOW);
    await seedDemo(fx.app.services, fx.db.ds, NOW);
    [{ id: demoCounty }] = await fx.db.ds.query(`SELECT id FROM region WHERE name = '演示旗'`);
    // A real county of one station, one informant sharing, and nobody registered to receive its digest.
    const station = await fx.app.services.stations.add({ name: '预览一站', county: '预览旗' });
    realCounty = station.countyId;
    await fx.db.ds.query(`UPDATE station SET counting_from = '2026-11-01' WHERE id = $1`, [station.id]);
    await fx.db.ds.getRepository(WechatGroup).save({ roomId: 'preview@chatroom', topic: '预览群', stationId: station.id, boundAt: NOW });
    const [informant] = await fx.db.ds.getRepository(Informant).save([{ stationId: station.id, name: '预览员', wechatContactId: 'pv-1' }]);
    await joinRoster(fx.db.ds, [informant.id], '2026-11-01');
    await fx.db.ds.query(
      `INSERT INTO daily_rollup (informant_id, day, station_id, raw_shares, effective_shares) VALUES ($1, '2026-11-24', $2, 4, 4)`,
      [informant.id, station.id],
    );
    operator = await fx.operator();
    realStaff = await signInAs(fx, { staffOf: realCounty });
    realManager = await signInAs(fx, { managerOf: station.id });
  }, 180_000);

  afterAll(async () => {
    await fx?.stop();
  });

  it("the demo county's weekly digest is kept in its inbox, marked sent, and readable with its file", async () => {
    const [run] = await fx.app.jobs.run('weekly-digest', parsePeriod('2026-W48')!, NOW, { countyIds: [demoCounty] });
    expect(run.state).toBe('planned');
    const worker = new OutboxWorker(
      fx.db.ds,
      createDeliver({}),
      { intervalMs: 0, jitterMs: 0, dailyCap: 100, quiet: { start: 0, end: 0 }, zone: 'Asia/Shanghai' },
      createLogger('silent'),
    );
    expect(await worker.tick(NOW)).toBe('sent');
    expect(await worker.tick(NOW)).toBe('sent');
    expect(await worker.tick(NOW)).toBe('idle');

    const jobs = await operator.call('GET', '/api/v1/jobs');
    const listed = (jobs.json!.runs as Array<{ id: number; sent: number; state: string }>).find((r) => r.id === run.runId)!;
    expect(listed).toMatchObject({ sent: 2, state: 'planned' });

    const r = await operator.call('GET', `/api/v1/jobs/runs/${run.runId}/messages`);
    expect(r.status).toBe(200);
    const body = runMessagesBody.parse(r.json);
    expect(body.run).toMatchObject({ job: 'weekly-digest', period: '2026-W48', scopeLabel: '演示旗' });
    expect(body.parts.map((p) => [p.part, p.channel, p.state])).toEqual([
      [0, 'demo', 'sent'],
      [1, 'demo', 'sent'],
    ]);
    expect(body.parts[0].channelLabel).toContain('演示收件箱');
    expect(body.parts[0].text.split('\n').slice(0, 2)).toEqual(['## 演示旗 科普e站周报', '2026年第48周（11月23日—11月29日）']);
    expect(body.parts[0].text).toContain('**排名靠后的e站**：红旗嘎查e站');
    expect(body.parts[1].file?.name).toBe('演示旗-2026-W48-周统计表.xlsx');

    const file = await operator.call('GET', `/api/v1/jobs/messages/${body.parts[1].id}/file`);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-disposition')).toContain("filename*=UTF-8''");
    expect(file.bytes.length).toBe(body.parts[1].file!.bytes);
    expect(await sheetTitle(file.bytes)).toContain('演示旗 2026年第48周');

    // Another county's staff and a station manager read none of it.
    expect((await realStaff.call('GET', `/api/v1/jobs/runs/${run.runId}/messages`)).status).toBe(404);
    expect((await realStaff.call('GET', `/api/v1/jobs/messages/${body.parts[1].id}/file`)).status).toBe(404);
    expect((await realManager.call('GET', `/api/v1/jobs/runs/${run.runId}/messages`)).status).toBe(403);
  });

  it('previews a real county digest (text and file) without storing a run or queuing anything', async () => {
    const count = async () =>
      fx.db.ds.query(`SELECT (SELECT count(*) FROM job_run)::int AS runs, (SELECT count(*) FROM outbox_message)::int AS parts`);
    const before = await count();
    const r = await realStaff.call('GET', '/api/v1/jobs/preview?job=weekly-digest&period=2026-W48');
    expect(r.status).toBe(200);
    const body = previewBody.parse(r.json);
    expect(body).toMatchObject({ job: 'weekly-digest', period: '2026-W48', county: realCounty });
    expect(body.scopes).toHaveLength(1);
    const [msg] = body.scopes[0].messages;
    expect(body.scopes[0].scopeLabel).toBe('预览旗');
    expect(msg.text.split('\n')[0]).toBe('## 预览旗 科普e站周报');
    // One station: never "the bottom one".
    expect(msg.text).not.toContain('排名靠后');
    expect(msg.waiting).toContain('没有接收人');
    expect(msg.file?.name).toBe('预览旗-2026-W48-周统计表.xlsx');

    const file = await realStaff.call(
      'GET',
      `/api/v1/jobs/preview/file?job=weekly-digest&period=2026-W48&scope=${encodeURIComponent(body.scopes[0].scope)}&index=0`,
    );
    expect(file.status).toBe(200);
    expect(await sheetTitle(file.bytes)).toContain('预览旗 2026年第48周');
    expect(await count()).toEqual(before);
  });

  it('the operator previews any county and any job; staff only their county; bad requests get a Chinese 4xx', async () => {
    const q = await operator.call('GET', `/api/v1/jobs/preview?job=quarterly-table&period=2026Q4&county=${demoCounty}`);
    expect(q.status).toBe(200);
    const quarter = previewBody.parse(q.json);
    expect(quarter.scopes[0].messages[0].text.split('\n')[0]).toBe('## 演示旗 2026年第4季度科普e站统计表');
    expect(quarter.scopes[0].messages[0].channel).toBe('demo');

    expect((await realStaff.call('GET', `/api/v1/jobs/preview?job=weekly-digest&county=${demoCounty}`)).status).toBe(404);
    expect((await realManager.call('GET', '/api/v1/jobs/preview?job=weekly-digest')).status).toBe(403);
    const wrongKind = await operator.call('GET', `/api/v1/jobs/preview?job=weekly-digest&period=2026-11&county=${realCounty}`);
    expect(wrongKind.status).toBe(400);
    expect(wrongKind.json).toEqual({ error: '任务“每周统计简报”的统计期应为周，例如 2026-W48' });
    expect((await operator.call('GET', '/api/v1/jobs/preview?job=nope')).status).toBe(400);
    expect(await operator.call('GET', '/api/v1/jobs/preview?job=weekly-digest').then((r) => r.json)).toEqual({ error: '请选择旗县区' });
  });
});
