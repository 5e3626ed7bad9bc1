import { dayOf, monthOf } from '../../src/domain/calendar';
import { activityBody } from '../../src/http/api/areas/activities';
import { startConsole, type ApiBrowser, type ConsoleFixture } from '../support/console';
import { signedInAs } from '../support/console-people';

/** Activities in the console: the 活动 / 修改 / 撤销 commands' rules, each station's people only. */
describe('console API: activities', () => {
  const now = new Date('2026-11-25T04:00:00Z');
  const today = dayOf(now);
  let fx: ConsoleFixture;
  let operator: ApiBrowser;
  let mine: number;
  let neighbour: number;
  let elsewhere: number;

  beforeAll(async () => {
    fx = await startConsole(now);
    mine = (await fx.app.services.stations.add({ name: '活动一站', county: '活动旗' })).id;
    neighbour = (await fx.app.services.stations.add({ name: '活动二站', county: '活动旗' })).id;
    elsewhere = (await fx.app.services.stations.add({ name: '外旗一站', county: '外旗' })).id;
    operator = await fx.operator();
  });

  afterAll(async () => {
    await fx?.stop();
  });

  it('adds, lists, edits and withdraws an activity; the figures count it', async () => {
    const types = await operator.call('GET', '/api/v1/activity-types');
    expect(types.json).toEqual(['讲座', '培训', '展览', '咨询', '竞赛', '其他']);

    const added = await operator.call('POST', `/api/v1/stations/${mine}/activities`, {
      body: { date: '2026-11-20', type: '讲座', title: '冬季防火知识', participants: 65, place: '文化站' },
    });
    expect(added.status).toBe(201);
    const a = activityBody.parse(added.json);
    expect(a).toMatchObject({
      stationId: mine,
      date: '2026-11-20',
      type: '讲座',
      title: '冬季防火知识',
      participants: 65,
      place: '文化站',
      status: 'active',
    });
    expect(a.by).toMatch(/^console:operator:\d+$/);

    const list = await operator.call('GET', `/api/v1/stations/${mine}/activities?period=2026-11`);
    expect((list.json as unknown as unknown[]).map((x) => activityBody.parse(x).id)).toEqual([a.id]);
    const figures = await fx.app.services.statistics.figures('station', mine, monthOf(today), today);
    expect(figures).toMatchObject({ activities: 1, participants: 65, activitiesOf50: 1 });

    const edited = await operator.call('PUT', `/api/v1/activities/${a.id}`, { body: { participants: 40, place: null } });
    expect(edited.status).toBe(200);
    expect(edited.json).toMatchObject({ id: a.id, participants: 40, place: null, title: '冬季防火知识' });

    const duplicate = await operator.call('POST', `/api/v1/stations/${mine}/activities`, {
      body: { date: '2026-11-20', type: '讲座', title: '冬季防火知识', participants: 10 },
    });
    expect(duplicate.status).toBe(400);
    expect(String(duplicate.json?.error)).toContain(`这次活动已经登记过了（编号 ${a.id}）`);

    expect((await operator.call('DELETE', `/api/v1/activities/${a.id}`)).status).toBe(204);
    expect((await operator.call('GET', `/api/v1/stations/${mine}/activities`)).json).toEqual([]);
    const again = await operator.call('DELETE', `/api/v1/activities/${a.id}`);
    expect(again.status).toBe(400);
    expect(again.json).toEqual({ error: `编号 ${a.id} 的记录已经撤销了` });
  });

  it('refuses what the command refuses, in Chinese', async () => {
    const post = (body: unknown) => operator.call('POST', `/api/v1/stations/${mine}/activities`, { body });
    const base = { date: '2026-11-20', type: '讲座', title: '科普讲座', participants: 30 };
    expect((await post({ ...base, date: '2026-12-01' })).json).toEqual({ error: '日期“2026-12-01”还没到，只能记录今天及以前的活动' });
    expect((await post({ ...base, type: '聚餐' })).json).toEqual({ error: 'type：活动类型应为 讲座、培训、展览、咨询、竞赛、其他 之一' });
    expect((await post({ ...base, participants: 0 })).json).toEqual({ error: 'participants：参加人数应大于 0，例如 65' });
    expect((await post({ ...base, title: 'x'.repeat(201) })).json).toEqual({ error: 'title：活动标题太长（最多 200 字）' });
    const missing = await post({ date: '2026-11-20', type: '讲座', participants: 3 });
    expect(missing.status).toBe(400);
    expect(missing.json).toEqual({ error: 'title：缺少这一项' });
    expect((await operator.call('PUT', `/api/v1/activities/999999`, { body: { participants: 3 } })).status).toBe(404);
  });

  it('a manager works on their station only; county staff on their county only (404 elsewhere)', async () => {
    const manager = await fx.app.services.people.addManagerTo(mine, { name: '一站长', ids: { 'wechat-contact': 'act-manager' } });
    const asManager = await signedInAs(fx, 'manager', manager.id);
    const ok = await asManager.call('POST', `/api/v1/stations/${mine}/activities`, {
      body: { date: today, type: '培训', title: '手机防诈骗', participants: 20 },
    });
    expect(ok.status).toBe(201);
    expect(ok.json?.by).toBe(`console:manager:${manager.id}`);
    const other = await asManager.call('POST', `/api/v1/stations/${neighbour}/activities`, {
      body: { date: today, type: '培训', title: '手机防诈骗', participants: 20 },
    });
    expect(other.status).toBe(404);
    expect((await asManager.call('GET', `/api/v1/stations/${neighbour}/activities`)).status).toBe(404);

    const theirs = await operator.call('POST', `/api/v1/stations/${elsewhere}/activities`, {
      body: { date: today, type: '展览', title: '航天展', participants: 120 },
    });
    const staff = await fx.app.services.people.addStaffTo((await fx.app.services.stations.list()).find((s) => s.id === mine)!.countyId, {
      name: '活动员',
      ids: { 'wechat-contact': 'act-staff' },
    });
    const asStaff = await signedInAs(fx, 'staff', staff.id);
    expect((await asStaff.call('GET', `/api/v1/stations/${neighbour}/activities`)).status).toBe(200);
    const refused = await asStaff.call('PUT', `/api/v1/activities/${theirs.json?.id}`, { body: { participants: 1 } });
    expect(refused.status).toBe(404);
    expect(refused.json).toEqual({ error: '没有这条活动记录，或无权查看' });
  });
});
