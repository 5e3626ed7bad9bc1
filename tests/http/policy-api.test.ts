import { WechatGroup } from '../../src/db/entities';
import { daysBefore, dayOf } from '../../src/domain/calendar';
import { groupListBody } from '../../src/http/api/areas/groups';
import { overviewBody } from '../../src/http/api/areas/overview';
import { periodsBody } from '../../src/http/api/areas/periods';
import { stationsBody } from '../../src/http/api/areas/stations';
import { startConsole, type ApiBrowser, type ConsoleFixture } from '../support/console';

/**
 * What the console shows is what the server derived (issue 17): the period keys and labels, the
 * period's activity target by calendar months, each group's silent flag by the server's rule,
 * and the status labels. Expectations are written out by hand.
 */
describe('console API: server-derived facts', () => {
  const now = new Date('2026-07-02T04:00:00Z'); // Thursday 12:00 Beijing, ISO week 2026-W27 (29 June – 5 July)
  const today = dayOf(now);
  let fx: ConsoleFixture;
  let op: ApiBrowser;
  let county: number;
  const groups: Record<string, number> = {};
  const stations: Record<string, number> = {};

  beforeAll(async () => {
    fx = await startConsole(now);
    const { app, db } = fx;
    for (const name of ['口径一站', '口径二站', '口径停用站']) {
      const s = await app.services.stations.add({ name, county: '口径旗' });
      stations[name] = s.id;
      county = s.countyId;
    }
    const tenDaysAgo = new Date(now.getTime() - 10 * 86_400_000);
    const repo = db.ds.getRepository(WechatGroup);
    const group = async (topic: string, station: string, boundAt: Date, lastMessageAt: Date | null = null) => {
      groups[topic] = (await repo.save({ roomId: `${topic}@chatroom`, topic, stationId: stations[station], boundAt, lastMessageAt })).id;
    };
    // Members chat an hour ago, but the last share was 3 days ago: silent by the server's rule (not by 72 h of messages).
    await group('闲聊群', '口径一站', tenDaysAgo, new Date(now.getTime() - 3_600_000));
    await group('转发群', '口径一站', tenDaysAgo);
    await group('新群', '口径二站', new Date(now.getTime() - 86_400_000));
    await group('停用站群', '口径停用站', tenDaysAgo);
    await db.ds.query(`UPDATE station SET counting_from = '2026-06-01' WHERE id = ANY($1)`, [[stations['口径一站'], stations['口径二站']]]);
    await app.services.stations.update(stations['口径停用站'], { status: 'disabled' });
    let n = 0;
    const share = async (room: string, day: string) =>
      app.services.shares.record({
        messageId: `policy-m${n++}`,
        roomId: `${room}@chatroom`,
        talkerId: 'policy-talker',
        talkerName: '某人',
        link: { contentKey: `kepu:item:${day}-${n}`, url: `https://m.kepuchina.cn/tuwendetail?id=${n}`, kind: 'text' },
        sentAt: new Date(`${day}T02:00:00Z`),
      });
    await share('闲聊群', daysBefore(today, 3));
    await share('转发群', daysBefore(today, 1));
    await app.services.shares.flush();
    op = await fx.operator();
  });
  afterAll(async () => {
    await fx?.stop();
  });

  it('GET /periods: this and the last month, week, quarter and year, and today, keyed and labelled by the server', async () => {
    const r = await op.call('GET', '/api/v1/periods');
    expect(r.status).toBe(200);
    expect(periodsBody.parse(r.json)).toEqual({
      today: '2026-07-02',
      options: [
        { kind: 'month', key: '2026-07', label: '本月 2026年7月' },
        { kind: 'month', key: '2026-06', label: '上月 2026年6月' },
        { kind: 'week', key: '2026-W27', label: '本周 2026年第27周（6月29日—7月5日）' },
        { kind: 'week', key: '2026-W26', label: '上周 2026年第26周（6月22日—6月28日）' },
        { kind: 'quarter', key: '2026Q3', label: '本季度 2026年第3季度' },
        { kind: 'quarter', key: '2026Q2', label: '上季度 2026年第2季度' },
        { kind: 'year', key: '2026', label: '今年 2026年' },
        { kind: 'year', key: '2025', label: '去年 2025年' },
        { kind: 'day', key: '2026-07-02', label: '今天 2026年7月2日' },
      ],
    });
    // New Year's Day 2027 (Beijing) is in ISO week 53 of 2026.
    fx.clock.set(new Date('2027-01-01T04:00:00Z'));
    try {
      // (Half a year later the session has expired: sign in again.)
      const later = await fx.operator();
      const y = periodsBody.parse((await later.call('GET', '/api/v1/periods')).json);
      expect(y.options.filter((o) => o.kind === 'week')).toEqual([
        { kind: 'week', key: '2026-W53', label: '本周 2026年第53周（12月28日—1月3日）' },
        { kind: 'week', key: '2026-W52', label: '上周 2026年第52周（12月21日—12月27日）' },
      ]);
    } finally {
      fx.clock.set(now);
      op = await fx.operator();
    }
    expect((await fx.browser().call('GET', '/api/v1/periods')).status).toBe(401);
  });

  it('GET /overview: the activity target counts calendar months (a week over two months asks 2 per station)', async () => {
    const week = overviewBody.parse((await op.call('GET', `/api/v1/overview?county=${county}&period=2026-W27`)).json);
    // 3 stations × 1 activity × 2 months (29 June – 2 July); days ÷ 30.44 rounded would have said 1 month.
    expect(week.targets).toMatchObject({ informants: 1500, activities: 6, activitiesPerMonth: 1 });
    const june = overviewBody.parse((await op.call('GET', `/api/v1/overview?county=${county}&period=2026-06`)).json);
    expect(june.targets.activities).toBe(3);
    const q2 = overviewBody.parse((await op.call('GET', `/api/v1/overview?county=${county}&period=2026Q2`)).json);
    // Counting from 1 June: June only.
    expect(q2.targets.activities).toBe(3);
  });

  it('GET /groups: each group’s silent flag by the server’s rule, the same groups the overview lists', async () => {
    const list = groupListBody.array().parse((await op.call('GET', `/api/v1/groups?county=${county}`)).json);
    const byTopic = Object.fromEntries(list.map((g) => [g.topic, { silent: g.silent, lastShareDay: g.lastShareDay }]));
    expect(byTopic).toEqual({
      闲聊群: { silent: true, lastShareDay: null },
      转发群: { silent: false, lastShareDay: '2026-07-01' },
      新群: { silent: false, lastShareDay: null },
      停用站群: { silent: false, lastShareDay: null },
    });
    const overview = overviewBody.parse((await op.call('GET', `/api/v1/overview?county=${county}`)).json);
    expect(overview.attention.filter((a) => a.kind === 'silent-group')).toEqual([
      {
        kind: 'silent-group',
        text: '群“闲聊群”（口径一站）已 3 天没有科普转发',
        stationId: stations['口径一站'],
        groupId: groups['闲聊群'],
      },
    ]);
  });

  it('station, informant and activity statuses come with their Chinese names; a station takes only the listed statuses', async () => {
    const body = stationsBody.parse((await op.call('GET', `/api/v1/stations?county=${county}`)).json);
    expect(
      body.counties[0].stations.map((s) => [s.name, s.status, s.statusLabel]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    ).toEqual(
      [
        ['口径一站', 'active', '正常'],
        ['口径二站', 'active', '正常'],
        ['口径停用站', 'disabled', '已停用'],
      ].sort((a, b) => a[0].localeCompare(b[0])),
    );
    const bad = await op.call('PUT', `/api/v1/stations/${stations['口径二站']}`, { body: { status: 'rectifying' } });
    expect(bad).toMatchObject({ status: 400, json: { error: 'status：status 应为 active 或 disabled' } });

    const added = await op.call('POST', `/api/v1/stations/${stations['口径一站']}/informants`, { body: { name: '状态员' } });
    expect(added.json).toMatchObject({ status: 'active', statusLabel: '正常' });
    const id = (added.json as { id: number }).id;
    const disabled = await op.call('POST', `/api/v1/informants/${id}/disable`);
    expect(disabled.json).toMatchObject({ status: 'disabled', statusLabel: '已停用' });

    const activity = await op.call('POST', `/api/v1/stations/${stations['口径一站']}/activities`, {
      body: { date: today, type: '讲座', title: '防汛', participants: 55 },
    });
    expect(activity).toMatchObject({ status: 201, json: { status: 'active', statusLabel: '正常' } });
  });
});
