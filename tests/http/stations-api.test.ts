import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli';
import { Informant, Station, WechatGroup } from '../../src/db/entities';
import { dayOf } from '../../src/domain/calendar';
import { periodContaining } from '../../src/domain/periods';
import { countiesBody, stationBody, stationDetailBody } from '../../src/http/api/areas/stations';
import { joinRoster } from '../../src/services/roster-history';
import { type ApiBrowser, type ConsoleFixture, startConsole } from '../support/console';
import { signInAs } from '../support/console-people';

/**
 * The console's stations area on a real kepubot (Koa on port 0, PostgreSQL, mock puppet): the
 * counties, adding and changing stations, a station's page with the figures the tables compute,
 * who may do what, and station names unique within a county only (two counties each with a
 * 城关社区e站, through the API, the services and the CLI).
 */
describe('console API: stations', () => {
  const now = new Date('2026-11-25T04:00:00Z'); // 12:00 in Asia/Shanghai
  const today = dayOf(now);
  let fx: ConsoleFixture;
  let op: ApiBrowser;
  let staff: ApiBrowser;
  let manager: ApiBrowser;
  let jia: { county: number; chengguan: number; hexi: number };
  let yi: { county: number; chengguan: number };
  let dir: string;

  const cli = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, { DATABASE_URL: fx.db.url, LOG_LEVEL: 'silent' }, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  beforeAll(async () => {
    fx = await startConsole(now);
    dir = await mkdtemp(join(tmpdir(), 'kepubot-stations-'));
    const s = fx.app.services.stations;
    const a = await s.add({ name: '城关社区e站', county: '甲旗', prefecture: '演示市', type: 'community' });
    const h = await s.add({ name: '河西e站', county: '甲旗' });
    const b = await s.add({ name: '城关社区e站', county: '乙旗', prefecture: '演示市' });
    jia = { county: a.countyId, chengguan: a.id, hexi: h.id };
    yi = { county: b.countyId, chengguan: b.id };
    op = await fx.operator();
    staff = await signInAs(fx, { staffOf: jia.county });
    manager = await signInAs(fx, { managerOf: jia.chengguan });

    // 甲旗城关: a bound group, three informants on the roster, shares today, an activity and resource logs.
    await fx.db.ds
      .getRepository(WechatGroup)
      .save({ roomId: 'st-room@chatroom', topic: '城关科普群', stationId: a.id, boundAt: now, memberCount: 12 });
    const informants = await fx.db.ds
      .getRepository(Informant)
      .save([1, 2, 3].map((i) => ({ stationId: a.id, name: `信息员${i}`, wechatContactId: `st-c${i}`, boundAt: now })));
    await joinRoster(
      fx.db.ds,
      informants.map((i) => i.id),
      today,
    );
    for (let i = 0; i < 7; i++) {
      await fx.app.services.shares.record({
        messageId: `st-m${i}`,
        roomId: 'st-room@chatroom',
        // The last share is by a member not on the roster: unconfirmed.
        talkerId: i === 6 ? 'st-stranger' : `st-c${(i % 3) + 1}`,
        talkerName: i === 6 ? '路人' : `信息员${(i % 3) + 1}`,
        link: { contentKey: `kepu:item:${i}`, url: `https://m.kepuchina.cn/tuwendetail?id=${i}`, kind: 'text' },
        sentAt: now,
      });
    }
    await fx.app.services.shares.flush();
    await fx.app.services.activities.log(
      a.id,
      { date: today, type: '讲座', title: '冬季防火', participants: 60, place: '文化站' },
      'console:test',
    );
    await fx.app.services.activities.logBulletin(a.id, today, '冬季防火', 'console:test');
    await fx.app.services.activities.logScreen(a.id, today, 5, 'console:test');
  });

  afterAll(async () => {
    await fx?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('GET /counties: the operator sees every county with its prefecture and stations; staff their own', async () => {
    const all = await op.call('GET', '/api/v1/counties');
    expect(all.status).toBe(200);
    const list = countiesBody.parse(all.json).sort((a, b) => a.id - b.id);
    expect(list).toEqual([
      { id: jia.county, name: '甲旗', prefecture: '演示市', stations: 2 },
      { id: yi.county, name: '乙旗', prefecture: '演示市', stations: 1 },
    ]);
    expect((await staff.call('GET', '/api/v1/counties')).json).toEqual([
      { id: jia.county, name: '甲旗', prefecture: '演示市', stations: 2 },
    ]);
    expect((await manager.call('GET', '/api/v1/counties')).json).toEqual([
      { id: jia.county, name: '甲旗', prefecture: '演示市', stations: 1 },
    ]);
  });

  it('GET /station-types: the codes with the Chinese names the tables use', async () => {
    const r = await manager.call('GET', '/api/v1/station-types');
    expect(r.status).toBe(200);
    expect(r.json).toEqual([
      { value: 'community', label: '社区' },
      { value: 'township', label: '乡镇（苏木）' },
      { value: 'village', label: '村（嘎查）' },
      { value: 'school', label: '学校' },
      { value: 'enterprise', label: '企业' },
      { value: 'hospital', label: '医院' },
      { value: 'base', label: '科普基地' },
      { value: 'association', label: '学会协会' },
      { value: 'other', label: '其他' },
    ]);
  });

  it('GET /stations/:id: the figures the statistics service computes, groups, informants, activities and resource logs', async () => {
    const r = await op.call('GET', `/api/v1/stations/${jia.chengguan}?period=2026-11`);
    expect(r.status).toBe(200);
    const body = stationDetailBody.parse(r.json);
    const month = periodContaining('month', today);
    const expected = await fx.app.services.statistics.figures('station', jia.chengguan, month, today);
    expect(body.figures).toEqual(expected);
    expect(body.figures.effectiveShares).toBe(6);
    // The effective counting start, as the station list and the tables show it (no day set: the first group's binding).
    const row = (await fx.app.services.statistics.stationTable(jia.county, month, today)).rows.find((x) => x.stationId === jia.chengguan);
    expect(body.start).toBe(row!.start);
    expect(body.start).toBe(today);
    expect(body.station.countingFrom).toBeNull();
    expect(body.station).toMatchObject({ name: '城关社区e站', countyName: '甲旗', type: 'community', typeLabel: '社区', status: 'active' });
    expect(body.period).toMatchObject({ key: '2026-11', from: '2026-11-01', to: '2026-11-30' });
    expect(body.groups).toEqual([
      expect.objectContaining({
        topic: '城关科普群',
        stationId: jia.chengguan,
        stationName: '城关社区e站',
        countyId: jia.county,
        memberCount: 12,
      }),
    ]);
    expect(body.informants).toEqual({ total: 3, active: 3, unconfirmed: 1 });
    expect(body.activities).toEqual([
      expect.objectContaining({
        date: today,
        type: '讲座',
        title: '冬季防火',
        participants: 60,
        place: '文化站',
        status: 'active',
        by: 'console:test',
      }),
    ]);
    expect(body.resources.map((x) => [x.kind, x.text])).toEqual([
      ['bulletin', '宣传栏更换：冬季防火'],
      ['screen', '大屏播放 5 小时'],
    ]);

    // Another period: nothing of November.
    const october = stationDetailBody.parse((await op.call('GET', `/api/v1/stations/${jia.chengguan}?period=2026-10`)).json);
    expect([october.figures.effectiveShares, october.activities.length, october.resources.length]).toEqual([0, 0, 0]);
    // The manager may read their own station.
    expect((await manager.call('GET', `/api/v1/stations/${jia.chengguan}`)).status).toBe(200);
    // In the list a manager sees their station, and the total is theirs, not the county's
    // (another station of the county held an activity).
    const other = await fx.app.services.activities.log(
      jia.hexi,
      { date: today, type: '讲座', title: '河西讲座', participants: 55, place: null },
      'console:test',
    );
    const list = (await manager.call('GET', '/api/v1/stations?period=2026-11')).json as {
      counties: Array<{ total: { effectiveShares: number; informants: number; activities: number }; stations: Array<{ id: number }> }>;
    };
    expect(list.counties.map((c) => c.stations.map((x) => x.id))).toEqual([[jia.chengguan]]);
    expect(list.counties[0].total).toEqual(expected);
    const county = (await op.call('GET', `/api/v1/stations?period=2026-11&county=${jia.county}`)).json as typeof list;
    expect(county.counties[0].total.activities).toBe(expected.activities + 1);
    await fx.app.services.activities.withdraw(jia.hexi, other.id);
  });

  it('GET /stations/:id: 400 for a bad period, 404 for a station not visible (another county, another station)', async () => {
    expect(await op.call('GET', `/api/v1/stations/${jia.chengguan}?period=十一月`)).toMatchObject({
      status: 400,
      json: { error: expect.stringContaining('统计期格式不对') },
    });
    expect(await staff.call('GET', `/api/v1/stations/${yi.chengguan}`)).toMatchObject({
      status: 404,
      json: { error: '没有这个e站，或无权查看' },
    });
    expect((await manager.call('GET', `/api/v1/stations/${jia.hexi}`)).status).toBe(404);
    expect((await op.call('GET', '/api/v1/stations/999999')).status).toBe(404);
  });

  it('POST /stations: adds a station; the same name in another county is fine, twice in one county is refused', async () => {
    const r = await staff.call('POST', '/api/v1/stations', {
      body: { countyId: jia.county, name: '  东城e站 ', type: '学校', countingFrom: '2026-11-01' },
    });
    expect(r.status).toBe(201);
    expect(stationBody.parse(r.json)).toMatchObject({
      countyId: jia.county,
      countyName: '甲旗',
      name: '东城e站',
      type: 'school',
      typeLabel: '学校',
      status: 'active',
      countingFrom: '2026-11-01',
    });
    // 乙旗 may have its own 东城e站.
    expect((await op.call('POST', '/api/v1/stations', { body: { countyId: yi.county, name: '东城e站', type: 'village' } })).status).toBe(
      201,
    );
    expect(await staff.call('POST', '/api/v1/stations', { body: { countyId: jia.county, name: '东城e站' } })).toMatchObject({
      status: 400,
      json: { error: '甲旗已有名为“东城e站”的e站' },
    });
    const count = await fx.db.ds.getRepository(Station).countBy({ name: '东城e站' });
    expect(count).toBe(2);
  });

  it('POST /stations: bad requests are 400 with a Chinese message; another county 404 for staff; a manager 403', async () => {
    expect(await op.call('POST', '/api/v1/stations', { body: { countyId: jia.county, name: '某站', type: 'castle' } })).toMatchObject({
      status: 400,
      json: { error: expect.stringContaining('type：e站类型应为') },
    });
    expect(await op.call('POST', '/api/v1/stations', { body: { countyId: jia.county, name: '' } })).toMatchObject({
      status: 400,
      json: { error: 'name：请填写e站名称' },
    });
    expect(
      await op.call('POST', '/api/v1/stations', { body: { countyId: jia.county, name: '某站', countingFrom: '2026-13-01' } }),
    ).toMatchObject({
      status: 400,
      json: { error: expect.stringContaining('日期格式应为 YYYY-MM-DD') },
    });
    expect(await op.call('POST', '/api/v1/stations', { body: { name: '某站' } })).toMatchObject({
      status: 400,
      json: { error: 'countyId：缺少这一项' },
    });
    expect(await staff.call('POST', '/api/v1/stations', { body: { countyId: yi.county, name: '某站' } })).toMatchObject({
      status: 404,
      json: { error: '没有这个旗县区，或无权查看' },
    });
    expect(await manager.call('POST', '/api/v1/stations', { body: { countyId: jia.county, name: '某站' } })).toMatchObject({
      status: 403,
      json: { error: expect.stringContaining('e站管理员不能添加e站') },
    });
    expect(await fx.db.ds.getRepository(Station).countBy({ name: '某站' })).toBe(0);
  });

  it('PUT /stations/:id: rename, type, counting start, disable and enable; audited as console writes', async () => {
    const id = jia.hexi;
    const renamed = await staff.call('PUT', `/api/v1/stations/${id}`, { body: { name: '河西社区e站', type: 'village' } });
    expect(renamed.status).toBe(200);
    expect(stationBody.parse(renamed.json)).toMatchObject({ id, name: '河西社区e站', type: 'village', typeLabel: '村（嘎查）' });

    const counting = await op.call('PUT', `/api/v1/stations/${id}`, { body: { countingFrom: '2026-11-10' } });
    expect(counting.json).toMatchObject({ countingFrom: '2026-11-10' });
    expect((await op.call('PUT', `/api/v1/stations/${id}`, { body: { countingFrom: null } })).json).toMatchObject({ countingFrom: null });

    const disabled = await staff.call('PUT', `/api/v1/stations/${id}`, { body: { status: 'disabled' } });
    expect(disabled.json).toMatchObject({ status: 'disabled', statusLabel: '已停用' });
    // One vocabulary from the database to the page (issue 17): stored as the API says it.
    const [row] = await fx.db.ds.query(`SELECT status FROM station WHERE id = $1`, [id]);
    expect(row.status).toBe('disabled');
    expect((await staff.call('PUT', `/api/v1/stations/${id}`, { body: { status: 'active' } })).json).toMatchObject({
      status: 'active',
      statusLabel: '正常',
    });

    const audit: Array<{ listener_id: string; outcome: string }> = await fx.db.ds.query(
      `SELECT listener_id, outcome FROM audit_log WHERE channel = 'console' AND command = $1 ORDER BY id`,
      [`PUT /api/v1/stations/${id}`],
    );
    expect(audit.map((a) => a.outcome)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
  });

  it('PUT /stations/:id: a name taken in the county, an empty change or a bad status is 400; another county 404; a manager 403', async () => {
    expect(await staff.call('PUT', `/api/v1/stations/${jia.hexi}`, { body: { name: '城关社区e站' } })).toMatchObject({
      status: 400,
      json: { error: '本旗县区已有名为“城关社区e站”的e站' },
    });
    expect(await staff.call('PUT', `/api/v1/stations/${jia.hexi}`, { body: {} })).toMatchObject({
      status: 400,
      json: { error: expect.stringContaining('请至少修改一项') },
    });
    expect(await staff.call('PUT', `/api/v1/stations/${jia.hexi}`, { body: { status: 'gone' } })).toMatchObject({
      status: 400,
      json: { error: 'status：status 应为 active 或 disabled' },
    });
    expect((await staff.call('PUT', `/api/v1/stations/${yi.chengguan}`, { body: { name: '改名' } })).status).toBe(404);
    expect(await manager.call('PUT', `/api/v1/stations/${jia.chengguan}`, { body: { name: '改名' } })).toMatchObject({
      status: 403,
      json: { error: expect.stringContaining('e站管理员不能修改e站设置') },
    });
    const [row] = await fx.db.ds.query(`SELECT name FROM station WHERE id = $1`, [jia.chengguan]);
    expect(row.name).toBe('城关社区e站');
  });

  describe('the same station name in two counties', () => {
    it('StationService.findByName refuses the ambiguous name naming both counties, and finds it with the county', async () => {
      const s = fx.app.services.stations;
      await expect(s.findByName('城关社区e站')).rejects.toThrow(
        '有 2 个旗县区都有名为“城关社区e站”的e站：甲旗、乙旗。请指明旗县区（命令行加 --county <旗县区>）',
      );
      expect((await s.findByName('城关社区e站', '乙旗'))?.id).toBe(yi.chengguan);
      expect((await s.findByName('城关社区e站', jia.county))?.id).toBe(jia.chengguan);
      expect(await s.findByName('城关社区e站', '丙旗')).toBeNull();
      await expect(s.require('城关社区e站', '丙旗')).rejects.toThrow('找不到旗县区“丙旗”');
      // station add is idempotent within the county.
      expect((await s.add({ name: '城关社区e站', county: '乙旗' })).id).toBe(yi.chengguan);
    });

    it('the database refuses the same name twice in one county', async () => {
      await expect(fx.db.ds.query(`INSERT INTO station (name, county_id) VALUES ('城关社区e站', $1)`, [jia.county])).rejects.toThrow(
        /uq_station_county_name/,
      );
    });

    it('CLI: import roster, group bind, manager add and station set need --county for an ambiguous name', async () => {
      const file = join(dir, 'roster.csv');
      await writeFile(file, '姓名,手机号\n张三,13812345678\n');
      const ambiguous = await cli('import', 'roster', file, '--station', '城关社区e站');
      expect(ambiguous.code).toBe(1);
      expect(ambiguous.err).toContain('有 2 个旗县区都有名为“城关社区e站”的e站：甲旗、乙旗');
      const imported = await cli('import', 'roster', file, '--station', '城关社区e站', '--county', '乙旗');
      expect(imported).toMatchObject({ code: 0, out: '已导入“城关社区e站”名册：新增 1 人，补充手机号 0 人，已存在 0 人' });
      expect(await fx.db.ds.getRepository(Informant).countBy({ stationId: yi.chengguan, name: '张三' })).toBe(1);

      await fx.db.ds.query(`INSERT INTO wechat_group (room_id, topic) VALUES ('yi-room@chatroom', '乙旗城关群')`);
      expect((await cli('group', 'bind', 'yi-room@chatroom', '--station', '城关社区e站')).err).toContain('请指明旗县区');
      expect((await cli('group', 'bind', 'yi-room@chatroom', '--station', '城关社区e站', '--county', '乙旗')).code).toBe(0);
      const [g] = await fx.db.ds.query(`SELECT station_id FROM wechat_group WHERE room_id = 'yi-room@chatroom'`);
      expect(g.station_id).toBe(yi.chengguan);
      expect((await cli('group', 'list')).out).toContain('yi-room@chatroom\t乙旗城关群\t城关社区e站（乙旗）');

      expect((await cli('manager', 'add', '--station', '城关社区e站', '--wechat-contact', 'yi-mgr')).err).toContain('甲旗、乙旗');
      expect((await cli('manager', 'add', '--station', '城关社区e站', '--county', '乙旗', '--wechat-contact', 'yi-mgr')).code).toBe(0);
      const [m] = await fx.db.ds.query(
        `SELECT m.station_id FROM station_manager m JOIN person_identity i ON i.manager_id = m.id WHERE i.kind = 'wechat-contact' AND i.external_id = 'yi-mgr'`,
      );
      expect(m.station_id).toBe(yi.chengguan);

      expect((await cli('station', 'set', '城关社区e站', '--counting-from', '2026-11-02')).err).toContain('请指明旗县区');
      const set = await cli('station', 'set', '城关社区e站', '--county', '乙旗', '--counting-from', '2026-11-02', '--type', '社区');
      expect(set).toMatchObject({ code: 0, out: '已设置乙旗的e站“城关社区e站”：统计开始日为 2026-11-02，类型为 community' });
      expect((await cli('station', 'set', '城关社区e站', '--county', '乙旗')).err).toContain('请至少给出一项修改');
      const list = (await cli('station', 'list')).out;
      expect(list).toMatch(/城关社区e站\t甲旗/);
      expect(list).toMatch(/城关社区e站\t乙旗\tcommunity/);
    });
  });
});
