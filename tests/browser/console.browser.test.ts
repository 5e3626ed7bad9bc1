import ExcelJS from 'exceljs';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { KepuPuppetMock } from '../../src/channels/wechat/kepu-puppet-mock';
import { dayOf, daysBefore } from '../../src/domain/calendar';
import { parsePeriod, periodContaining } from '../../src/domain/periods';
import { Informant } from '../../src/db/entities';
import { joinRoster } from '../../src/services/roster-history';
import { botChat, startConsole, type ConsoleFixture } from '../support/console';
import { startFakeWecom, type FakeWecom } from '../support/fake-wecom';
import { accessibilityViolations, hook, launchBrowser, newContext, screenshot, settled } from './support';

/**
 * The county console in a real browser: a headless Chromium (Debian's, or the one `npm ci` brings:
 * tests/browser/support.ts) driven by playwright-core, against kepubot composed on a real
 * PostgreSQL with the mock puppet, and the local fake WeCom server for the WeCom sign-in. Each
 * page's screenshot goes to test-output/screenshots/; axe-core checks each page against WCAG 2 AA.
 */
describe('the county console in chromium (real kepubot, PostgreSQL, Wechaty mock puppet)', () => {
  const now = new Date('2026-11-25T04:00:00Z'); // Wednesday 12:00 in Asia/Shanghai
  const today = dayOf(now);
  const PUBLIC_URL = 'https://console.example.cn';
  const CORP = 'wwbrowsercorp0001';
  let fx: ConsoleFixture;
  let fake: FakeWecom;
  let puppet: KepuPuppetMock;
  let browser: Browser;
  let chat: ReturnType<typeof botChat>;
  const ids = { countyA: 0, countyB: 0, a1: 0, a2: 0, b1: 0 };
  const STAFF = { id: 'wx-staff-li', name: '李干事' };
  const MANAGER = { id: 'wx-manager-zhou', name: '周站长' };
  const BOUND_ROOM = 'room-bound@chatroom';
  const NEW_ROOM = 'room-new@chatroom';

  beforeAll(async () => {
    fake = await startFakeWecom({ corpId: CORP, secret: 'browser-secret' });
    puppet = new KepuPuppetMock();
    fx = await startConsole(
      now,
      {
        SEND_INTERVAL_MS: '0',
        SEND_JITTER_MS: '0',
        SEND_GROUP_SWITCH_MS: '0',
        SEND_BATCH_WINDOW_MS: '0',
        SEND_PER_MINUTE: '600',
        SHARE_BATCH_WAIT_MS: '0',
        CONSOLE_PUBLIC_URL: PUBLIC_URL,
        WECOM_CORP_ID: CORP,
        WECOM_AGENT_ID: '1000002',
        WECOM_SECRET: 'browser-secret',
        WECOM_TOKEN: 'browsertoken',
        WECOM_ENCODING_AES_KEY: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
        WECOM_API_BASE: fake.url,
      },
      { puppet },
    );
    chat = botChat(fx, puppet);
    const { services } = fx.app;
    // Two counties; the same common station name in both (unique within a county only).
    const a1 = await services.stations.add({ name: '城关社区e站', county: '甲旗' });
    const a2 = await services.stations.add({ name: '河西村e站', county: '甲旗' });
    const b1 = await services.stations.add({ name: '城关社区e站', county: '乙旗' });
    Object.assign(ids, { countyA: a1.countyId, countyB: b1.countyId, a1: a1.id, a2: a2.id, b1: b1.id });
    await services.people.addStaff('甲旗', { name: STAFF.name, ids: { 'wechat-contact': STAFF.id, 'wecom-user': 'wecom-li' } });
    await services.people.addManager('河西村e站', { name: MANAGER.name, ids: { 'wechat-contact': MANAGER.id } }, '甲旗');

    const self = puppet.mocker.createContact({ id: 'kepubot-self', name: '科普e站助手' });
    for (const c of [STAFF, MANAGER]) puppet.mocker.createContact(c);
    const members = [1, 2, 3, 4].map((i) => puppet.mocker.createContact({ id: `wx-informant-${i}`, name: `信息员${i}` }));
    puppet.mocker.createRoom({ id: BOUND_ROOM, topic: '城关社区科普群', memberIdList: [self.id, ...members.map((m) => m.id)] });
    // A group nobody has spoken in: it must still be listed (from the room list at login).
    puppet.mocker.createRoom({ id: NEW_ROOM, topic: '河西村科普群', memberIdList: [self.id, STAFF.id] });
    puppet.mocker.login(self);
    await fx.app.channel.idle();

    // The bot knows both rooms from the room list at login; one is bound already.
    await fx.app.services.groups.bind(BOUND_ROOM, '城关社区e站', now, '甲旗');
    for (const id of [a1.id, a2.id]) await services.stations.update(id, { countingFrom: daysBefore(today, 20) });
    const informants = await fx.db.ds
      .getRepository(Informant)
      .save([1, 2, 3].map((i) => ({ stationId: a1.id, name: `信息员${i}`, wechatContactId: `wx-informant-${i}`, boundAt: now })));
    await joinRoster(
      fx.db.ds,
      informants.map((i) => i.id),
      daysBefore(today, 20),
    );
    // Shares over the last 10 days: informant 1 meets the quota every day, 2 shares once a day, 3 never.
    let n = 0;
    for (let d = 9; d >= 0; d--) {
      const day = new Date(now.getTime() - d * 86_400_000);
      for (const [who, count] of [
        [1, 3],
        [2, 1],
      ] as const) {
        for (let k = 0; k < count; k++) {
          n++;
          await services.shares.record({
            messageId: `browser-m${n}`,
            roomId: BOUND_ROOM,
            talkerId: `wx-informant-${who}`,
            talkerName: `信息员${who}`,
            link: { contentKey: `kepu:item:${d}-${who}-${k}`, url: `https://m.kepuchina.cn/tuwendetail?id=${n}`, kind: 'text' },
            sentAt: day,
          });
        }
      }
    }
    await services.shares.flush();
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await fx?.stop();
    await fake?.close();
  });

  /** Sends 登录 to the bot in a private chat and returns the link's path on this server. */
  const loginLinkOf = async (who: { id: string }): Promise<string> => {
    const reply = await chat.say(who, '登录');
    const link = reply.match(/https:\/\/console\.example\.cn(\/#\/login\?ticket=[\w-]+)/);
    if (!link) throw new Error('the 登录 reply has no link');
    return link[1];
  };

  /** A page signed in through the one-time link the bot sends. */
  const pageOf = async (who: { id: string }, device: 'pc' | 'wecom-phone' = 'pc'): Promise<Page> => {
    const context = await newContext(browser, fx.base, device, now);
    const page = await context.newPage();
    await page.goto(await loginLinkOf(who));
    await page.waitForURL((u) => u.hash === '#/' || u.hash.startsWith('#/?'));
    await hook(page, 'page-title').first().waitFor();
    return page;
  };

  let operatorAdded = false;
  const operatorPage = async (): Promise<Page> => {
    if (!operatorAdded) await fx.app.services.consoleAuth.addOperator('it-zhang', 'correct-horse-battery');
    operatorAdded = true;
    const context = await newContext(browser, fx.base, 'pc', now);
    const page = await context.newPage();
    await page.goto('/#/login');
    await hook(page, 'login-name').fill('it-zhang');
    await hook(page, 'login-password').fill('correct-horse-battery');
    await hook(page, 'login-submit').click();
    await page.waitForURL((u) => u.hash === '#/');
    return page;
  };

  const noPageError = async (page: Page) => expect(await hook(page, 'page-error').count()).toBe(0);

  it('county staff sign in through the one-time link from 登录; the overview shows what the statistics service computes', async () => {
    const page = await pageOf(STAFF);
    await hook(page, 'figure-informants').waitFor();
    const period = periodContaining('month', today);
    const table = await fx.app.services.statistics.stationTable(ids.countyA, period, today);
    const value = async (name: string) => Number(await hook(page, name).getAttribute('data-value'));
    expect(await value('figure-informants')).toBe(table.total.informants);
    expect(await value('figure-per-informant-day')).toBeCloseTo(table.total.perInformantDay, 10);
    expect(await value('figure-quota-met-rate')).toBeCloseTo(table.total.quotaMetRate, 10);
    expect(await value('figure-activities')).toBe(table.total.activities);
    expect(table.total.effectiveShares).toBe(40);
    await hook(page, 'chart-daily').locator('canvas').first().waitFor();
    await hook(page, 'chart-weekly').locator('canvas').first().waitFor();
    await hook(page, 'ranking').locator('tbody tr').nth(1).waitFor();
    expect(await hook(page, 'ranking').locator('tbody tr').count()).toBe(2);
    await noPageError(page);
    await screenshot(page, '01-overview');
    await page.context().close();
  });

  it('operator: password sign-in; every page renders with live data (screenshots of each page)', async () => {
    const page = await operatorPage();
    const pages: Array<[string, string]> = [
      ['nav-stations', '02-stations'],
      ['nav-roster', '03-roster'],
      ['nav-groups', '04-groups'],
      ['nav-activities', '05-activities'],
      ['nav-people', '06-people'],
      ['nav-jobs', '07-jobs'],
      ['nav-reports', '08-reports'],
      ['nav-robot', '09-robot'],
    ];
    for (const [nav, shot] of pages) {
      await hook(page, nav).click();
      await hook(page, 'page-title').first().waitFor();
      await settled(page);
      await noPageError(page);
      await screenshot(page, shot);
    }
    // The groups page lists the group nobody has spoken in yet (from the room list at login).
    await hook(page, 'nav-groups').click();
    await hook(page, 'group-row').filter({ hasText: '河西村科普群' }).waitFor();
    // The station page of 城关社区e站 in 甲旗.
    await page.goto(`/#/stations/${ids.a1}`);
    await hook(page, 'station-figures').waitFor();
    await noPageError(page);
    await screenshot(page, '10-station');
    await page.context().close();
  });

  it('every page of the menu, a station page and the sign-in page pass axe-core’s WCAG 2 A/AA rules', async () => {
    const found: string[] = [];
    const check = async (page: Page, name: string) => {
      await settled(page);
      for (const v of await accessibilityViolations(page)) found.push(`${name}: ${v.rule} ${v.target} (${v.summary})`);
    };
    const signIn = await (await newContext(browser, fx.base, 'pc', now)).newPage();
    await signIn.goto('/#/login');
    await hook(signIn, 'login-submit').waitFor();
    await check(signIn, '登录');
    await signIn.context().close();

    const page = await operatorPage();
    await hook(page, 'figure-informants').waitFor();
    await check(page, '总览');
    // The nine pages of the menu, as the operator sees it.
    const menu = page.locator('.aside [data-test^="nav-"]');
    expect(await menu.allTextContents()).toEqual(['总览', 'e站', '名册', '群', '活动', '人员', '任务', '报表', '机器人']);
    for (let i = 1; i < (await menu.count()); i++) {
      await menu.nth(i).click();
      await hook(page, 'page-title').first().waitFor();
      await check(page, (await menu.nth(i).textContent())!);
    }
    await page.goto(`/#/stations/${ids.a1}`);
    await hook(page, 'station-figures').waitFor();
    await check(page, 'e站详情');
    await page.context().close();

    const phone = await pageOf(STAFF, 'wecom-phone');
    await hook(phone, 'figure-informants').waitFor();
    await check(phone, '总览（企业微信手机）');
    await phone.context().close();
    // Each line: page, axe rule, the element (CSS selector) and what to fix.
    expect(found).toEqual([]);
  }, 300_000);

  it('roster: a file with one bad row shows that row and imports nothing; the fixed file imports', async () => {
    const page = await pageOf(STAFF);
    await hook(page, 'nav-roster').click();
    await hook(page, 'station-picker').selectOption({ label: '河西村e站' });
    const dir = mkdtempSync(path.join(tmpdir(), 'kepubot-roster-'));
    const write = async (rows: string[][], name: string) => {
      const wb = new ExcelJS.Workbook();
      const ws = wb.addWorksheet('名册');
      ws.addRow(['姓名', '手机号', '备注']);
      for (const r of rows) ws.addRow(r);
      const file = path.join(dir, name);
      writeFileSync(file, Buffer.from(await wb.xlsx.writeBuffer()));
      return file;
    };
    const bad = await write(
      [
        ['张三', '13812345678', ''],
        ['李四', '1381234', '号码少了几位'],
        ['王五', '13912345678', ''],
      ],
      '河西村名册.xlsx',
    );
    await hook(page, 'roster-file').setInputFiles(bad);
    const errorRow = hook(page, 'roster-error-row');
    await errorRow.first().waitFor();
    expect(await errorRow.count()).toBe(1);
    expect(await errorRow.first().getAttribute('data-row')).toBe('3');
    expect(await errorRow.first().textContent()).toContain('第 3 行');
    expect(await hook(page, 'roster-import').count()).toBe(0);
    await screenshot(page, '11-roster-upload-error');
    const [{ count: before }] = await fx.db.ds.query(`SELECT count(*)::int AS count FROM informant WHERE station_id = $1`, [ids.a2]);
    expect(before).toBe(0);

    const good = await write(
      [
        ['张三', '13812345678', ''],
        ['李四', '13812345679', ''],
        ['王五', '13912345678', ''],
      ],
      '河西村名册-改.xlsx',
    );
    await hook(page, 'roster-file').setInputFiles(good);
    await hook(page, 'roster-import').waitFor();
    expect(await hook(page, 'roster-error-row').count()).toBe(0);
    await screenshot(page, '12-roster-upload-ok');
    await hook(page, 'roster-import').click();
    await hook(page, 'informants').getByText('王五').waitFor();
    const names: Array<{ name: string }> = await fx.db.ds.query(`SELECT name FROM informant WHERE station_id = $1 ORDER BY name`, [ids.a2]);
    expect(names.map((r) => r.name).sort()).toEqual(['张三', '李四', '王五'].sort());
    await page.context().close();
  });

  it('groups: county staff bind the new group to a station', async () => {
    const page = await pageOf(STAFF);
    await hook(page, 'nav-groups').click();
    const row = hook(page, 'group-row').filter({ hasText: '河西村科普群' });
    await row.waitFor();
    await row.locator('[data-test="station-picker"]').selectOption({ label: '河西村e站' });
    await row.locator('[data-test="group-bind"]').click();
    await row.locator('[data-test="group-unbind"]').waitFor();
    const [group] = await fx.db.ds.query(`SELECT station_id FROM wechat_group WHERE room_id = $1`, [NEW_ROOM]);
    expect(group.station_id).toBe(ids.a2);
    await page.context().close();
  });

  it('activities: a station manager adds one; it is listed and counted in the station figures', async () => {
    const page = await pageOf(MANAGER);
    await hook(page, 'nav-activities').click();
    await hook(page, 'activity-date').fill(daysBefore(today, 2));
    await hook(page, 'activity-type').selectOption('讲座');
    await hook(page, 'activity-title').fill('冬季防火科普讲座');
    await hook(page, 'activity-participants').fill('62');
    await hook(page, 'activity-place').fill('村委会');
    await hook(page, 'activity-submit').click();
    await hook(page, 'activity-row').filter({ hasText: '冬季防火科普讲座' }).waitFor();
    const period = periodContaining('month', today);
    const figures = (await fx.app.services.statistics.stationTable(ids.countyA, period, today)).rows.find(
      (r) => r.stationId === ids.a2,
    )!.figures;
    expect(figures).toMatchObject({ activities: 1, participants: 62, activitiesOf50: 1 });
    await hook(page, 'nav-overview').click();
    await hook(page, 'figure-activities').waitFor();
    expect(Number(await hook(page, 'figure-activities').getAttribute('data-value'))).toBe(1);
    await page.context().close();
  });

  it('reports: the quarterly table downloads and reads back as the county’s filed table', async () => {
    const page = await pageOf(STAFF);
    await hook(page, 'nav-reports').click();
    const link = hook(page, 'report-download-quarterly');
    await link.waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toMatch(/\.xlsx$/);
    const file = await download.path();
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(readFileSync(file) as unknown as ArrayBuffer);
    const text = wb.worksheets
      .flatMap((ws) => ws.getSheetValues().flatMap((row) => (Array.isArray(row) ? row : [])))
      .map((v) => String(v ?? ''))
      .join(' ');
    expect(text).toContain('甲旗');
    expect(text).toContain('城关社区e站');
    expect(text).toContain('河西村e站');
    expect(text).not.toContain('乙旗');
    expect(parsePeriod('2026Q4')).not.toBeNull();
    await page.context().close();
  });

  it('a station manager cannot open another station, county staff cannot open another county (page and API)', async () => {
    const manager = await pageOf(MANAGER);
    await manager.goto(`/#/stations/${ids.a1}`);
    await hook(manager, 'page-error').waitFor();
    expect(await hook(manager, 'page-error').textContent()).toMatch(/没有|无权/);
    const api = await manager.evaluate(async (id) => (await fetch(`/api/v1/stations/${id}`)).status, ids.a1);
    expect(api).toBe(404);
    expect(await hook(manager, 'nav-people').count()).toBe(0);
    expect(await hook(manager, 'nav-reports').count()).toBe(0);
    await manager.context().close();

    const staff = await pageOf(STAFF);
    await staff.goto(`/#/stations/${ids.b1}`);
    await hook(staff, 'page-error').waitFor();
    const statuses = await staff.evaluate(
      async ({ station, county }) => [
        (await fetch(`/api/v1/stations/${station}`)).status,
        (await fetch(`/api/v1/stations?county=${county}`)).status,
        (await fetch(`/api/v1/overview?county=${county}`)).status,
        (await fetch(`/api/v1/reports/quarterly?period=2026Q4&county=${county}`)).status,
      ],
      { station: ids.b1, county: ids.countyB },
    );
    expect(statuses.every((s) => s === 404 || s === 403)).toBe(true);
    // 任务: staff read their county's runs; running or resending is the operator's.
    await hook(staff, 'nav-jobs').click();
    await hook(staff, 'job-runs').waitFor();
    expect(await hook(staff, 'job-run').count()).toBe(0);
    await staff.context().close();
  });

  it('WeCom QR sign-in against the local fake WeCom server; the WeCom app on a phone signs in silently', async () => {
    const context = await newContext(browser, fx.base, 'pc', now);
    const page = await context.newPage();
    // WeCom's QR login page hands back a code for 李干事 to the redirect URI with the state it was
    // given. Played at the start URL, as on the phone below: not every Chromium build hands a
    // server's redirect to another site to route handlers. kepubot's real answer is checked first.
    await context.route(/\/api\/v1\/auth\/wecom\/start\?mode=qr/, async (route) => {
      const real = await route.fetch({ maxRedirects: 0 });
      const to = new URL(real.headers()['location']);
      expect(`${to.origin}${to.pathname}`).toBe('https://login.work.weixin.qq.com/wwlogin/sso/login');
      expect(to.searchParams.get('appid')).toBe(CORP);
      const back = new URL(to.searchParams.get('redirect_uri')!);
      expect(back.origin).toBe(PUBLIC_URL);
      fake.oauthCodes.set('browser-code-li', 'wecom-li');
      const target = `${fx.base}${back.pathname}?code=browser-code-li&state=${encodeURIComponent(to.searchParams.get('state')!)}`;
      await route.fulfill({ status: 302, headers: { location: target, 'set-cookie': real.headers()['set-cookie'] ?? '' } });
    });
    await page.goto('/#/login');
    await screenshot(page, '00-login');
    await hook(page, 'login-wecom-qr').click();
    await page.waitForURL((u) => u.origin === fx.base && u.hash === '#/');
    const me = await page.evaluate(async () => (await fetch('/api/v1/me')).json());
    expect(me).toMatchObject({ kind: 'staff', name: STAFF.name, countyId: ids.countyA });
    await context.close();

    const phone = await newContext(browser, fx.base, 'wecom-phone', now);
    // Chromium does not hand a redirect to a URL with a fragment (#wechat_redirect) to route
    // handlers, so WeCom's silent OAuth is played at the start URL: kepubot's real answer is
    // checked, then the browser goes where WeCom would send it.
    await phone.route(/\/api\/v1\/auth\/wecom\/start\?/, async (route) => {
      const real = await route.fetch({ maxRedirects: 0 });
      const to = new URL(real.headers()['location']);
      expect(`${to.origin}${to.pathname}`).toBe('https://open.weixin.qq.com/connect/oauth2/authorize');
      expect(to.hash).toBe('#wechat_redirect');
      expect(to.searchParams.get('scope')).toBe('snsapi_base');
      const back = new URL(to.searchParams.get('redirect_uri')!);
      expect(back.origin).toBe(PUBLIC_URL);
      fake.oauthCodes.set('browser-code-app', 'wecom-li');
      const target = `${fx.base}${back.pathname}?code=browser-code-app&state=${encodeURIComponent(to.searchParams.get('state')!)}`;
      await route.fulfill({ status: 302, headers: { location: target, 'set-cookie': real.headers()['set-cookie'] ?? '' } });
    });
    const mobile = await phone.newPage();
    await mobile.goto('/#/login');
    await mobile.waitForURL((u) => u.origin === fx.base && u.hash === '#/');
    await hook(mobile, 'figure-informants').waitFor();
    await screenshot(mobile, '13-overview-wecom-phone');
    await phone.close();
  });
});
