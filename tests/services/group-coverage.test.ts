import { CoverageMonitor } from '../../src/channels/wechat/coverage-monitor';
import { dayOf } from '../../src/domain/calendar';
import { parsePeriod } from '../../src/domain/periods';
import { coverageLines } from '../../src/jobs/weekly-digest.job';
import { accountStateLabel } from '../../src/domain/bot-accounts';
import { AlertService } from '../../src/services/alert.service';
import { GroupCoverage } from '../../src/services/group-coverage.service';
import { startAccountWorld, type AccountWorld } from '../support/accounts';

const ROOM = 'room-cov@chatroom';
const ZHANG = { id: 'wx-zhang', name: '张三' };
// 2026-11-25 19:35 in Asia/Shanghai.
const N = new Date('2026-11-25T11:35:00Z');
const H = 3600_000;
const MIN = 60_000;
const ago = (hours: number) => new Date(N.getTime() - hours * H);

/**
 * Coverage on a real PostgreSQL with kepubot's real processes (two mock-puppet accounts in one
 * bound group) and a manual clock: listening intervals as heartbeats extend them, coverage
 * figures from hand-placed intervals, one alert for a day's long gap (also from a second
 * process), a suspect account marked and alerted once.
 */
describe('group coverage: listening intervals, figures, gap alert, suspect accounts', () => {
  let w: AccountWorld;
  let coverage: GroupCoverage;
  let monitor: CoverageMonitor;
  let groupId: number;

  beforeAll(async () => {
    w = await startAccountWorld({
      now: N,
      accounts: ['acct-a', 'acct-b'],
      processes: 1,
      env: {
        COVERAGE_ALERT_MINUTES: '30',
        SUSPECT_ACCOUNT_MINUTES: '10',
        ALERT_WEBHOOK_URL: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=coverage-test',
      },
    });
    await w.world(ROOM, '城关科普群', [ZHANG]);
    await w.seedStation({ station: '城关社区e站', roomId: ROOM, informants: [{ name: ZHANG.name, contactId: ZHANG.id }] });
    await w.elect();
    const app = w.processes[0];
    // The timers run in real time: this test drives the monitor by hand.
    await app.coverage.stop();
    monitor = app.coverage;
    coverage = app.services.coverage;
    [{ id: groupId }] = await w.db.ds.query(`SELECT id FROM wechat_group WHERE room_id = $1`, [ROOM]);
    // PostgreSQL wrote the membership at its (real) now; this world lives on N: in the group since a day before.
    await w.db.ds.query(`UPDATE group_account SET first_seen_at = $2 WHERE room_id = $1`, [ROOM, ago(24)]);
  }, 60_000);
  afterAll(async () => {
    await w?.stop();
  });

  const intervals = async (name: string) =>
    (
      await w.db.ds.query<Array<{ s: Date; e: Date }>>(
        `SELECT started_at AS s, ended_at AS e FROM account_listen_interval WHERE account_id = $1 ORDER BY started_at`,
        [w.accountIds[name]],
      )
    ).map((r) => [r.s.toISOString(), r.e.toISOString()]);
  const iso = (ms: number) => new Date(ms).toISOString();
  const alertRuns = async (prefix: string) =>
    (
      await w.db.ds.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM job_run WHERE job = 'alert' AND scope LIKE $1`, [
        `alert:${prefix}%`,
      ])
    )[0].n;
  /** Heartbeats every 15 s from now for `minutes`. */
  const listenFor = async (minutes: number) => {
    const end = w.clock.now().getTime() + minutes * MIN;
    for (let t = w.clock.now().getTime(); t <= end; t += 15_000) {
      w.clock.set(new Date(t));
      await monitor.beat();
    }
  };

  it('extends an account’s interval with every heartbeat, and starts a new one after a silence', async () => {
    const t0 = N.getTime();
    for (const dt of [0, 10_000, 20_000, 60_000, 70_000]) {
      w.clock.set(new Date(t0 + dt));
      await monitor.beat();
    }
    const expected = [
      [iso(t0), iso(t0 + 20_000)],
      [iso(t0 + 60_000), iso(t0 + 70_000)],
    ];
    expect(await intervals('acct-a')).toEqual(expected);
    expect(await intervals('acct-b')).toEqual(expected);
  });

  it('computes a group’s coverage from its accounts’ intervals, each clipped to the account’s membership (hand-computed)', async () => {
    // Four accounts no process drives (paused), in a group of their own known for 3 days.
    const ids: number[] = [];
    for (const name of ['h3', 'h4', 'h5', 'h6']) {
      const [row] = await w.db.ds.query<Array<{ id: number }>>(
        `INSERT INTO bot_account (name, source, paused) VALUES ($1, 'db', true) RETURNING id`,
        [name],
      );
      ids.push(row.id);
    }
    const [h3, h4, h5, h6] = ids;
    const [g] = await w.db.ds.query<Array<{ id: number }>>(
      `INSERT INTO wechat_group (room_id, topic, created_at) VALUES ('hand@chatroom', '手算群', $1) RETURNING id`,
      [ago(72)],
    );
    await w.db.ds.query(
      `INSERT INTO group_account (room_id, account_id, first_seen_at, present, left_at) VALUES
         ('hand@chatroom', $1, $5, true, NULL), ('hand@chatroom', $2, $5, true, NULL),
         ('hand@chatroom', $3, $6, true, NULL), ('hand@chatroom', $4, $5, false, $7)`,
      [h3, h4, h5, h6, ago(72), ago(2), ago(8)],
    );
    const spans: Array<[number, Date, Date]> = [
      [h3, ago(10), ago(4)],
      [h4, ago(5), ago(3)],
      [h4, ago(1), N],
      [h4, ago(50), ago(48)],
      [h5, ago(30), N], // counts from its joining, 2 h ago
      [h6, ago(12), N], // counts until it left, 8 h ago
    ];
    for (const [id, s, e] of spans) {
      await w.db.ds.query(`INSERT INTO account_listen_interval (account_id, started_at, ended_at) VALUES ($1, $2, $3)`, [id, s, e]);
    }
    const groups = await coverage.measuredGroups({ ids: [g.id] });
    // Last 24 h: [12 h ago, 3 h ago] ∪ [2 h ago, now] = 11 h. Week (the group is 72 h old): those and [50 h, 48 h ago] = 13 h.
    expect((await coverage.figures(groups, N)).get(g.id)).toEqual({ day: expect.closeTo(11 / 24, 9), week: expect.closeTo(13 / 72, 9) });
    // From 24 h to 6 h ago (18 h): [12 h ago, 6 h ago] = 6 h.
    expect((await coverage.ratios(groups, ago(24), ago(6))).get(g.id)).toBeCloseTo(6 / 18, 9);
  });

  it('alerts once when a bound group is unheard for more than COVERAGE_ALERT_MINUTES of a day, naming the group', async () => {
    w.clock.set(new Date(N.getTime() + 2 * MIN));
    await listenFor(10);
    await monitor.check();
    // Bound at N: 1 min 50 s unheard so far (between the first heartbeats), under 30 minutes.
    expect(await alertRuns('group-unheard')).toBe(0);
    // No heartbeat for 31 minutes (the process stalled): then both accounts listen again.
    w.clock.set(new Date(w.clock.now().getTime() + 31 * MIN));
    await listenFor(2);
    await monitor.check();
    await monitor.check();
    const day = dayOf(N);
    expect(await alertRuns(`group-unheard:${groupId}:${day}`)).toBe(1);
    const [msg] = await w.db.ds.query<Array<{ payload: { text: string } }>>(
      `SELECT o.payload FROM outbox_message o JOIN job_run r ON r.id = o.run_id WHERE r.scope = $1`,
      [`alert:group-unheard:${groupId}:${day}`],
    );
    expect(msg.payload.text).toContain('群“城关社区e站”（e站“城关社区e站”）');
    expect(msg.payload.text).toContain(`在 ${day} 已有 32 分钟没有任何机器人微信号在听`);
    // Another process (its own alert service and monitor) checks the same day: still one alert.
    const app = w.processes[0];
    const other = new CoverageMonitor({
      pool: app.accounts,
      coverage: new GroupCoverage(w.db.ds),
      alerts: new AlertService({ ds: w.db.ds, config: app.config, deliver: async () => undefined, log: app.log, clock: w.clock }),
      clock: w.clock,
      log: app.log,
      alertMinutes: 30,
      suspectMinutes: 10,
    });
    await other.check();
    await other.stop();
    expect(await alertRuns('group-unheard')).toBe(1);
  });

  it('marks an account suspect (and alerts once) when it hears nothing while the other account in its group does', async () => {
    const say = () =>
      w.say({ talkerId: ZHANG.id, roomId: ROOM, text: '大家好' }, { ids: 'different', at: w.clock.now().getTime(), to: ['acct-b'] });
    for (let i = 0; i < 4; i++) {
      say();
      await w.settle();
      await listenFor(3);
    }
    await monitor.check();
    await monitor.check();
    const list = await w.processes[0].services.accounts.list(w.clock.now());
    const a = list.find((x) => x.name === 'acct-a')!;
    const b = list.find((x) => x.name === 'acct-b')!;
    expect(a.suspectSince).toEqual(expect.any(Date));
    expect(accountStateLabel(a)).toBe('疑似失效（已登录但收不到消息）');
    expect(b.suspectSince).toBeNull();
    expect(accountStateLabel(b)).toBe('在线');
    expect(await alertRuns(`account-suspect:${w.accountIds['acct-a']}`)).toBe(1);
    expect(await alertRuns('account-suspect')).toBe(1);
    // It hears the group again: no longer suspect, the incident ends.
    w.say(
      { talkerId: ZHANG.id, roomId: ROOM, text: '晚上好' },
      { ids: 'different', at: w.clock.now().getTime(), to: ['acct-a', 'acct-b'] },
    );
    await w.settle();
    await listenFor(1);
    await monitor.check();
    const again = (await w.processes[0].services.accounts.list(w.clock.now())).find((x) => x.name === 'acct-a')!;
    expect(again.suspectSince).toBeNull();
    expect(await alertRuns('account-suspect')).toBe(1);
  });

  it('the weekly digest gives the county’s groups’ coverage of the week, naming the weakly covered ones', async () => {
    const app = w.processes[0];
    const [{ county_id: countyId }] = await w.db.ds.query<Array<{ county_id: number }>>(
      `SELECT s.county_id FROM wechat_group g JOIN station s ON s.id = g.station_id WHERE g.id = $1`,
      [groupId],
    );
    // Bound at N, now N + 58 min; unheard: 40 s + 50 s between the first heartbeats, then the 31-minute stall.
    expect(w.clock.now().toISOString()).toBe(new Date(N.getTime() + 58 * MIN).toISOString());
    const lines = await coverageLines(
      { ds: w.db.ds, services: app.services, config: app.config },
      countyId,
      parsePeriod('2026-W48')!,
      w.clock.now(),
    );
    // (The group's topic is the room's again since a member spoke: WeChat's name wins over the seed's.)
    expect(lines).toEqual([
      '**群覆盖率**（有机器人微信号在听的时间占比）：1 个群平均 44.0%；低于 99.0% 的 1 个群：城关科普群 44.0%（掉线时群里的转发无法统计，建议每个群拉进两个机器人微信号）',
    ]);
  });

  it('exposes kepubot_group_coverage_ratio by group id and window, without names', async () => {
    await monitor.check();
    const text = await w.processes[0].metrics.registry.metrics();
    expect(text).toMatch(new RegExp(`kepubot_group_coverage_ratio\\{group="${groupId}",window="day"\\} 0\\.\\d+`));
    expect(text).not.toContain('城关');
  });
});
