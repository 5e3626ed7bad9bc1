import { KepuPuppetMock } from '../../src/channels/wechat/kepu-puppet-mock';
import { WechatGroup } from '../../src/db/entities';
import { groupBody, groupListBody } from '../../src/http/api/areas/groups';
import { type ApiBrowser, type ConsoleFixture, startConsole } from '../support/console';
import { signInAs } from '../support/console-people';

/**
 * The console's groups area on a real kepubot with Wechaty on the mock puppet: every room the
 * account is in is known from the room list at login and when the bot is added to a room, not
 * only rooms where someone spoke; the last message time per group, written at most once a
 * minute; binding and unbinding by operator and county staff only.
 */
describe('console API: groups', () => {
  const now = new Date('2026-11-25T04:00:00Z');
  let fx: ConsoleFixture;
  let puppet: KepuPuppetMock;
  let op: ApiBrowser;
  let staff: ApiBrowser;
  let manager: ApiBrowser;
  let jia: { county: number; chengguan: number; hexi: number };
  let yi: { county: number; chengguan: number };
  const SELF = { id: 'groups-bot-self', name: '科普e站助手' };
  const MEMBERS = [
    { id: 'g-zhang', name: '张三' },
    { id: 'g-li', name: '李四' },
  ];

  /** Lets Wechaty load payloads and the channel finish what it has in hand. */
  const settle = async () => {
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setImmediate(r));
      await fx.app.channel.idle();
    }
  };
  const group = (roomId: string) => fx.db.ds.getRepository(WechatGroup).findOneByOrFail({ roomId });

  beforeAll(async () => {
    puppet = new KepuPuppetMock();
    const self = puppet.mocker.createContact(SELF);
    for (const m of MEMBERS) puppet.mocker.createContact(m);
    const members = [self.id, ...MEMBERS.map((m) => m.id)];
    // Rooms the account is in before the bot starts; nobody has spoken in them.
    puppet.mocker.createRoom({ id: 'g-a@chatroom', topic: '甲旗城关科普群', memberIdList: members });
    puppet.mocker.createRoom({ id: 'g-b@chatroom', topic: '乙旗城关科普群', memberIdList: members });
    puppet.mocker.createRoom({ id: 'g-free@chatroom', topic: '新建的群', memberIdList: [self.id, 'g-zhang'] });

    fx = await startConsole(now, {}, { puppet });
    const s = fx.app.services.stations;
    const a = await s.add({ name: '城关社区e站', county: '甲旗' });
    const h = await s.add({ name: '河西e站', county: '甲旗' });
    const b = await s.add({ name: '城关社区e站', county: '乙旗' });
    jia = { county: a.countyId, chengguan: a.id, hexi: h.id };
    yi = { county: b.countyId, chengguan: b.id };
    op = await fx.operator();
    staff = await signInAs(fx, { staffOf: jia.county });
    manager = await signInAs(fx, { managerOf: jia.chengguan });

    puppet.mocker.login(self);
    await settle();
  });

  afterAll(async () => {
    await fx?.stop();
  });

  it('knows every room of the account at login, with its topic and member count', async () => {
    const rows = await fx.db.ds.query(`SELECT room_id, topic, member_count, station_id FROM wechat_group ORDER BY room_id`);
    expect(rows).toEqual([
      { room_id: 'g-a@chatroom', topic: '甲旗城关科普群', member_count: 3, station_id: null },
      { room_id: 'g-b@chatroom', topic: '乙旗城关科普群', member_count: 3, station_id: null },
      { room_id: 'g-free@chatroom', topic: '新建的群', member_count: 2, station_id: null },
    ]);
  });

  it('knows a room as soon as the bot is added to it; another member joining adds nothing', async () => {
    puppet.mocker.createRoom({ id: 'g-new@chatroom', topic: '刚拉机器人进的群', memberIdList: ['g-li', SELF.id] });
    puppet.mocker.createRoom({ id: 'g-other@chatroom', topic: '别人的群', memberIdList: ['g-li', 'g-zhang'] });
    puppet.emit('room-join', { roomId: 'g-other@chatroom', inviteeIdList: ['g-zhang'], inviterId: 'g-li', timestamp: Date.now() });
    puppet.emit('room-join', { roomId: 'g-new@chatroom', inviteeIdList: [SELF.id], inviterId: 'g-li', timestamp: Date.now() });
    await settle();
    expect(await group('g-new@chatroom')).toMatchObject({ topic: '刚拉机器人进的群', memberCount: 2, stationId: null });
    expect(await fx.db.ds.getRepository(WechatGroup).existsBy({ roomId: 'g-other@chatroom' })).toBe(false);
  });

  it('keeps the last message time of a group, writing it at most once a minute', async () => {
    const say = async (offsetSeconds: number) => {
      const at = new Date(now.getTime() + offsetSeconds * 1000);
      fx.clock.set(at);
      puppet.injectText({ talkerId: 'g-zhang', roomId: 'g-a@chatroom', text: '大家好', timestamp: at.getTime() });
      await settle();
      return (await group('g-a@chatroom')).lastMessageAt?.toISOString();
    };
    const first = now.toISOString();
    expect(await say(0)).toBe(first);
    // 30 s later: not written again.
    expect(await say(30)).toBe(first);
    // A minute after the last write: written.
    expect(await say(61)).toBe(new Date(now.getTime() + 61_000).toISOString());
    fx.clock.set(now);
  });

  it('GET /groups: the operator every group, staff the unbound and their county’s, a manager their station’s', async () => {
    await fx.app.services.groups.bind('g-a@chatroom', '城关社区e站', now, '甲旗');
    await fx.app.services.groups.bind('g-b@chatroom', '城关社区e站', now, '乙旗');
    const topics = async (b: ApiBrowser, query = '') => {
      const r = await b.call('GET', `/api/v1/groups${query}`);
      expect(r.status).toBe(200);
      return (r.json as unknown as Array<Record<string, unknown>>).map((g) => groupBody.parse(g).topic).sort();
    };
    expect(await topics(op)).toEqual(['乙旗城关科普群', '刚拉机器人进的群', '新建的群', '甲旗城关科普群'].sort());
    expect(await topics(op, `?county=${yi.county}`)).toEqual(['乙旗城关科普群', '刚拉机器人进的群', '新建的群'].sort());
    expect(await topics(staff)).toEqual(['刚拉机器人进的群', '新建的群', '甲旗城关科普群'].sort());
    expect(await topics(manager)).toEqual(['甲旗城关科普群']);
    expect((await staff.call('GET', `/api/v1/groups?county=${yi.county}`)).status).toBe(404);

    const all = (await op.call('GET', '/api/v1/groups')).json as unknown as Array<Record<string, unknown>>;
    expect(groupBody.parse(all.find((g) => g.topic === '甲旗城关科普群'))).toEqual({
      id: expect.any(Number),
      topic: '甲旗城关科普群',
      stationId: jia.chengguan,
      stationName: '城关社区e站',
      countyId: jia.county,
      lastMessageAt: new Date(now.getTime() + 61_000).toISOString(),
      boundAt: now.toISOString(),
      memberCount: 3,
    });
  });

  it('POST /groups/:id/bind and /unbind: staff bind an unbound group to a station of their county and unbind it', async () => {
    const free = await group('g-free@chatroom');
    const bound = await staff.call('POST', `/api/v1/groups/${free.id}/bind`, { body: { stationId: jia.hexi } });
    expect(bound.status).toBe(200);
    expect(groupBody.parse(bound.json)).toMatchObject({ id: free.id, stationId: jia.hexi, stationName: '河西e站', countyId: jia.county });
    // The station's first bound group starts its counting.
    const [st] = await fx.db.ds.query(`SELECT to_char(counting_from, 'YYYY-MM-DD') AS d FROM station WHERE id = $1`, [jia.hexi]);
    expect(st.d).toBe('2026-11-25');

    const unbound = await staff.call('POST', `/api/v1/groups/${free.id}/unbind`);
    expect(groupBody.parse(unbound.json)).toMatchObject({ id: free.id, stationId: null, stationName: null, boundAt: null });
    expect(await staff.call('POST', `/api/v1/groups/${free.id}/unbind`)).toMatchObject({
      status: 400,
      json: { error: '群“新建的群”没有绑定e站' },
    });

    const audit: Array<{ outcome: string }> = await fx.db.ds.query(
      `SELECT outcome FROM audit_log WHERE channel = 'console' AND command LIKE $1 ORDER BY id`,
      [`POST /api/v1/groups/${free.id}/%`],
    );
    expect(audit.map((x) => x.outcome)).toEqual(['ok', 'ok', 'invalid']);

    // Someone else bound the group between the access check and the write: refused, not overwritten.
    await fx.app.services.groups.bindById(free.id, jia.hexi, now);
    await expect(fx.app.services.groups.bindById(free.id, jia.chengguan, now, { stationId: null })).rejects.toThrow(
      '这个群的绑定刚被别人改过，请刷新后重试',
    );
    expect((await group('g-free@chatroom')).stationId).toBe(jia.hexi);
    await fx.app.services.groups.unbind(free.id);
  });

  it('refuses: a bad body 400, another county’s group or station 404 for staff, a manager 403', async () => {
    const free = await group('g-free@chatroom');
    const other = await group('g-b@chatroom');
    const own = await group('g-a@chatroom');
    expect(await staff.call('POST', `/api/v1/groups/${free.id}/bind`, { body: { stationId: '河西' } })).toMatchObject({
      status: 400,
      json: { error: 'stationId：stationId 应为e站编号（整数）' },
    });
    expect(await staff.call('POST', `/api/v1/groups/${free.id}/bind`, { body: {} })).toMatchObject({
      status: 400,
      json: { error: 'stationId：缺少这一项' },
    });
    expect(await staff.call('POST', `/api/v1/groups/${other.id}/bind`, { body: { stationId: jia.hexi } })).toMatchObject({
      status: 404,
      json: { error: '没有这个群，或无权查看' },
    });
    expect((await staff.call('POST', `/api/v1/groups/${other.id}/unbind`)).status).toBe(404);
    expect(await staff.call('POST', `/api/v1/groups/${free.id}/bind`, { body: { stationId: yi.chengguan } })).toMatchObject({
      status: 404,
      json: { error: '没有这个e站，或无权查看' },
    });
    expect(await manager.call('POST', `/api/v1/groups/${own.id}/unbind`)).toMatchObject({
      status: 403,
      json: { error: expect.stringContaining('e站管理员不能绑定或解绑群') },
    });
    expect((await manager.call('POST', `/api/v1/groups/${own.id}/bind`, { body: { stationId: jia.chengguan } })).status).toBe(403);
    expect((await op.call('POST', '/api/v1/groups/999999/bind', { body: { stationId: jia.hexi } })).status).toBe(404);
    const rows = await fx.db.ds.query(
      `SELECT room_id, station_id FROM wechat_group WHERE room_id IN ('g-free@chatroom', 'g-b@chatroom', 'g-a@chatroom') ORDER BY room_id`,
    );
    expect(rows).toEqual([
      { room_id: 'g-a@chatroom', station_id: jia.chengguan },
      { room_id: 'g-b@chatroom', station_id: yi.chengguan },
      { room_id: 'g-free@chatroom', station_id: null },
    ]);
  });
  it('GET /groups shows each group’s accounts and its speaker; POST /groups/:id/speaker pins it (operator only)', async () => {
    await fx.app.speech.elect();
    const account = fx.app.accounts.list()[0];
    const own = await group('g-a@chatroom');
    const listed = async (b: ApiBrowser) => {
      const all = (await b.call('GET', '/api/v1/groups')).json as unknown as Array<Record<string, unknown>>;
      return groupListBody.parse(all.find((g) => g.id === own.id)).accounts;
    };
    expect(await listed(staff)).toEqual([
      {
        accountId: account.id,
        accountName: account.name,
        present: true,
        healthy: true,
        speaker: true,
        pinned: false,
        lastHeardAt: expect.any(String),
      },
    ]);
    const pinned = await op.call('POST', `/api/v1/groups/${own.id}/speaker`, { body: { accountId: account.id } });
    expect(pinned.status).toBe(200);
    expect(groupListBody.parse(pinned.json).accounts).toEqual([
      expect.objectContaining({ accountId: account.id, speaker: true, pinned: true }),
    ]);
    expect((await listed(manager))[0]).toMatchObject({ pinned: true, speaker: true });
    const unpinned = await op.call('POST', `/api/v1/groups/${own.id}/speaker`, { body: { accountId: null } });
    expect(groupListBody.parse(unpinned.json).accounts[0]).toMatchObject({ pinned: false, speaker: true });

    expect(await staff.call('POST', `/api/v1/groups/${own.id}/speaker`, { body: { accountId: account.id } })).toMatchObject({
      status: 403,
      json: { error: '只有操作员可以指定群的发言号' },
    });
    expect(await op.call('POST', `/api/v1/groups/${own.id}/speaker`, { body: { accountId: 'a' } })).toMatchObject({ status: 400 });
    expect(await op.call('POST', `/api/v1/groups/${own.id}/speaker`, { body: { accountId: account.id + 1000 } })).toMatchObject({
      status: 400,
      json: { error: '这个微信号不在群里，不能在这个群发言' },
    });
    expect((await op.call('POST', '/api/v1/groups/999999/speaker', { body: { accountId: null } })).status).toBe(404);
  });
  it('GET /groups gives each group its coverage: the share of the last 24 hours and 7 days an account listened', async () => {
    const account = fx.app.accounts.list()[0];
    const own = await group('g-b@chatroom');
    const h = 3600_000;
    const at = (hoursAgo: number) => new Date(now.getTime() - hoursAgo * h);
    // Known for 2 days; the account in it since then; it listened 36 h to 30 h ago and 6 h to 2 h ago.
    await fx.db.ds.query(`UPDATE wechat_group SET created_at = $2, bound_at = NULL WHERE id = $1`, [own.id, at(48)]);
    await fx.db.ds.query(`UPDATE group_account SET first_seen_at = $3 WHERE room_id = $1 AND account_id = $2`, [
      own.roomId,
      account.id,
      at(48),
    ]);
    await fx.db.ds.query(`DELETE FROM account_listen_interval WHERE account_id = $1`, [account.id]);
    await fx.db.ds.query(`INSERT INTO account_listen_interval (account_id, started_at, ended_at) VALUES ($1, $2, $3), ($1, $4, $5)`, [
      account.id,
      at(36),
      at(30),
      at(6),
      at(2),
    ]);
    fx.clock.set(now);
    const all = (await op.call('GET', '/api/v1/groups')).json as unknown as Array<Record<string, unknown>>;
    const listed = groupListBody.parse(all.find((g) => g.id === own.id));
    // Day: 4 h of 24; week (the group is 48 h old): 6 h + 4 h of 48.
    expect(listed.coverage.day).toBeCloseTo(4 / 24, 9);
    expect(listed.coverage.week).toBeCloseTo(10 / 48, 9);
  });

  it('records an account leaving a group (removed by a member): it is no longer there to speak', async () => {
    const account = fx.app.accounts.list()[0];
    const free = await group('g-free@chatroom');
    const before = groupListBody.parse(
      ((await op.call('GET', '/api/v1/groups')).json as unknown as Array<Record<string, unknown>>).find((g) => g.id === free.id),
    );
    expect(before.accounts).toEqual([expect.objectContaining({ accountId: account.id, present: true })]);
    puppet.emit('room-leave', { roomId: 'g-free@chatroom', removeeIdList: [SELF.id], removerId: 'g-zhang', timestamp: Date.now() });
    await settle();
    await fx.app.speech.elect();
    const after = groupListBody.parse(
      ((await op.call('GET', '/api/v1/groups')).json as unknown as Array<Record<string, unknown>>).find((g) => g.id === free.id),
    );
    expect(after.accounts).toEqual([expect.objectContaining({ accountId: account.id, present: false, speaker: false })]);
  });
});

/**
 * Unbound groups belong to no county yet: only the counties the WeChat account serves
 * (WECHAT_ACCOUNT_COUNTIES) see the groups it heard; staff of another county neither see nor bind them.
 */
describe('console API: unbound groups and the counties the WeChat account serves', () => {
  const now = new Date('2026-11-25T04:00:00Z');
  let fx: ConsoleFixture;
  let counties: { jia: number; yi: number; bing: number };
  let stations: { jia: number; yi: number };
  let free: number;

  beforeAll(async () => {
    const puppet = new KepuPuppetMock();
    const self = puppet.mocker.createContact({ id: 'served-bot-self', name: '科普e站助手' });
    puppet.mocker.createContact({ id: 'served-zhang', name: '张三' });
    puppet.mocker.createRoom({ id: 'served-free@chatroom', topic: '没绑定的群', memberIdList: [self.id, 'served-zhang'] });
    fx = await startConsole(now, { WECHAT_ACCOUNT_COUNTIES: '甲旗,乙旗' }, { puppet });
    const s = fx.app.services.stations;
    const a = await s.add({ name: '城关社区e站', county: '甲旗' });
    const b = await s.add({ name: '河东e站', county: '乙旗' });
    const c = await s.add({ name: '河西e站', county: '丙旗' });
    counties = { jia: a.countyId, yi: b.countyId, bing: c.countyId };
    stations = { jia: a.id, yi: b.id };
    puppet.mocker.login(self);
    for (let i = 0; i < 10 && !(await fx.db.ds.getRepository(WechatGroup).existsBy({ roomId: 'served-free@chatroom' })); i++) {
      await new Promise((r) => setImmediate(r));
      await fx.app.channel.idle();
    }
    free = (await fx.db.ds.getRepository(WechatGroup).findOneByOrFail({ roomId: 'served-free@chatroom' })).id;
  });

  afterAll(async () => {
    await fx?.stop();
  });

  const topics = async (b: ApiBrowser) =>
    ((await b.call('GET', '/api/v1/groups')).json as unknown as Array<{ topic: string }>).map((g) => g.topic);

  it('staff of a county the account does not serve neither see nor bind its unbound groups', async () => {
    const bing = await signInAs(fx, { staffOf: counties.bing });
    expect(await topics(bing)).toEqual([]);
    expect(await bing.call('POST', `/api/v1/groups/${free}/bind`, { body: { stationId: stations.jia } })).toMatchObject({
      status: 404,
      json: { error: '没有这个群，或无权查看' },
    });
    expect((await fx.db.ds.getRepository(WechatGroup).findOneByOrFail({ id: free })).stationId).toBeNull();
  });

  it('the operator and staff of a served county see them; the staff bind one to their station, and then it is their county’s only', async () => {
    expect(await topics(await fx.operator())).toEqual(['没绑定的群']);
    const yi = await signInAs(fx, { staffOf: counties.yi });
    expect(await topics(yi)).toEqual(['没绑定的群']);
    const jia = await signInAs(fx, { staffOf: counties.jia });
    expect((await jia.call('POST', `/api/v1/groups/${free}/bind`, { body: { stationId: stations.jia } })).status).toBe(200);
    expect(await topics(jia)).toEqual(['没绑定的群']);
    expect(await topics(yi)).toEqual([]);
    expect((await yi.call('POST', `/api/v1/groups/${free}/unbind`)).status).toBe(404);
  });
});
