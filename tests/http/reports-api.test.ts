import ExcelJS from 'exceljs';
import { Informant, WechatGroup } from '../../src/db/entities';
import { parsePeriod } from '../../src/domain/periods';
import { joinRoster } from '../../src/services/roster-history';
import { startConsole, type ApiBrowser, type ConsoleFixture } from '../support/console';
import { signedInAs } from '../support/console-people';

/** Reports in the console: the same .xlsx as `kepubot report …`, downloaded with a Chinese file name. */
describe('console API: reports', () => {
  const now = new Date('2026-11-25T04:00:00Z');
  let fx: ConsoleFixture;
  let operator: ApiBrowser;
  let county: number;
  let other: number;

  beforeAll(async () => {
    fx = await startConsole(now);
    const station = await fx.app.services.stations.add({ name: '报表一站', county: '报表旗' });
    other = (await fx.app.services.stations.add({ name: '他旗一站', county: '他旗' })).countyId;
    county = station.countyId;
    const boundAt = new Date('2026-10-01T00:00:00Z');
    await fx.db.ds.getRepository(WechatGroup).save({ roomId: 'rep-room@chatroom', topic: '报表群', stationId: station.id, boundAt });
    const [informant] = await fx.db.ds
      .getRepository(Informant)
      .save([{ stationId: station.id, name: '报表员', wechatContactId: 'rep-c1', boundAt }]);
    await joinRoster(fx.db.ds, [informant.id], '2026-10-01');
    for (let i = 0; i < 4; i++) {
      await fx.app.services.shares.record({
        messageId: `rep-m${i}`,
        roomId: 'rep-room@chatroom',
        talkerId: 'rep-c1',
        talkerName: '报表员',
        link: { contentKey: `kepu:item:${i}`, url: `https://m.kepuchina.cn/tuwendetail?id=${i}`, kind: 'text' },
        sentAt: new Date('2026-10-20T02:00:00Z'),
      });
    }
    await fx.app.services.shares.flush();
    operator = await fx.operator();
  });

  afterAll(async () => {
    await fx?.stop();
  });

  it('downloads the quarterly table: the same workbook as the CLI, read back with exceljs', async () => {
    const r = await operator.call('GET', `/api/v1/reports/quarterly?period=2026Q4&county=${county}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const disposition = r.headers.get('content-disposition') ?? '';
    expect(disposition).toMatch(/^attachment; filename="kepubot-quarterly-2026Q4.xlsx"; filename\*=UTF-8''/);
    expect(decodeURIComponent(disposition.split("UTF-8''")[1])).toBe('报表旗-2026Q4-季度统计表.xlsx');

    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(r.bytes as unknown as ArrayBuffer);
    const cli = new ExcelJS.Workbook();
    const expected = await fx.app.services.reports.statisticsWorkbook(
      { id: county, name: '报表旗' },
      parsePeriod('2026Q4')!,
      '2026-11-25',
      '季度统计表',
    );
    await cli.xlsx.load(expected.buffer as unknown as ArrayBuffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(cli.worksheets.map((w) => w.name));
    const cells = (book: ExcelJS.Workbook) =>
      book.worksheets.map((ws) => ws.getSheetValues().map((row) => (Array.isArray(row) ? row.map((v) => JSON.stringify(v ?? null)) : row)));
    expect(cells(wb)).toEqual(cells(cli));
    expect(String(wb.worksheets[0].getCell('A1').value)).toContain('报表旗 2026年第4季度');
    expect(expected.table.total.effectiveShares).toBe(4);
  });

  it('the weekly, annual and content tables download too', async () => {
    for (const [kind, period] of [
      ['weekly', '2026-W43'],
      ['annual', '2026'],
      ['content', '2026-10'],
    ]) {
      const r = await operator.call('GET', `/api/v1/reports/${kind}?period=${period}&county=${county}`);
      expect(r.status).toBe(200);
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(r.bytes as unknown as ArrayBuffer);
      expect(wb.worksheets.length).toBeGreaterThan(0);
    }
  });

  it('refuses a wrong period (400), an unknown table or another county (404), a station manager (403)', async () => {
    const wrong = await operator.call('GET', `/api/v1/reports/quarterly?period=2026-11&county=${county}`);
    expect(wrong.status).toBe(400);
    expect(wrong.json).toEqual({ error: '季度统计表的统计期格式不对，例如 2026Q3' });
    expect((await operator.call('GET', `/api/v1/reports/monthly?county=${county}`)).status).toBe(404);
    // Names every object inherits are no kind of table either (they answered 500).
    for (const kind of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      const inherited = await operator.call('GET', `/api/v1/reports/${kind}?county=${county}`);
      expect({ kind, status: inherited.status, json: inherited.json }).toEqual({
        kind,
        status: 404,
        json: { error: '没有这种统计表（weekly、quarterly、annual、content）' },
      });
    }
    expect((await operator.call('GET', `/api/v1/reports/annual?period=0000&county=${county}`)).status).toBe(400);

    const staff = await fx.app.services.people.addStaffTo(county, { name: '报表干事', ids: { 'wechat-contact': 'rep-s' } });
    const asStaff = await signedInAs(fx, 'staff', staff.id);
    expect((await asStaff.call('GET', '/api/v1/reports/quarterly?period=2026Q4')).status).toBe(200);
    const elsewhere = await asStaff.call('GET', `/api/v1/reports/quarterly?period=2026Q4&county=${other}`);
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.json).toEqual({ error: '没有这个旗县区，或无权查看' });

    const stationId = (await fx.app.services.stations.list()).find((s) => s.countyId === county)!.id;
    const manager = await fx.app.services.people.addManagerTo(stationId, { name: '报表站长', ids: { 'wechat-contact': 'rep-m' } });
    expect((await (await signedInAs(fx, 'manager', manager.id)).call('GET', '/api/v1/reports/quarterly')).status).toBe(403);
  });
});
