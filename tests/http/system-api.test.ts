import { KepuPuppetMock } from '../../src/channels/wechat/kepu-puppet-mock';
import { Informant, WechatGroup } from '../../src/db/entities';
import { dayOf } from '../../src/domain/calendar';
import { parsePeriod } from '../../src/domain/periods';
import { jobsBody, robotBody, runJobBody } from '../../src/http/api/areas/system';
import { joinRoster } from '../../src/services/roster-history';
import { qrPng } from '../../src/services/alert.service';
import { startConsole, type ApiBrowser, type ConsoleFixture } from '../support/console';
import { signedInAs } from '../support/console-people';
import { waitFor } from '../support/processes';

/** The robot page (last message, login QR code) and the job writes (run, send again) in the console. */
describe('console API: robot and jobs', () => {
  const now = new Date('2026-11-25T04:00:00Z');
  let fx: ConsoleFixture;
  let puppet: KepuPuppetMock;
  let operator: ApiBrowser;
  let staff: ApiBrowser;
  let manager: ApiBrowser;

  beforeAll(async () => {
    puppet = new KepuPuppetMock();
    fx = await startConsole(now, {}, { puppet });
    const station = await fx.app.services.stations.add({ name: '任务一站', county: '任务旗' });
    await fx.db.ds.getRepository(WechatGroup).save({ roomId: 'job-room@chatroom', topic: '任务群', stationId: station.id, boundAt: now });
    const informants = await fx.db.ds
      .getRepository(Informant)
      .save([1, 2].map((i) => ({ stationId: station.id, name: `任务员${i}`, wechatContactId: `job-c${i}`, boundAt: now })));
    await joinRoster(
      fx.db.ds,
      informants.map((i) => i.id),
      dayOf(now),
    );
    operator = await fx.operator();
    staff = await signedInAs(
      fx,
      'staff',
      (await fx.app.services.people.addStaffTo(station.countyId, { name: '干事', ids: { 'wechat-contact': 'job-s' } })).id,
    );
    manager = await signedInAs(
      fx,
      'manager',
      (await fx.app.services.people.addManagerTo(station.id, { name: '站长', ids: { 'wechat-contact': 'job-m' } })).id,
    );
  });

  afterAll(async () => {
    await fx?.stop();
  });

  it('GET /robot tells when the last message arrived; county staff may look, a manager may not', async () => {
    const self = puppet.mocker.createContact({ id: 'kepubot-self', name: '科普e站助手' });
    const talker = puppet.mocker.createContact({ id: 'job-c1', name: '任务员1' });
    puppet.mocker.createRoom({ id: 'job-room@chatroom', topic: '任务群', memberIdList: [self.id, talker.id] });
    puppet.mocker.login(self);
    await waitFor(() => (fx.app.accounts.summary().loggedIn ? true : undefined), 'the login');
    const before = robotBody.parse((await operator.call('GET', '/api/v1/robot')).json);
    expect(before.lastMessageAt).toBeNull();
    fx.clock.advance(60_000);
    puppet.injectText({ talkerId: 'job-c1', roomId: 'job-room@chatroom', text: '收到' });
    await waitFor(() => fx.app.accounts.summary().lastMessageAt ?? undefined, 'the message');
    const after = robotBody.parse((await staff.call('GET', '/api/v1/robot')).json);
    expect(after.lastMessageAt).toBe(fx.clock.now().toISOString());
    const refused = await manager.call('GET', '/api/v1/robot');
    expect(refused.status).toBe(403);
    expect(refused.json).toEqual({ error: '无权查看机器人状态' });
  });

  it('the login QR code of an account waiting for a scan: the operator, and staff only of a county the account serves', async () => {
    const [account] = robotBody.parse((await operator.call('GET', '/api/v1/robot')).json).accounts;
    expect(account).toMatchObject({
      name: fx.app.config.wechat.name,
      source: 'test',
      loggedIn: true,
      waitingForScan: false,
      mayScan: false,
    });
    const qrOf = `/api/v1/robot/accounts/${account.id}/qrcode.png`;
    expect(await operator.call('GET', qrOf)).toMatchObject({ status: 404, json: { error: '微信已登录，无需扫码' } });
    expect(await operator.call('GET', '/api/v1/robot/qrcode.png')).toMatchObject({ status: 404, json: { error: '没有等待扫码的微信号' } });
    // (Not awaited: the mock's logout lingers for seconds, longer than the HTTP keep-alive.)
    void puppet.logout('在其他设备登录');
    await waitFor(() => (fx.app.accounts.summary().loggedIn ? undefined : true), 'the logout');
    const qr = 'https://login.weixin.qq.com/l/kepubot-console-qr';
    puppet.mocker.scan(qr);
    await waitFor(() => fx.app.accounts.summary().qrcode ?? undefined, 'the QR code');
    // The status reaches the table (written by the holding process) on the next change or heartbeat.
    await waitFor(async () => ((await fx.app.services.accounts.qrcodeOf(account.id))?.qrcode ? true : undefined), 'the QR code stored');

    const png = await operator.call('GET', qrOf);
    expect(png.status).toBe(200);
    expect(png.headers.get('content-type')).toBe('image/png');
    expect(png.bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.bytes.equals(await qrPng(qr))).toBe(true);
    expect((await operator.call('GET', '/api/v1/robot/qrcode.png')).bytes.equals(await qrPng(qr))).toBe(true);
    const seen = robotBody.parse((await operator.call('GET', '/api/v1/robot')).json);
    expect(seen.wechat.waitingForScan).toBe(true);
    expect(seen.accounts[0]).toMatchObject({ waitingForScan: true, mayScan: true, stateLabel: '等待扫码登录' });
    // The account serves every county (none named): whoever scans takes it over, so staff of one county may not.
    expect(await staff.call('GET', qrOf)).toMatchObject({
      status: 403,
      json: { error: '这个微信号不服务您的旗县区，不能查看它的登录二维码' },
    });
    expect(await staff.call('GET', '/api/v1/robot/qrcode.png')).toMatchObject({ status: 404, json: { error: '没有您可以扫码的微信号' } });
    expect(robotBody.parse((await staff.call('GET', '/api/v1/robot')).json).accounts[0]).toMatchObject({
      waitingForScan: true,
      mayScan: false,
    });
    // Serving another county: still not theirs.
    await fx.app.services.stations.add({ name: '外旗一站', county: '外旗' });
    await fx.app.services.accounts.setCounties(account.name, ['外旗']);
    expect((await staff.call('GET', qrOf)).status).toBe(403);
    // Serving their county: the staff may scan it.
    await fx.app.services.accounts.setCounties(account.name, ['外旗', '任务旗']);
    const theirs = await staff.call('GET', qrOf);
    expect(theirs.status).toBe(200);
    expect(theirs.bytes.equals(await qrPng(qr))).toBe(true);
    expect(robotBody.parse((await staff.call('GET', '/api/v1/robot')).json).accounts[0].mayScan).toBe(true);
    expect((await manager.call('GET', qrOf)).status).toBe(403);
    expect((await operator.call('GET', '/api/v1/robot/accounts/999999/qrcode.png')).status).toBe(404);
    // Nothing the robot page answers carries the token or the QR code's payload.
    expect(JSON.stringify(seen)).not.toContain('kepubot-console-qr');
  }, 120_000);

  it('runs a job for a period, then sends again the parts that failed', async () => {
    const names = await operator.call('GET', '/api/v1/job-names');
    expect(names.json).toContainEqual({ name: 'group-reminder', label: '群内每日提醒' });

    const run = await operator.call('POST', '/api/v1/jobs/run', { body: { job: 'group-reminder', period: '2026-11-25' } });
    expect(run.status).toBe(201);
    const body = runJobBody.parse(run.json);
    expect(body.queued).toBe(1);
    expect(body.runs).toEqual([
      { runId: body.runId, scope: expect.stringContaining('job-room'), state: 'planned', queued: 1, reason: null },
    ]);
    // Run again: already done, nothing queued twice (as `kepubot run`).
    const again = runJobBody.parse(
      (await operator.call('POST', '/api/v1/jobs/run', { body: { job: 'group-reminder', period: '2026-11-25' } })).json,
    );
    expect(again).toMatchObject({ runId: body.runId, queued: 0, runs: [{ state: 'already' }] });

    // The send failed for good.
    await fx.db.ds.query(`UPDATE outbox_message SET state = 'failed', attempts = 5, last_error = 'boom' WHERE run_id = $1`, [body.runId]);
    const resent = await operator.call('POST', `/api/v1/jobs/runs/${body.runId}/resend`);
    expect(resent.status).toBe(200);
    expect(resent.json).toEqual({ requeued: 1 });
    const [row]: Array<{ state: string; attempts: number }> = await fx.db.ds.query(
      `SELECT state, attempts FROM outbox_message WHERE run_id = $1`,
      [body.runId],
    );
    expect(row).toEqual({ state: 'queued', attempts: 0 });
    expect((await operator.call('POST', '/api/v1/jobs/runs/999999/resend')).status).toBe(404);
  });

  it('refuses a bad job or period in Chinese; only the operator runs jobs', async () => {
    const wrongKind = await operator.call('POST', '/api/v1/jobs/run', { body: { job: 'group-reminder', period: '2026-W48' } });
    expect(wrongKind.status).toBe(400);
    expect(wrongKind.json).toEqual({ error: '任务“群内每日提醒”的统计期应为日，例如 2026-11-25' });
    const unknown = await operator.call('POST', '/api/v1/jobs/run', { body: { job: 'coffee' } });
    expect(unknown.status).toBe(400);
    expect(String(unknown.json?.error)).toContain('任务应为');
    expect((await staff.call('POST', '/api/v1/jobs/run', { body: { job: 'weekly-digest' } })).status).toBe(403);
    expect((await staff.call('POST', '/api/v1/jobs/runs/1/resend')).status).toBe(403);
    expect((await manager.call('POST', '/api/v1/jobs/runs/1/resend')).status).toBe(403);
  });

  it('GET /jobs: county staff see the runs and queue of their county only (read only); a manager none', async () => {
    const elsewhere = await fx.app.services.stations.add({ name: '别处一站', county: '别的旗' });
    // The weekly digest for every county (nobody to send to: pending), plus the group run above.
    await fx.app.jobs.run('weekly-digest', parsePeriod('2026-W47')!, now);
    const all = jobsBody.parse((await operator.call('GET', '/api/v1/jobs')).json);
    const mine = jobsBody.parse((await staff.call('GET', '/api/v1/jobs')).json);
    expect(all.runs.map((r) => r.scopeLabel)).toEqual(expect.arrayContaining(['任务旗', '别的旗', '任务群']));
    expect(mine.runs.map((r) => r.scopeLabel).sort()).toEqual(['任务旗', '任务群']);
    expect(mine.runs.some((r) => r.scope === `county:${elsewhere.countyId}`)).toBe(false);
    expect(mine.queue.every((q) => q.scopeLabel === '任务群')).toBe(true);
    expect((await manager.call('GET', '/api/v1/jobs')).status).toBe(403);
  });
});
