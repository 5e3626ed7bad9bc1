import ExcelJS from 'exceljs';
import { loadConfig } from '../../src/config';
import { parsePeriod } from '../../src/domain/periods';
import type { JobContext } from '../../src/jobs/job';
import { monthlyCheck } from '../../src/jobs/monthly-check.job';
import { createServices, type Services } from '../../src/services';
import { createTestDatabase, type TestDatabase } from '../support/db';

/**
 * Every consumer asks the county policy: a county with its own quota (4, against the default 3)
 * gives the same quota-met figures in the statistics, the bot's answers, the xlsx and the
 * overview; "no activity this month" is the same list in the overview, the monthly check and the
 * policy; the database takes only the statuses the domain lists.
 */
describe('county policy: one answer for every consumer', () => {
  let db: TestDatabase;
  let services: Services;
  let countyId: number;
  let informantId: number;
  const ids: Record<string, number> = {};
  const today = '2026-11-05';
  const now = new Date('2026-11-05T04:00:00Z'); // 12:00 Beijing
  const november = parsePeriod('2026-11')!;

  beforeAll(async () => {
    db = await createTestDatabase();
    services = createServices(db.ds, loadConfig({ LOG_LEVEL: 'silent' }));
    for (const name of ['配额一站', '停用站', '有活动站', '未开始站']) {
      const s = await services.stations.add({ name, county: '配额旗' });
      ids[name] = s.id;
      countyId = s.countyId;
    }
    await db.ds.query(`UPDATE region SET daily_quota = 4 WHERE id = $1`, [countyId]);
    // One station of another county with the default quota and the same shares.
    ids['默认站'] = (await services.stations.add({ name: '默认站', county: '默认旗' })).id;
    for (const name of ['配额一站', '停用站', '有活动站', '默认站']) {
      await db.ds.query(`UPDATE station SET counting_from = '2026-11-01' WHERE id = $1`, [ids[name]]);
    }
    await services.stations.update(ids['停用站'], { status: 'disabled' });
    await services.activities.log(
      ids['有活动站'],
      { date: '2026-11-02', type: '讲座', title: '防火', participants: 60, place: null },
      'test',
    );
    // An informant per counting station, 3, 4, 5, 4 effective shares on 2–5 November (none on the 1st).
    for (const name of ['配额一站', '默认站']) {
      const [row]: Array<{ id: number }> = await db.ds.query(
        `INSERT INTO informant (station_id, name, status) VALUES ($1, $2, 'active') RETURNING id`,
        [ids[name], `${name}员`],
      );
      if (name === '配额一站') informantId = row.id;
      await db.ds.query(`INSERT INTO informant_roster (informant_id, station_id, from_day) VALUES ($1, $2, '2026-11-01')`, [
        row.id,
        ids[name],
      ]);
      await db.ds.query(
        `INSERT INTO daily_rollup (informant_id, day, station_id, raw_shares, effective_shares)
         VALUES ($1, '2026-11-02', $2, 3, 3), ($1, '2026-11-03', $2, 4, 4), ($1, '2026-11-04', $2, 5, 5), ($1, '2026-11-05', $2, 4, 4)`,
        [row.id, ids[name]],
      );
    }
  });
  afterAll(async () => {
    await db.close();
  });

  it('the quota: the county’s own (4) in the policy, the bot’s answers and the reminder list; the default (3) elsewhere', async () => {
    expect(await services.policy.quotaOfCounty(countyId)).toBe(4);
    expect(await services.policy.quotaOfStation(ids['配额一站'])).toBe(4);
    expect(await services.policy.quotaOfStation(ids['默认站'])).toBe(3);
    // #我的: 3 of the 5 counted days reach 4.
    const mine = await services.statistics.informantSummary(informantId, today);
    expect(mine).toMatchObject({ quota: 4, month: { effective: 16, days: 5, quotaMetDays: 3 } });
    // The evening reminder: on the 2nd the informant had 3 of 4.
    expect((await services.statistics.underQuota(ids['配额一站'], '2026-11-02')).map((u) => u.missing)).toEqual([]); // not bound to WeChat
    await db.ds.query(`UPDATE informant SET wechat_contact_id = 'wx-quota' WHERE id = $1`, [informantId]);
    expect((await services.statistics.underQuota(ids['配额一站'], '2026-11-02')).map((u) => u.missing)).toEqual([1]);
    expect(await services.statistics.underQuota(ids['配额一站'], '2026-11-03')).toEqual([]);
    const ranking = await services.statistics.stationRanking(ids['配额一站'], { from: '2026-11-03', to: '2026-11-03' });
    expect([ranking.quota, ranking.quotaMet]).toEqual([4, 1]);
  });

  it('quota-met days and rate: the same in the statistics (summaries and rollups), the ledger, the xlsx and the overview', async () => {
    // 5 counted informant-days (1–5 November), 3 of them with 4 or more: 60%. With the default 3: 4 days, 80%.
    const f = await services.statistics.figures('county', countyId, november, today);
    expect([f.informantDays, f.quotaMetDays, f.quotaMetRate, f.perInformantDay]).toEqual([5, 3, 0.6, 3.2]);
    const other = await services.statistics.figures('station', ids['默认站'], november, today);
    expect([other.quotaMetDays, other.quotaMetRate]).toEqual([4, 0.8]);
    // From the rollups (a range that is no whole week, month or quarter) and the informant's own figures.
    expect((await services.statistics.figures('county', countyId, { from: '2026-11-02', to: '2026-11-04' }, today)).quotaMetDays).toBe(2);
    expect((await services.statistics.figures('informant', informantId, november, today)).quotaMetDays).toBe(3);
    const ids1 = [ids['配额一站']];
    expect((await services.statistics.informantLedger(ids1, november, today)).map((l) => l.quotaMetDays)).toEqual([3]);
    expect(
      (await services.statistics.informantLedger(ids1, { from: '2026-11-02', to: '2026-11-04' }, today)).map((l) => l.quotaMetDays),
    ).toEqual([2]);
    expect((await services.statistics.topInformants(ids1, november, 5)).map((t) => t.quotaMetDays)).toEqual([3]);

    // The xlsx: the total row's 达标率 0.6 and 人均达标 ✗ (3.2 per informant-day is under 4; it would pass 3).
    const { buffer } = await services.reports.statisticsWorkbook({ id: countyId, name: '配额旗' }, november, today, '月统计表');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(buffer as unknown as ArrayBuffer);
    const sheet = wb.worksheets[0];
    const headers = (sheet.getRow(3).values as unknown[]).map((v) => String(v ?? ''));
    let total: ExcelJS.Row | null = null;
    sheet.eachRow((row) => {
      if (row.getCell(2).value === '合计') total = row;
    });
    expect(total).not.toBeNull();
    const cell = (header: string) => total!.getCell(headers.indexOf(header)).value;
    expect(cell('达标率')).toBe(0.6);
    expect(cell('人均达标')).toBe('✗');
    expect(String(sheet.getCell(2, 1).value)).toContain('每日要求 4 条有效转发');

    // The overview: the county's quota as the target, the same rate, and the station below it.
    const o = await services.overview.overview({ countyId }, november, today, null, now);
    expect(o.targets.sharesPerInformantDay).toBe(4);
    expect(o.figures.quotaMetRate).toBe(0.6);
    expect(o.attention.filter((a) => a.kind === 'below-quota').map((a) => a.text)).toEqual(['配额一站人均每天有效转发 3.20 条，低于 4 条']);
  });

  it('no activity this month: in service and nothing logged since the 1st, whether counting or not; the same list everywhere', async () => {
    const all = [ids['配额一站'], ids['停用站'], ids['有活动站'], ids['未开始站']];
    expect(await services.policy.withoutActivityThisMonth(all, today)).toEqual([ids['配额一站'], ids['未开始站']]);
    const o = await services.overview.overview({ countyId }, november, today, null, now);
    expect(
      o.attention
        .filter((a) => a.kind === 'no-activity')
        .map((a) => a.stationId)
        .sort(),
    ).toEqual([ids['配额一站'], ids['未开始站']].sort());
    // The monthly check: the disabled station has no run; the station with an activity gets no message.
    const ctx: JobContext = { ds: db.ds, services, config: loadConfig({ LOG_LEVEL: 'silent' }) };
    expect(await monthlyCheck.scopes(ctx, [countyId])).toEqual([
      { kind: 'station', stationId: ids['配额一站'] },
      { kind: 'station', stationId: ids['有活动站'] },
      { kind: 'station', stationId: ids['未开始站'] },
    ]);
    expect(await monthlyCheck.plan(ctx, { kind: 'station', stationId: ids['有活动站'] }, november, now)).toEqual([]);
    expect(await monthlyCheck.plan(ctx, { kind: 'station', stationId: ids['停用站'] }, november, now)).toEqual([]);
    const reminder = await monthlyCheck.plan(ctx, { kind: 'station', stationId: ids['未开始站'] }, november, now);
    expect(reminder.map((m) => m.payload.text)).toEqual([expect.stringContaining('提醒：未开始站11月还没有登记活动')]);
    // Months without activity over the year: from each station's first counted month (the one not counting has none).
    const months = await services.policy.monthsWithoutActivity(all, parsePeriod('2026')!, today);
    expect(Object.fromEntries([...months].map(([id, n]) => [id, n]))).toEqual({
      [ids['配额一站']]: 1,
      [ids['停用站']]: 1,
      [ids['有活动站']]: 0,
      [ids['未开始站']]: 0,
    });
  });

  it('station status: stored as the domain lists it; any other value is refused by the database', async () => {
    const [row]: Array<{ status: string }> = await db.ds.query(`SELECT status FROM station WHERE id = $1`, [ids['停用站']]);
    expect(row.status).toBe('disabled');
    await expect(db.ds.query(`UPDATE station SET status = 'revoked' WHERE id = $1`, [ids['停用站']])).rejects.toThrow(/chk_station_status/);
    await expect(db.ds.query(`UPDATE station SET status = 'rectifying' WHERE id = $1`, [ids['停用站']])).rejects.toThrow(
      /chk_station_status/,
    );
  });
});
