import ExcelJS from 'exceljs';
import type { PersonalData } from '../../src/services/personal-data.service';
import { buildCounty, type CountyData } from '../support/county-data';
import { type ApiBrowser, type ConsoleFixture, startConsole } from '../support/console';
import { signInAs } from '../support/console-people';

/**
 * The 名册 page's person-data actions and roster template on a real kepubot (Koa on port 0,
 * PostgreSQL): export and forget for county staff of the station's county and operators only.
 */
describe('console API: a person’s data and the roster template', () => {
  let fx: ConsoleFixture;
  let data: CountyData;
  let op: ApiBrowser;
  let staff: ApiBrowser;
  let farStaff: ApiBrowser;
  let manager: ApiBrowser;

  beforeAll(async () => {
    fx = await startConsole(new Date('2026-11-30T02:00:00Z'));
    data = await buildCounty(fx.app.services);
    const far = await fx.app.services.stations.add({ name: '远方e站', county: '外旗' });
    op = await fx.operator();
    staff = await signInAs(fx, { staffOf: data.countyId });
    farStaff = await signInAs(fx, { staffOf: far.countyId });
    manager = await signInAs(fx, { managerOf: data.stationIds[0] });
  });
  afterAll(async () => {
    await fx?.stop();
  });

  it('lets county staff download a person’s data as JSON; other counties get 404, a manager 403', async () => {
    const [wang] = data.people;
    const url = `/api/v1/informants/${wang.id}/personal-data`;
    const r = await staff.call('GET', url);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-disposition')).toContain('attachment');
    const body = JSON.parse(r.bytes.toString('utf8')) as PersonalData;
    expect(body.informant).toMatchObject({ id: wang.id, name: '王秀英', phone: '13912345671' });
    expect(body.shares).toHaveLength(40);
    expect((await op.call('GET', url)).status).toBe(200);
    expect((await farStaff.call('GET', url)).status).toBe(404);
    const refused = await manager.call('GET', url);
    expect(refused.status).toBe(403);
    expect(refused.json).toEqual({ error: '个人信息的导出和删除由旗县区科协工作人员办理，e站管理员不能操作' });
    const audited: Array<{ sender_id: string }> = await fx.db.ds.query(
      `SELECT sender_id FROM audit_log WHERE listener_id = 'console.informant.export' ORDER BY id`,
    );
    expect(audited.map((a) => a.sender_id.split(':')[0])).toEqual(['staff', 'operator']);
  });

  it('forgets a person only with confirm: true, for staff of the county; the station’s figures stay', async () => {
    const [, li] = data.people;
    const url = `/api/v1/informants/${li.id}/forget`;
    const before = await fx.app.services.statistics.stationTable(data.countyId, data.range, data.today);
    expect((await manager.call('POST', url, { body: { confirm: true } })).status).toBe(403);
    expect((await farStaff.call('POST', url, { body: { confirm: true } })).status).toBe(404);
    const unconfirmed = await staff.call('POST', url, { body: {} });
    expect(unconfirmed.status).toBe(400);
    expect(unconfirmed.json).toEqual({ error: 'confirm：应为 true（删除不可撤销，请确认）' });
    const done = await staff.call('POST', url, { body: { confirm: true } });
    expect(done.status).toBe(200);
    expect(done.json).toEqual({ name: `已删除信息员#${li.id}`, shares: 8 });
    expect(await fx.app.services.statistics.stationTable(data.countyId, data.range, data.today)).toEqual(before);
    const list = await staff.call('GET', `/api/v1/stations/${li.stationId}/informants`);
    expect((list.json as unknown as Array<{ name: string }>).map((i) => i.name)).toEqual(
      expect.arrayContaining(['王秀英', `已删除信息员#${li.id}`]),
    );
    const [{ n }] = await fx.db.ds.query(
      `SELECT count(*)::int AS n FROM audit_log WHERE command LIKE '%李建国%' OR detail LIKE '%李建国%' OR sender_name LIKE '%李建国%'`,
    );
    expect(n).toBe(0);
  });

  it('downloads 名册模板.xlsx, whose example row passes the real import check', async () => {
    const r = await manager.call('GET', '/api/v1/roster/template');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(decodeURIComponent(r.headers.get('content-disposition') ?? '')).toContain('名册模板.xlsx');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(r.bytes as unknown as ArrayBuffer);
    expect(wb.worksheets[0].getRow(1).values).toEqual([undefined, '姓名', '手机号', '备注']);
    const preview = await manager.call('POST', `/api/v1/stations/${data.stationIds[0]}/roster/preview`, {
      body: new Uint8Array(r.bytes),
      headers: { 'x-file-name': encodeURIComponent('名册模板.xlsx') },
    });
    expect(preview.json).toMatchObject({ ok: true, rows: 1, add: 1, errorCount: 0, sample: [{ row: 2, name: '张三', phoneTail: '5678' }] });
    expect((await fx.browser().call('GET', '/api/v1/roster/template')).status).toBe(401);
  });
});
