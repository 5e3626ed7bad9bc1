import ExcelJS from 'exceljs';
import { loadConfig, type AppConfig } from '../../src/config';
import { parsePeriod } from '../../src/domain/periods';
import { JOBS } from '../../src/jobs';
import { createServices, type Services } from '../../src/services';
import { createTestDatabase, type TestDatabase } from '../support/db';

/**
 * The annual evaluation with 3, 5 and 20 stations. Station Sk has one informant on the roster
 * since 1 January and 10·k effective shares on 5 January, so the ranking is by k; stations
 * named in `late` start counting on 1 December instead (and share on 5 December).
 */
describe('annual evaluation lists with any number of stations', () => {
  let db: TestDatabase;
  let config: AppConfig;
  let services: Services;
  const year = parsePeriod('2026')!;
  const now = new Date('2026-12-20T02:00:00Z'); // 20 December: 354 days counted for a whole-year station

  beforeAll(async () => {
    db = await createTestDatabase();
    config = loadConfig({ LOG_LEVEL: 'silent' });
    services = createServices(db.ds, config);
  });
  afterAll(async () => {
    await db.close();
  });

  async function county(name: string, n: number, late: Record<string, number> = {}): Promise<number> {
    const [{ id }] = await db.ds.query(`INSERT INTO region (name, level) VALUES ($1, 'county') RETURNING id`, [name]);
    for (let k = 1; k <= n; k++) {
      const station = `${name}S${String(k).padStart(2, '0')}`;
      const isLate = station.slice(name.length) in late;
      const from = isLate ? '2026-12-01' : '2026-01-01';
      const [{ id: sid }] = await db.ds.query(`INSERT INTO station (name, county_id, counting_from) VALUES ($1, $2, $3) RETURNING id`, [
        station,
        id,
        from,
      ]);
      const [{ id: iid }] = await db.ds.query(`INSERT INTO informant (station_id, name) VALUES ($1, $2) RETURNING id`, [sid, `信息员${k}`]);
      await db.ds.query(`INSERT INTO informant_roster (informant_id, station_id, from_day) VALUES ($1, $2, $3)`, [iid, sid, from]);
      const eff = isLate ? late[station.slice(name.length)] : 10 * k;
      if (eff > 0) {
        await db.ds.query(
          `INSERT INTO daily_rollup (informant_id, day, station_id, raw_shares, effective_shares) VALUES ($1, $2, $3, $4, $4)`,
          [iid, isLate ? '2026-12-05' : '2026-01-05', sid, eff],
        );
      }
    }
    return id;
  }

  const plan = async (countyId: number, s: Services = services, c: AppConfig = config) =>
    (await JOBS['annual-evaluation'].plan({ ds: db.ds, services: s, config: c }, { kind: 'county', countyId }, year, now))[0].payload.text;
  const line = (text: string, head: string) => text.split('\n').find((l) => l.startsWith(head));

  it('3 stations: no rectification list (fewer than 5 count the whole year), one to praise, never the same', async () => {
    const id = await county('三站旗', 3);
    const r = await services.reports.annualWorkbook({ id, name: '三站旗' }, year, '2026-12-20');
    expect(r.rectify).toEqual([]);
    expect(r.praise.map((x) => r.table.rows.find((row) => row.stationId === x)!.name)).toEqual(['三站旗S03']);
    const text = await plan(id);
    expect(line(text, '拟表彰e站：')).toBe('拟表彰e站：三站旗S03');
    expect(line(text, '排名靠后、拟整改的e站：')).toBe('排名靠后、拟整改的e站：无（全年统计的e站 3 个，不足 5 个时不列整改名单）');
  });

  it('5 stations: the bottom 10% (1 station) to rectify, the top 2 to praise', async () => {
    const id = await county('五站旗', 5);
    const text = await plan(id);
    expect(line(text, '拟表彰e站：')).toBe('拟表彰e站：五站旗S05、五站旗S04');
    expect(line(text, '排名靠后、拟整改的e站：')).toBe('排名靠后、拟整改的e站：五站旗S01');
  });

  it('20 stations, 2 starting in December: only whole-year stations can be listed to rectify; months without activity start at the first counted month', async () => {
    // S01 starts in December and shares nothing (last in the ranking); S02 starts in December and shares 20 (first).
    const id = await county('廿站旗', 20, { S01: 0, S02: 20 });
    const r = await services.reports.annualWorkbook({ id, name: '廿站旗' }, year, '2026-12-20');
    const name = (x: number) => r.table.rows.find((row) => row.stationId === x)!.name.slice(3);
    expect(r.table.rows.map((x) => x.name.slice(3)).slice(-3)).toEqual(['S04', 'S03', 'S01']);
    expect(r.wholeYear).toBe(18);
    expect(r.rectify.map(name)).toEqual(['S03', 'S04']); // ceil(18 × 10%) = 2, worst first; S01 is not a whole-year station
    expect(r.praise.map(name)).toEqual(['S02', 'S20', 'S19']);
    const byName = new Map(r.table.rows.map((x) => [x.name.slice(3), x.stationId]));
    expect(r.monthsWithout.get(byName.get('S01')!)).toBe(1); // December only
    expect(r.monthsWithout.get(byName.get('S03')!)).toBe(12);

    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(r.buffer as unknown as ArrayBuffer);
    const ws = wb.getWorksheet('e站评定')!;
    const notes = new Map<string, string>();
    for (let row = 4; row < 4 + 20; row++)
      notes.set(String(ws.getRow(row).getCell(2).value).slice(3), String(ws.getRow(row).getCell(ws.columnCount).value ?? ''));
    expect([notes.get('S02'), notes.get('S20'), notes.get('S19'), notes.get('S03'), notes.get('S04'), notes.get('S01')]).toEqual([
      '拟表彰',
      '拟表彰',
      '拟表彰',
      '拟整改（12个月无活动）',
      '拟整改（12个月无活动）',
      '1个月无活动',
    ]);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['e站评定', '优秀信息员', '统计台账', '口径说明']);

    // EVALUATION_BOTTOM_PERCENT=20: ceil(18 × 20%) = 4.
    const c20 = loadConfig({ LOG_LEVEL: 'silent', EVALUATION_BOTTOM_PERCENT: '20' });
    const text = await plan(id, createServices(db.ds, c20), c20);
    expect(line(text, '排名靠后、拟整改的e站：')).toBe('排名靠后、拟整改的e站：廿站旗S03、廿站旗S04、廿站旗S05、廿站旗S06');
    expect(line(text, '拟表彰e站：')).toBe('拟表彰e站：廿站旗S02、廿站旗S20、廿站旗S19');
  });

  it('rejects a bottom percent outside 1–50 at start-up, naming the variable', () => {
    expect(() => loadConfig({ EVALUATION_BOTTOM_PERCENT: '0' })).toThrow(/EVALUATION_BOTTOM_PERCENT/);
  });
});
