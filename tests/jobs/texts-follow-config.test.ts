import { loadConfig, type AppConfig } from '../../src/config';
import { parsePeriod } from '../../src/domain/periods';
import { groupReminder } from '../../src/jobs/group-reminder.job';
import type { JobContext } from '../../src/jobs/job';
import { monthlyCheck } from '../../src/jobs/monthly-check.job';
import { weeklyDigest } from '../../src/jobs/weekly-digest.job';
import { createLogger } from '../../src/logger';
import { createServices } from '../../src/services';
import { JobRunner } from '../../src/jobs/runner';
import { createTestDatabase, type TestDatabase } from '../support/db';

/**
 * The rules the texts mention (daily quota, quiet hours, station targets) come from the
 * configuration and src/domain/figures.ts, so changing DAILY_SHARE_QUOTA or QUIET_HOURS changes
 * what the scheduled messages say and how long they stay worth sending.
 */
describe('scheduled texts follow DAILY_SHARE_QUOTA, QUIET_HOURS and the station targets', () => {
  let db: TestDatabase;
  let countyId: number;
  let stationId: number;
  const ROOM = 'room-texts@chatroom';
  const WEEK = parsePeriod('2026-W48')!;
  const DAY = parsePeriod('2026-11-25')!;
  const MONTH = parsePeriod('2026-11')!;
  // Monday 2026-11-30 08:30 in Asia/Shanghai.
  const NOW = new Date('2026-11-30T00:30:00Z');

  const contextWith = (env: Record<string, string>): { ctx: JobContext; config: AppConfig } => {
    const config = loadConfig({ LOG_LEVEL: 'silent', ...env });
    return { ctx: { ds: db.ds, services: createServices(db.ds, config), config }, config };
  };
  const texts = (messages: Array<{ payload: { text: string } }>) => messages.map((m) => m.payload.text).join('\n');

  beforeAll(async () => {
    db = await createTestDatabase();
    const services = createServices(db.ds, loadConfig({ LOG_LEVEL: 'silent' }));
    const station = await services.stations.add({ name: '规则站', county: '规则旗' });
    stationId = station.id;
    countyId = station.countyId;
    await db.ds.query(
      `WITH c AS (INSERT INTO county_staff (county_id, name) VALUES ($1, '科协') RETURNING id)
       INSERT INTO person_identity (staff_id, kind, external_id) SELECT id, 'wecom-user', 'kx01' FROM c`,
      [countyId],
    );
    await db.ds.query(
      `WITH m AS (INSERT INTO station_manager (station_id, name) VALUES ($1, '站长') RETURNING id)
       INSERT INTO person_identity (manager_id, kind, external_id) SELECT id, 'wecom-user', 'zz01' FROM m`,
      [stationId],
    );
    await db.ds.query(`INSERT INTO wechat_group (room_id, topic, station_id, bound_at) VALUES ($1, '规则群', $2, now())`, [
      ROOM,
      stationId,
    ]);
    const [one]: Array<{ id: number }> = await db.ds.query(
      `INSERT INTO informant (station_id, name, wechat_contact_id, status, bound_at) VALUES ($1, '甲', 'wx-jia', 'active', now()) RETURNING id`,
      [stationId],
    );
    // Four effective shares on Wednesday of week 48.
    await db.ds.query(
      `INSERT INTO daily_rollup (informant_id, day, station_id, raw_shares, effective_shares) VALUES ($1, '2026-11-25', $2, 4, 4)`,
      [one.id, stationId],
    );
  });
  afterAll(async () => {
    await db.close();
  });

  it('the weekly digest states the configured quota, or the county’s own', async () => {
    const byDefault = texts(await weeklyDigest.plan(contextWith({}).ctx, { kind: 'county', countyId }, WEEK, NOW));
    expect(byDefault).toContain('（要求 3 条，');

    const five = texts(await weeklyDigest.plan(contextWith({ DAILY_SHARE_QUOTA: '5' }).ctx, { kind: 'county', countyId }, WEEK, NOW));
    expect(five).toContain('（要求 5 条，');
    expect(five).not.toContain('要求 3 条');
    expect(five).toContain('（要求每月 1 次、50 人）');

    await db.ds.query(`UPDATE region SET daily_quota = 4 WHERE id = $1`, [countyId]);
    try {
      const own = texts(await weeklyDigest.plan(contextWith({ DAILY_SHARE_QUOTA: '5' }).ctx, { kind: 'county', countyId }, WEEK, NOW));
      expect(own).toContain('（要求 4 条，');
      expect(own).not.toContain('要求 5 条');
    } finally {
      await db.ds.query(`UPDATE region SET daily_quota = NULL WHERE id = $1`, [countyId]);
    }
  });

  it('the evening reminder states the configured quota and is no longer sent once the configured quiet hours begin', async () => {
    const { ctx } = contextWith({ DAILY_SHARE_QUOTA: '6', QUIET_HOURS: '21:00-06:00' });
    const [msg] = await groupReminder.plan(ctx, { kind: 'room', roomId: ROOM }, DAY, NOW);
    expect(msg.payload.text).toContain('（每天 6 条有效转发）');
    expect(msg.payload.text).toContain('甲 还差 2 条');
    expect(msg.validUntil).toEqual(new Date('2026-11-25T13:00:00Z')); // 21:00 in Shanghai

    const [late] = await groupReminder.plan(
      contextWith({ DAILY_SHARE_QUOTA: '5', QUIET_HOURS: '23:15-07:00' }).ctx,
      { kind: 'room', roomId: ROOM },
      DAY,
      NOW,
    );
    expect(late.payload.text).toContain('（每天 5 条有效转发）');
    expect(late.validUntil).toEqual(new Date('2026-11-25T15:15:00Z')); // 23:15 in Shanghai

    // Quiet hours that begin after midnight: the evening lasts until then.
    const [night] = await groupReminder.plan(
      contextWith({ DAILY_SHARE_QUOTA: '5', QUIET_HOURS: '00:30-07:00' }).ctx,
      { kind: 'room', roomId: ROOM },
      DAY,
      NOW,
    );
    expect(night.validUntil).toEqual(new Date('2026-11-25T16:30:00Z')); // 00:30 on the 26th in Shanghai
  });

  it('catching up after a restart, a missed reminder counts as useful until the configured quiet hours begin', async () => {
    // 21:30 in Shanghai on the 25th: the 19:30 reminder was missed.
    const at = new Date('2026-11-25T13:30:00Z');
    const runnerWith = (env: Record<string, string>) => {
      const { ctx, config } = contextWith({ DAILY_SHARE_QUOTA: '5', ...env });
      return new JobRunner(db.ds, ctx.services, config, createLogger('silent'));
    };
    const reminders = (runs: Array<{ job: string }>) => runs.filter((r) => r.job === 'group-reminder');

    expect(reminders(await runnerWith({ QUIET_HOURS: '21:00-06:00' }).catchUp(at))).toEqual([]);
    expect(reminders(await runnerWith({}).catchUp(at))).toMatchObject([{ scope: `room:${ROOM}`, period: '2026-11-25', state: 'planned' }]);
  });

  it('the monthly activity check states the station targets', async () => {
    const messages = await monthlyCheck.plan(contextWith({}).ctx, { kind: 'station', stationId }, MONTH, NOW);
    expect(messages).toHaveLength(1);
    expect(messages[0].recipient).toBe('zz01');
    expect(messages[0].payload.text).toContain('每月至少要开展 1 次 50 人以上的科普活动');
  });
});
