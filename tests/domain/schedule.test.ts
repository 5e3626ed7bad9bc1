import { loadConfig, ConfigError } from '../../src/config';
import { parsePeriod, periodBefore, periodContaining, periodLabel } from '../../src/domain/periods';
import { eveningEnd, lastFiring, periodFor, ruleProblem, stillUseful } from '../../src/domain/schedule';

const Z = 'Asia/Shanghai';
/** The default quiet hours (22:30-07:30). */
const QUIET = loadConfig({}).schedule.quiet;

describe('periods', () => {
  it.each([
    ['2026-11-25', 'day', '2026-11-25', '2026-11-25'],
    ['2026-W48', 'week', '2026-11-23', '2026-11-29'],
    ['2026-W01', 'week', '2025-12-29', '2026-01-04'],
    ['2026-11', 'month', '2026-11-01', '2026-11-30'],
    ['2026Q3', 'quarter', '2026-07-01', '2026-09-30'],
    ['2024', 'year', '2024-01-01', '2024-12-31'],
  ])('parses %s', (key, kind, from, to) => {
    expect(parsePeriod(key)).toEqual({ kind, key, from, to });
  });

  it.each(['2026-02-30', '2026-W54', '2026-13', '2026Q5', 'last week', '', '0000', '0001-W01', '1999-12-31', '2100Q1'])(
    'rejects %s',
    (key) => {
      expect(parsePeriod(key)).toBeNull();
    },
  );

  it('steps back and labels periods', () => {
    expect(periodBefore('week', '2026-11-30').key).toBe('2026-W48');
    expect(periodBefore('quarter', '2026-10-01').key).toBe('2026Q3');
    expect(periodContaining('month', '2026-02-10').to).toBe('2026-02-28');
    expect(periodLabel(parsePeriod('2026-W48')!)).toBe('2026年第48周（11月23日—11月29日）');
    expect(periodLabel(parsePeriod('2026Q3')!)).toBe('2026年第3季度');
  });
});

describe('schedule rules', () => {
  it('finds the last firing in Asia/Shanghai and the period it reports on', () => {
    const now = new Date('2026-11-30T02:00:00Z'); // Monday 10:00 in Shanghai
    expect(lastFiring('30 8 * * 1', Z, now)).toEqual(new Date('2026-11-30T00:30:00Z'));
    expect(periodFor('weekly-digest', now).key).toBe('2026-W48');
    expect(periodFor('quarterly-table', new Date('2026-10-01T01:00:00Z')).key).toBe('2026Q3');
    expect(periodFor('group-reminder', new Date('2026-11-25T16:30:00Z')).key).toBe('2026-11-26'); // 00:30 next day in Shanghai
  });

  it('decides whether a missed run is still useful', () => {
    const day = parsePeriod('2026-11-25')!;
    expect(stillUseful('group-reminder', day, new Date('2026-11-25T12:00:00Z'), Z, QUIET)).toBe(true); // 20:00
    expect(stillUseful('group-reminder', day, new Date('2026-11-26T01:00:00Z'), Z, QUIET)).toBe(false); // next morning
    expect(stillUseful('weekly-digest', parsePeriod('2026-W47')!, new Date('2026-11-25T12:00:00Z'), Z, QUIET)).toBe(true);
    expect(stillUseful('weekly-digest', parsePeriod('2026-W46')!, new Date('2026-11-25T12:00:00Z'), Z, QUIET)).toBe(false);
    expect(stillUseful('quarterly-table', parsePeriod('2026Q3')!, new Date('2026-10-05T12:00:00Z'), Z, QUIET)).toBe(true);
    expect(stillUseful('quarterly-table', parsePeriod('2026Q3')!, new Date('2026-10-06T12:00:00Z'), Z, QUIET)).toBe(false);
  });

  it('a reminder or ranking stays useful until the configured quiet hours begin', () => {
    const day = parsePeriod('2026-11-25')!;
    const at2130 = new Date('2026-11-25T13:30:00Z');
    const early = loadConfig({ QUIET_HOURS: '21:00-06:00' }).schedule.quiet;
    expect(stillUseful('group-reminder', day, at2130, Z, QUIET)).toBe(true);
    expect(stillUseful('group-reminder', day, at2130, Z, early)).toBe(false);
    expect(stillUseful('group-ranking', day, new Date('2026-11-25T12:59:00Z'), Z, early)).toBe(true);
    expect(eveningEnd('2026-11-25', QUIET, Z)).toEqual(new Date('2026-11-25T14:30:00Z'));
    expect(eveningEnd('2026-11-25', early, Z)).toEqual(new Date('2026-11-25T13:00:00Z'));
    // Quiet hours starting after midnight: the evening runs until then, on the next calendar day.
    const afterMidnight = loadConfig({ QUIET_HOURS: '00:30-07:00' }).schedule.quiet;
    expect(eveningEnd('2026-11-25', afterMidnight, Z)).toEqual(new Date('2026-11-25T16:30:00Z'));
    expect(stillUseful('group-reminder', day, new Date('2026-11-25T16:10:00Z'), Z, afterMidnight)).toBe(true); // 00:10 on the 26th
    expect(stillUseful('group-reminder', day, new Date('2026-11-25T16:31:00Z'), Z, afterMidnight)).toBe(false);
    expect(stillUseful('group-reminder', day, new Date('2026-11-24T15:00:00Z'), Z, QUIET)).toBe(false); // the evening before
  });

  it('names malformed rules and time zones', () => {
    expect(ruleProblem('30 19 * * *', Z)).toBeNull();
    expect(ruleProblem('30 19 * *', Z)).toContain('should have 5 fields');
    expect(ruleProblem('30 25 * * *', Z)).toContain('not a valid cron rule');
    expect(ruleProblem('30 19 * * *', 'Asia/Shangai')).toContain('unknown time zone');
  });

  it('stops start-up on a malformed schedule variable or time zone, naming it', () => {
    expect(loadConfig({}).schedule.rules['group-reminder']).toBe('30 19 * * *');
    expect(loadConfig({ QUIET_HOURS: '23:00-06:30' }).schedule.quiet).toEqual({ start: 1380, end: 390 });
    expect(() => loadConfig({ SCHEDULE_WEEKLY_DIGEST: '30 8 * * 8' })).toThrow(/SCHEDULE_WEEKLY_DIGEST: .*not a valid cron rule/);
    expect(() => loadConfig({ SCHEDULE_TIME_ZONE: 'Asia/Shangai' })).toThrow(
      /SCHEDULE_TIME_ZONE: unknown time zone \(got "Asia\/Shangai"\)/,
    );
    expect(() => loadConfig({ QUIET_HOURS: '22-7' })).toThrow(ConfigError);
  });
});
