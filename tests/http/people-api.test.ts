import { peopleBody } from '../../src/http/api/areas/people';
import { startConsole, type ApiBrowser, type ConsoleFixture } from '../support/console';
import { signedInAs } from '../support/console-people';

/** Station managers and county staff in the console: the CLI's rules; operator all, staff their county, managers none. */
describe('console API: people', () => {
  const now = new Date('2026-11-25T04:00:00Z');
  let fx: ConsoleFixture;
  let operator: ApiBrowser;
  let station: number;
  let county: number;
  let otherStation: number;
  let otherCounty: number;

  beforeAll(async () => {
    fx = await startConsole(now);
    const s = await fx.app.services.stations.add({ name: '人员一站', county: '人员旗' });
    const o = await fx.app.services.stations.add({ name: '邻旗一站', county: '邻旗' });
    [station, county, otherStation, otherCounty] = [s.id, s.countyId, o.id, o.countyId];
    operator = await fx.operator();
  });

  afterAll(async () => {
    await fx?.stop();
  });

  it('the operator adds, lists and removes managers and staff', async () => {
    const m = await operator.call('POST', '/api/v1/people/managers', {
      body: { stationId: station, name: '王站长', identities: { 'wechat-contact': 'ppl-m1' } },
    });
    expect(m.status).toBe(201);
    expect(m.json).toEqual({
      id: expect.any(Number),
      stationId: station,
      stationName: '人员一站',
      name: '王站长',
      identities: { 'wechat-contact': 'ppl-m1' },
    });
    const s = await operator.call('POST', '/api/v1/people/staff', {
      body: { countyId: otherCounty, name: '李干事', identities: { 'wechat-contact': 'ppl-s1' } },
    });
    expect(s.status).toBe(201);
    const list = peopleBody.parse((await operator.call('GET', '/api/v1/people')).json);
    expect(list.managers.map((x) => x.name)).toEqual(['王站长']);
    expect(list.staff.map((x) => [x.name, x.countyName, x.identities])).toEqual([['李干事', '邻旗', { 'wechat-contact': 'ppl-s1' }]]);
    // The page's form and labels come from the channel registry; WeCom and the Official Account are not configured here.
    expect(list.kinds.map((k) => [k.kind, k.label, k.unavailable === null])).toEqual([
      ['wecom-user', '企业微信 UserID', false],
      ['openid', '公众号 OpenID', false],
      ['wechat-contact', '微信联系人 ID', true],
    ]);
    // The bot recognises them at once, as after `kepubot manager add`.
    expect(await fx.app.services.people.whoIs('wechat-contact', 'ppl-m1')).toMatchObject({ role: 'manager', station: { id: station } });

    expect((await operator.call('DELETE', `/api/v1/people/managers/${m.json?.id}`)).status).toBe(204);
    expect(await fx.app.services.people.whoIs('wechat-contact', 'ppl-m1')).toEqual({ role: 'nobody' });
    expect((await operator.call('DELETE', `/api/v1/people/managers/${m.json?.id}`)).status).toBe(404);
    expect((await operator.call('DELETE', `/api/v1/people/staff/${s.json?.id}`)).status).toBe(204);
  });

  it('refuses what `manager add` refuses: no handle, a handle already registered, a channel not configured', async () => {
    const post = (body: unknown) => operator.call('POST', '/api/v1/people/managers', { body });
    expect((await post({ stationId: station, name: '赵' })).json).toEqual({
      error: '请至少填写一种联系方式：企业微信 UserID、公众号 OpenID 或微信联系人 ID',
    });
    await post({ stationId: station, name: '钱', identities: { 'wechat-contact': 'ppl-dup' } });
    const dup = await post({ stationId: station, name: '孙', identities: { 'wechat-contact': 'ppl-dup' } });
    expect(dup.status).toBe(400);
    expect(dup.json).toEqual({ error: '“ppl-dup”已登记为e站管理员或旗县区工作人员' });
    const wecom = await post({ stationId: station, name: '周', identities: { 'wecom-user': 'zhou' } });
    expect(wecom.status).toBe(400);
    expect(String(wecom.json?.error)).toContain('企业微信');
    expect((await post({ stationId: 999999, name: '吴', identities: { 'wechat-contact': 'ppl-x' } })).status).toBe(404);
    // A kind no registered channel declares, and an id of the wrong form, are refused in Chinese.
    const unknown = await post({ stationId: station, name: '郑', identities: { dingtalk: 'ding-1' } });
    expect(unknown.status).toBe(400);
    expect(String(unknown.json?.error)).toMatch(/[\u4e00-\u9fa5]/);
    const spaced = await post({ stationId: station, name: '王', identities: { 'wechat-contact': 'wx 1' } });
    expect(spaced.json).toEqual({ error: '微信联系人 ID不能包含空格或控制字符' });
  });

  it('county staff manage their county only (404 elsewhere, not themselves); a station manager is refused (403)', async () => {
    const me = await fx.app.services.people.addStaffTo(county, { name: '本旗干事', ids: { 'wechat-contact': 'ppl-staff' } });
    const asStaff = await signedInAs(fx, 'staff', me.id);
    const list = peopleBody.parse((await asStaff.call('GET', '/api/v1/people')).json);
    expect(list.staff.every((x) => x.countyId === county)).toBe(true);
    expect((await asStaff.call('GET', `/api/v1/people?county=${otherCounty}`)).status).toBe(404);
    const there = await asStaff.call('POST', '/api/v1/people/managers', {
      body: { stationId: otherStation, name: '外站长', identities: { 'wechat-contact': 'ppl-o' } },
    });
    expect(there.status).toBe(404);
    const here = await asStaff.call('POST', '/api/v1/people/managers', {
      body: { stationId: station, name: '本站长', identities: { 'wechat-contact': 'ppl-h' } },
    });
    expect(here.status).toBe(201);
    const outsider = await fx.app.services.people.addStaffTo(otherCounty, { name: '外旗干事', ids: { 'wechat-contact': 'ppl-out' } });
    expect((await asStaff.call('DELETE', `/api/v1/people/staff/${outsider.id}`)).status).toBe(404);
    const self = await asStaff.call('DELETE', `/api/v1/people/staff/${me.id}`);
    expect(self.status).toBe(400);
    expect(self.json).toEqual({ error: '不能删除自己' });

    const asManager = await signedInAs(fx, 'manager', Number(here.json?.id));
    const refused = await asManager.call('GET', '/api/v1/people');
    expect(refused.status).toBe(403);
    expect(refused.json).toEqual({ error: 'e站管理员不能管理人员' });
    // Removing a manager ends their sessions.
    expect((await asStaff.call('DELETE', `/api/v1/people/managers/${here.json?.id}`)).status).toBe(204);
    expect((await asManager.call('GET', '/api/v1/me')).status).toBe(401);
  });
});
