import { WechatGroup, Informant } from '../../src/db/entities';
import { daysBefore, dayOf, monthOf } from '../../src/domain/calendar';
import { periodContaining, parsePeriod } from '../../src/domain/periods';
import { overviewBody } from '../../src/http/api/areas/overview';
import { figuresOnly } from '../../src/http/api/areas/stations';
import { joinRoster } from '../../src/services/roster-history';
import { startConsole, type ApiBrowser, type ConsoleFixture } from '../support/console';
import { signedInAs } from '../support/console-people';

/**
 * GET /api/v1/overview on real Koa and PostgreSQL: every figure is what StatisticsService computes
 * for the same data (the period, each of the 90 days, each of the 13 weeks, the ranking), and the
 * attention list names what is behind.
 */
describe('console API: overview', () => {
  const now = new Date('2026-11-25T04:00:00Z'); // 12:00 in Asia/Shanghai, a Wednesday
  const today = dayOf(now);
  let fx: ConsoleFixture;
  let operator: ApiBrowser;
  let county: number;
  let other: number;
  let first: number;
  let second: number;
  let quiet: number;
  let silentGroup: number;
  let chattyGroup: number;

  beforeAll(async () => {
    fx = await startConsole(now);
    const { app, db } = fx;
    const s1 = await app.services.stations.add({ name: '总览一站', county: '总览旗' });
    const s2 = await app.services.stations.add({ name: '总览二站', county: '总览旗' });
    const s3 = await app.services.stations.add({ name: '别处一站', county: '别的旗' });
    [first, second, quiet, county, other] = [s1.id, s2.id, s3.id, s1.countyId, s3.countyId];
    const since = daysBefore(today, 120);
    const boundAt = new Date(now.getTime() - 120 * 86_400_000);
    const groups = db.ds.getRepository(WechatGroup);
    await groups.save({ roomId: 'ov-room-1@chatroom', topic: '一站科普群', stationId: first, boundAt });
    silentGroup = (await groups.save({ roomId: 'ov-room-2@chatroom', topic: '二站科普群', stationId: second, boundAt })).id;
    // Members chat here, but nobody has shared Kepu China content for days.
    chattyGroup = (
      await groups.save({
        roomId: 'ov-room-2b@chatroom',
        topic: '二站闲聊群',
        stationId: second,
        boundAt,
        lastMessageAt: new Date(now.getTime() - 3_600_000),
      })
    ).id;
    await groups.save({ roomId: 'ov-room-3@chatroom', topic: '别处科普群', stationId: quiet, boundAt });
    const informants = await db.ds
      .getRepository(Informant)
      .save([
        ...[1, 2, 3, 4].map((i) => ({ stationId: first, name: `一站员${i}`, wechatContactId: `ov-a${i}`, boundAt })),
        ...[1, 2].map((i) => ({ stationId: second, name: `二站员${i}`, wechatContactId: `ov-b${i}`, boundAt })),
      ]);
    await joinRoster(
      db.ds,
      informants.map((i) => i.id),
      since,
    );
    // Shares on days spread over the 90 days and 13 weeks: informant k shares k items on day d.
    let n = 0;
    const share = async (room: string, talker: string, day: string, items: number) => {
      for (let k = 0; k < items; k++) {
        await app.services.shares.record({
          messageId: `ov-m${n++}`,
          roomId: room,
          talkerId: talker,
          talkerName: talker,
          link: { contentKey: `kepu:item:${day}-${k}`, url: `https://m.kepuchina.cn/tuwendetail?id=${n}`, kind: 'text' },
          sentAt: new Date(`${day}T02:00:00Z`),
        });
      }
    };
    for (const back of [0, 1, 2, 6, 20, 45, 80, 89, 95]) {
      const day = daysBefore(today, back);
      await share('ov-room-1@chatroom', 'ov-a1', day, 3);
      await share('ov-room-1@chatroom', 'ov-a2', day, back % 2 === 0 ? 1 : 4);
      if (back > 10) await share('ov-room-2@chatroom', 'ov-b1', day, 2);
    }
    // A member not on the roster shares (unconfirmed).
    await share('ov-room-1@chatroom', 'ov-stranger', today, 1);
    await app.services.shares.flush();
    await app.services.activities.log(
      first,
      { date: daysBefore(today, 3), type: '讲座', title: '冬季防火', participants: 60, place: null },
      'test',
    );
    operator = await fx.operator();
  });

  afterAll(async () => {
    await fx?.stop();
  });

  it("answers the county's figures, 90 days, 13 weeks and the ranking exactly as StatisticsService computes them", async () => {
    const r = await operator.call('GET', `/api/v1/overview?county=${county}`);
    expect(r.status).toBe(200);
    const body = overviewBody.parse(r.json);
    const stats = fx.app.services.statistics;
    const month = periodContaining('month', today);
    expect(body.county).toEqual({ id: county, name: '总览旗' });
    expect(body.counties.map((c) => c.name).sort()).toEqual(['别的旗', '总览旗'].sort());
    expect(body.period).toMatchObject({ key: month.key, from: month.from, to: month.to });
    expect(body.targets).toEqual({
      informantsPerStation: 500,
      // 2 stations × 500; 2 stations × 1 activity × 1 calendar month (November, counted to the 25th).
      informants: 1000,
      activities: 2,
      sharesPerInformantDay: 3,
      activitiesPerMonth: 1,
      participantsPerActivity: 50,
    });
    expect(body.stations).toBe(2);

    expect(body.figures).toEqual(figuresOnly(await stats.figures('county', county, month, today)));
    expect(body.figures.effectiveShares).toBeGreaterThan(0);

    const table = await stats.stationTable(county, month, today);
    expect(body.ranking).toEqual(
      table.rows.map((row, i) => ({
        rank: i + 1,
        stationId: row.stationId,
        name: row.name,
        type: row.type,
        figures: figuresOnly(row.figures),
      })),
    );

    expect(body.daily).toHaveLength(90);
    expect(body.daily[89].day).toBe(today);
    expect(body.daily[0].day).toBe('2026-08-28');
    for (const d of body.daily) {
      const f = await stats.figures('county', county, { from: d.day, to: d.day }, today);
      expect(d).toEqual({ day: d.day, effectiveShares: f.effectiveShares, activeInformants: f.activeInformants });
    }
    expect(body.daily.filter((d) => d.effectiveShares > 0)).toHaveLength(8);

    expect(body.weekly).toHaveLength(13);
    expect(body.weekly[12]).toMatchObject({
      week: '2026-W48',
      label: '2026年第48周（11月23日—11月29日）',
      from: '2026-11-23',
      to: '2026-11-29',
    });
    expect(body.weekly[0]).toMatchObject({
      week: '2026-W36',
      label: '2026年第36周（8月31日—9月6日）',
      from: '2026-08-31',
      to: '2026-09-06',
    });
    for (const w of body.weekly) {
      const f = await stats.figures('county', county, parsePeriod(w.week)!, today);
      expect(w).toEqual({
        week: w.week,
        label: w.label,
        from: w.from,
        to: w.to,
        activeRate: f.activeRate,
        perInformantDay: f.perInformantDay,
      });
    }
    expect(body.weekly.some((w) => w.activeRate > 0)).toBe(true);
  });

  it('a past period: the figures of that period, this month still decides the activity reminders', async () => {
    const october = parsePeriod('2026-10')!;
    const r = await operator.call('GET', `/api/v1/overview?county=${county}&period=2026-10`);
    const body = overviewBody.parse(r.json);
    expect(body.figures).toEqual(figuresOnly(await fx.app.services.statistics.figures('county', county, october, today)));
    expect(body.attention.filter((a) => a.kind === 'no-activity').map((a) => a.stationId)).toEqual([second]);
  });

  it('lists what needs attention: no activity this month, a silent group, unconfirmed members, stations below the quota', async () => {
    const body = overviewBody.parse((await operator.call('GET', `/api/v1/overview?county=${county}`)).json);
    const of = (kind: string) => body.attention.filter((a) => a.kind === kind);
    expect(of('no-activity')).toEqual([{ kind: 'no-activity', text: '总览二站本月还没有登记活动', stationId: second, groupId: null }]);
    expect(of('silent-group')).toEqual([
      {
        kind: 'silent-group',
        text: '群“二站科普群”（总览二站）已 3 天没有任何消息，请确认机器人仍在群里',
        stationId: second,
        groupId: silentGroup,
      },
      { kind: 'silent-group', text: '群“二站闲聊群”（总览二站）已 3 天没有科普转发', stationId: second, groupId: chattyGroup },
    ]);
    expect(of('unconfirmed')).toEqual([
      { kind: 'unconfirmed', text: '总览一站有 1 位群成员转发了科普内容但不在名册上，请确认', stationId: first, groupId: null },
    ]);
    const month = monthOf(today);
    const table = await fx.app.services.statistics.stationTable(county, month, today);
    const below = table.rows.filter((r) => r.figures.informantDays > 0 && r.figures.perInformantDay < 3).map((r) => r.stationId);
    expect(below.length).toBeGreaterThan(0);
    expect(of('below-quota').map((a) => a.stationId)).toEqual(below);
    expect(of('below-quota')[0].text).toMatch(/人均每天有效转发 \d+\.\d\d 条，低于 3 条/);
    // The mock puppet has not logged in: the bot is offline.
    expect(of('bot-offline')).toHaveLength(fx.app.accounts.summary().loggedIn ? 0 : 1);
  });

  it('county staff see their county only (another county: 404); a manager sees their station alone', async () => {
    const staff = await fx.app.services.people.addStaffTo(county, { name: '总览员', ids: { 'wechat-contact': 'ov-staff' } });
    const asStaff = await signedInAs(fx, 'staff', staff.id);
    const mine = overviewBody.parse((await asStaff.call('GET', '/api/v1/overview')).json);
    expect(mine.county.id).toBe(county);
    expect(mine.counties).toEqual([{ id: county, name: '总览旗' }]);
    const refused = await asStaff.call('GET', `/api/v1/overview?county=${other}`);
    expect(refused.status).toBe(404);
    expect(refused.json).toEqual({ error: '没有这个旗县区，或无权查看' });

    const manager = await fx.app.services.people.addManagerTo(first, { name: '一站长', ids: { 'wechat-contact': 'ov-manager' } });
    const asManager = await signedInAs(fx, 'manager', manager.id);
    const station = overviewBody.parse((await asManager.call('GET', '/api/v1/overview')).json);
    const month = monthOf(today);
    expect(station.figures).toEqual(figuresOnly(await fx.app.services.statistics.figures('station', first, month, today)));
    expect(station.ranking.map((r) => r.stationId)).toEqual([first]);
    expect(station.stations).toBe(1);
    expect(station.attention.every((a) => a.stationId === null || a.stationId === first)).toBe(true);
  });

  it('a malformed period is a 400 in Chinese; without a session 401', async () => {
    const bad = await operator.call('GET', '/api/v1/overview?period=2026-13');
    expect(bad.status).toBe(400);
    expect(String(bad.json?.error)).toContain('统计期格式不对');
    expect((await fx.browser().call('GET', '/api/v1/overview')).status).toBe(401);
  });
});
