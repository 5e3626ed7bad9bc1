import {
  STATION_STATUSES,
  activityMonths,
  activityTarget,
  calendarMonths,
  countedDays,
  countedRange,
  inService,
  isSilent,
  monthsWithoutActivity,
  noActivityInMonth,
  quotaOf,
  silentWindow,
  stationStart,
  stationStatusLabel,
} from '../../src/domain/county-policy';

/** The county policy's pure rules against hand-worked cases (docs/统计口径.md). */
describe('county policy', () => {
  it('quota: the county’s own, else the configured default', () => {
    expect(quotaOf(null, 3)).toBe(3);
    expect(quotaOf(undefined, 5)).toBe(5);
    expect(quotaOf(4, 3)).toBe(4);
  });

  it('counting start: the day the county set wins over the first binding; neither means not counting', () => {
    expect(stationStart('2026-11-10', '2026-11-01')).toBe('2026-11-10');
    expect(stationStart(null, '2026-11-01')).toBe('2026-11-01');
    expect(stationStart(null, null)).toBeNull();
  });

  it('counted range and days: from the later of the period start and the station start, to the earlier of its end and today', () => {
    const nov = { from: '2026-11-01', to: '2026-11-30' };
    expect(countedRange('2026-10-01', nov, '2026-12-05')).toEqual(nov);
    expect(countedRange('2026-11-10', nov, '2026-11-25')).toEqual({ from: '2026-11-10', to: '2026-11-25' });
    expect(countedDays('2026-11-10', nov, '2026-11-25')).toBe(16);
    expect(countedRange('2026-11-26', nov, '2026-11-25')).toBeNull();
    expect(countedRange(null, nov, '2026-11-25')).toBeNull();
    expect(countedDays(null, nov, '2026-11-25')).toBe(0);
    expect(countedDays('2026-11-01', nov, '2026-11-01')).toBe(1);
  });

  it('calendar months touched, and the activity target of a period (not days ÷ 30.44)', () => {
    expect(calendarMonths('2026-06-29', 7)).toBe(2); // W27: 29 June – 5 July
    expect(calendarMonths('2026-11-01', 25)).toBe(1);
    expect(calendarMonths('2026-07-01', 92)).toBe(3); // 2026Q3
    expect(calendarMonths('2026-01-15', 351)).toBe(12); // from mid-January to 31 December
    expect(calendarMonths('2025-12-31', 2)).toBe(2); // over the year's end
    expect(calendarMonths(null, 10)).toBe(0);
    expect(calendarMonths('2026-11-01', 0)).toBe(0);
    // 3 stations, W27: 3 × 1 × 2 (days ÷ 30.44 would have said 0, then 1).
    expect(activityTarget(3, '2026-06-29', 7)).toBe(6);
    // 2 stations over a quarter of 92 days: 2 × 3.
    expect(activityTarget(2, '2026-07-01', 92)).toBe(6);
    expect(activityTarget(4, null, 0)).toBe(0);
  });

  it('months without activity: from the first counted month to the cut-off, an activity anywhere in a month clears it', () => {
    const counted = { from: '2026-03-15', to: '2026-06-10' };
    expect(activityMonths(counted)).toEqual([
      { from: '2026-03-01', to: '2026-03-31' },
      { from: '2026-04-01', to: '2026-04-30' },
      { from: '2026-05-01', to: '2026-05-31' },
      { from: '2026-06-01', to: '2026-06-10' },
    ]);
    // March's activity before the counting start still clears March; June's after the cut-off does not count.
    expect(monthsWithoutActivity(counted, ['2026-03-02', '2026-05-31', '2026-06-20'])).toBe(2);
    expect(monthsWithoutActivity(counted, [])).toBe(4);
    expect(monthsWithoutActivity(null, [])).toBe(0);
  });

  it('no activity this month: a station in service, nothing from the 1st to the cut-off', () => {
    expect(noActivityInMonth('active', '2026-11-25', [])).toBe(true);
    expect(noActivityInMonth('active', '2026-11-25', ['2026-10-31'])).toBe(true);
    expect(noActivityInMonth('active', '2026-11-25', ['2026-11-01'])).toBe(false);
    expect(noActivityInMonth('active', '2026-11-25', ['2026-11-26'])).toBe(true);
    expect(noActivityInMonth('disabled', '2026-11-25', [])).toBe(false);
  });

  it('silent group: bound 3 days in a station in service, no share today or the 2 days before', () => {
    const now = new Date('2026-11-25T04:00:00Z'); // 12:00 Beijing
    const old = new Date('2026-11-20T00:00:00Z');
    expect(silentWindow('2026-11-25')).toEqual({ from: '2026-11-23', to: '2026-11-25' });
    expect(isSilent({ boundAt: old, stationStatus: 'active', lastShareDay: null }, '2026-11-25', now)).toBe(true);
    expect(isSilent({ boundAt: old, stationStatus: 'active', lastShareDay: '2026-11-22' }, '2026-11-25', now)).toBe(true);
    expect(isSilent({ boundAt: old, stationStatus: 'active', lastShareDay: '2026-11-23' }, '2026-11-25', now)).toBe(false);
    // Bound 2 days 23 hours ago: not yet.
    const recent = new Date(now.getTime() - 71 * 3_600_000);
    expect(isSilent({ boundAt: recent, stationStatus: 'active', lastShareDay: null }, '2026-11-25', now)).toBe(false);
    expect(isSilent({ boundAt: old, stationStatus: 'disabled', lastShareDay: null }, '2026-11-25', now)).toBe(false);
    expect(isSilent({ boundAt: null, stationStatus: null, lastShareDay: null }, '2026-11-25', now)).toBe(false);
  });

  it('station statuses: two, with their Chinese names; only active is in service', () => {
    expect([...STATION_STATUSES]).toEqual(['active', 'disabled']);
    expect(STATION_STATUSES.map(stationStatusLabel)).toEqual(['正常', '已停用']);
    expect(stationStatusLabel('revoked')).toBe('revoked');
    expect(STATION_STATUSES.filter(inService)).toEqual(['active']);
  });
});
