import { runCli } from '../../src/cli';
import { ManualClock } from '../../src/clock';
import { loadConfig } from '../../src/config';
import { createMetrics } from '../../src/metrics';
import { createServices, type Services } from '../../src/services';
import { createTestDatabase, type TestDatabase } from '../support/db';

const at = (day: string, hh = 10) => new Date(`${day}T${String(hh).padStart(2, '0')}:00:00+08:00`);

/**
 * Retention of the raw shares (share_event, effective_share) on the real schema: months before
 * the retention window go a partition at a time, only once the summaries cover them; the
 * summaries, the ledger (daily_rollup) and the figures read from them stay. Today is 2026-12-05
 * and RAW_RETENTION_MONTHS is 36, so 2023-12 is the oldest month kept.
 */
describe('retention of raw shares', () => {
  let db: TestDatabase;
  let services: Services;
  let countyId: number;
  const today = '2026-12-05';
  const clock = new ManualClock(at(today, 9));
  let n = 0;

  const share = async (day: string, item: number, hh = 10) => {
    const r = await services.shares.record({
      messageId: `msg-${++n}`,
      roomId: 'room-a@chatroom',
      talkerId: 'wxid_wangxiuying01',
      talkerName: '秀英的微信',
      link: { contentKey: `kepu:article:${item}`, url: `https://m.kepuchina.cn/tuwendetail?id=${item}`, kind: 'url' },
      sentAt: at(day, hh),
    });
    await services.shares.flush();
    return r;
  };
  const partitions = async (): Promise<string[]> =>
    (
      await db.ds.query(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
         WHERE p.relname IN ('share_event', 'effective_share') AND c.relname LIKE '%y2023%' ORDER BY 1`,
      )
    ).map((r: { name: string }) => r.name);
  /** Raw rows per month of 2023, straight from the tables. */
  const rawRows = async () =>
    db.ds.query(
      `SELECT to_char(day, 'YYYY-MM') AS month,
              (SELECT count(*)::int FROM share_event e WHERE date_trunc('month', e.day) = date_trunc('month', d.day)) AS events,
              (SELECT count(*)::int FROM effective_share e WHERE date_trunc('month', e.day) = date_trunc('month', d.day)) AS effective
       FROM (SELECT DISTINCT date_trunc('month', day)::date AS day FROM daily_rollup WHERE day < '2024-01-01') d ORDER BY 1`,
    );
  const ledger = () => db.ds.query(`SELECT to_char(day, 'YYYY-MM-DD') AS day, raw_shares, effective_shares FROM daily_rollup ORDER BY day`);
  const figures = (from: string, to: string) => services.statistics.figures('county', countyId, { from, to }, today);
  const cli = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(
      argv,
      { DATABASE_URL: db.url, LOG_LEVEL: 'silent' },
      { out: (l) => out.push(l), err: (l) => err.push(l) },
      clock,
    );
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  let october: Awaited<ReturnType<typeof figures>>;

  beforeAll(async () => {
    db = await createTestDatabase();
    services = createServices(db.ds, loadConfig({ SHARE_BATCH_WAIT_MS: '1' }), createMetrics());
    const start = at('2023-09-01', 9);
    const station = await services.stations.add({ name: '城关社区e站', county: '演练旗', type: 'community' });
    countyId = station.countyId;
    await services.groups.remember('room-a@chatroom', '城关社区信息员群', start);
    await services.groups.bind('room-a@chatroom', '城关社区e站', start, '演练旗');
    await services.informants.addToRoster(station.id, '王秀英', '13912345671', start);
    await services.informants.bindMember('room-a@chatroom', 'wxid_wangxiuying01', '王秀英', start);
    await services.partitions.ensureMonths(['2023-10', '2023-11', '2023-12']);
    // October: three items, one of them again (raw only); November: two items; December 2023 and this month: one each.
    for (const item of [1, 2, 3]) await share('2023-10-10', item);
    await share('2023-10-10', 1, 20);
    for (const item of [4, 5]) await share('2023-11-20', item);
    await share('2023-12-05', 6);
    await share('2026-12-01', 7);
    await db.ds.query(`ANALYZE share_event; ANALYZE effective_share`);
    october = await figures('2023-10-01', '2023-10-31');
  });

  afterAll(async () => {
    await db.close();
  });

  it('reads October 2023 from the summaries as written: 4 shares, 3 effective', () => {
    expect(october).toMatchObject({ rawShares: 4, effectiveShares: 3, activeInformants: 1, quotaMetDays: 1 });
  });

  it('--dry-run lists the old months with their row estimates and removes nothing', async () => {
    const partitionsBefore = await partitions();
    const rowsBefore = await rawRows();
    expect(rowsBefore).toEqual([
      { month: '2023-10', events: 4, effective: 3 },
      { month: '2023-11', events: 2, effective: 2 },
      { month: '2023-12', events: 1, effective: 1 },
    ]);
    const r = await cli('data', 'retention', '--dry-run');
    expect(r.code).toBe(0);
    expect(r.out).toContain('原始转发保留 36 个月（RAW_RETENTION_MONTHS）：保留 2023-12 及以后的月份');
    expect(r.out).toContain('会删除（--dry-run，这次没有删除任何数据）：');
    const listed = r.out.split('\n').filter((l) => /^ {2}2023-/.test(l));
    expect(listed.map((l) => l.trim().split(/\s+/).slice(0, 3).join(' '))).toEqual([
      '2023-10 share_event_y2023m10 约',
      '2023-10 effective_share_y2023m10 约',
      '2023-11 share_event_y2023m11 约',
      '2023-11 effective_share_y2023m11 约',
    ]);
    expect(listed[0]).toContain('约 4 行');
    expect(listed[1]).toContain('约 3 行');
    expect(r.out).toContain('共 4 个分区，约 11 行');
    expect(await partitions()).toEqual(partitionsBefore);
    expect(await rawRows()).toEqual(rowsBefore);
  });

  it('keeps a month the summaries do not cover yet, even when it was planned before a late share arrived', async () => {
    await services.statistics.summaries.refresh();
    const planned = await services.partitions.retentionPlan(today, 36);
    expect(planned.drop.map((p) => p.partition)).toEqual([
      'share_event_y2023m10',
      'effective_share_y2023m10',
      'share_event_y2023m11',
      'effective_share_y2023m11',
    ]);
    // A share of 2023-11 written after the summaries were refreshed (a spool written back late).
    await share('2023-11-21', 9);
    const now = await services.partitions.retentionPlan(today, 36);
    expect(now.drop.map((p) => p.partition)).toEqual(['share_event_y2023m10', 'effective_share_y2023m10']);
    expect(now.unsummarised.map((p) => p.partition)).toEqual(['share_event_y2023m11', 'effective_share_y2023m11']);
    // The earlier plan is checked again month by month under the lock: November stays.
    const dropped = await services.partitions.drop(planned);
    expect(dropped.map((p) => p.partition)).toEqual(['share_event_y2023m10', 'effective_share_y2023m10']);
    expect(await partitions()).toEqual([
      'effective_share_y2023m11',
      'effective_share_y2023m12',
      'share_event_y2023m11',
      'share_event_y2023m12',
    ]);
    expect(await rawRows()).toEqual([
      { month: '2023-10', events: 0, effective: 0 },
      { month: '2023-11', events: 3, effective: 3 },
      { month: '2023-12', events: 1, effective: 1 },
    ]);
  });

  it('drops the summarised old months with `kepubot data retention`; the ledger and every figure read from the summaries stay', async () => {
    const ledgerBefore = await ledger();
    const november = await figures('2023-11-01', '2023-11-30');
    const quarter = await figures('2023-10-01', '2023-12-31');
    expect(november).toMatchObject({ rawShares: 3, effectiveShares: 3 });
    expect(quarter).toMatchObject({ rawShares: 8, effectiveShares: 7 });
    const r = await cli('data', 'retention');
    expect(r.code).toBe(0);
    expect(r.out).toContain('已删除：');
    expect(r.out).toMatch(/2023-11 {2}share_event_y2023m11/);
    expect(r.out).toMatch(/2023-11 {2}effective_share_y2023m11/);
    expect(r.out).toContain('台账（daily_rollup）');
    expect(await partitions()).toEqual(['effective_share_y2023m12', 'share_event_y2023m12']);
    expect(await ledger()).toEqual(ledgerBefore);
    expect(await figures('2023-10-01', '2023-10-31')).toEqual(october);
    expect(await figures('2023-11-01', '2023-11-30')).toEqual(november);
    expect(await figures('2023-10-01', '2023-12-31')).toEqual(quarter);
    // Nothing old is left: a second run removes nothing.
    expect((await cli('data', 'retention')).out).toContain('没有可以删除的分区。');
  });

  it('`kepubot data partitions` makes the months ahead of today and lists every month with its rows', async () => {
    const r = await cli('data', 'partitions');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^(已补建 \d+ 个分区：|本月和之后 3 个月的分区都已存在)/);
    const [{ ahead }] = await db.ds.query(
      `SELECT array_agg(c.relname::text ORDER BY c.relname) AS ahead FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE c.relname IN ('share_event_y2026m12', 'share_event_y2027m01', 'share_event_y2027m02', 'share_event_y2027m03',
                           'effective_share_y2026m12', 'effective_share_y2027m01', 'effective_share_y2027m02', 'effective_share_y2027m03')`,
    );
    expect(ahead).toEqual([
      'effective_share_y2026m12',
      'effective_share_y2027m01',
      'effective_share_y2027m02',
      'effective_share_y2027m03',
      'share_event_y2026m12',
      'share_event_y2027m01',
      'share_event_y2027m02',
      'share_event_y2027m03',
    ]);
    expect(r.out).toMatch(/\n {2}2023-12 {2}share_event_y2023m12 {2}约 1 行 /);
    expect(r.out).toMatch(/\n {2}2023-12 {2}effective_share_y2023m12 {2}约 1 行 /);
    expect(r.out).not.toContain('y2023m11');
  });
});
