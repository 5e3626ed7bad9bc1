import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import type { DataSource } from 'typeorm';
import { runCli } from '../../src/cli';
import { ManualClock } from '../../src/clock';
import { loadConfig } from '../../src/config';
import { parsePeriod } from '../../src/domain/periods';
import { JobRunner } from '../../src/jobs/runner';
import { createLogger } from '../../src/logger';
import { createServices, type Services } from '../../src/services';
import type { PersonalData } from '../../src/services/personal-data.service';
import { buildCounty, type CountyData, type Person } from '../support/county-data';
import { createTestDatabase, type TestDatabase } from '../support/db';

const config = loadConfig({ LOG_LEVEL: 'silent' });
const now = new Date('2026-11-30T02:00:00Z');
const cliUser = { channel: 'cli' as const, senderId: 'tester' };

/**
 * Where any of `needles` occurs in the database: every text, varchar, char, json and jsonb column
 * (and text arrays) of every table of the public schema, found from the catalog, so a table or
 * column added later is searched too.
 */
async function occurrences(ds: DataSource, needles: string[]): Promise<string[]> {
  const columns: Array<{ t: string; c: string }> = await ds.query(
    `SELECT c.table_name AS t, c.column_name AS c
       FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
      WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
        AND (c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')
             OR (c.data_type = 'ARRAY' AND c.udt_name IN ('_text', '_varchar', '_bpchar')))`,
  );
  expect(columns.length).toBeGreaterThan(40);
  const found: string[] = [];
  for (const { t, c } of columns) {
    for (const needle of needles) {
      const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM "${t}" WHERE strpos("${c}"::text, $1) > 0`, [needle]);
      if (n > 0) found.push(`${t}.${c} ∋ ${needle} (${n})`);
    }
  }
  return found;
}

const identifying = (p: Person) => [p.name, p.phone, p.contactId, p.contactName];

describe('a person’s data: export and forget', () => {
  let db: TestDatabase;
  let services: Services;
  let data: CountyData;
  let people: Person[];

  beforeAll(async () => {
    db = await createTestDatabase();
    services = createServices(db.ds, config);
    data = await buildCounty(services);
    people = data.people;
    const [wang, li] = people;
    // What the bot and managers leave behind: commands in the audit log, reminders and rankings in the outbox.
    await services.audit.record({
      channel: 'wechat-group',
      senderId: wang.contactId,
      senderName: wang.contactName,
      stationId: wang.stationId,
      listenerId: 'stats.mine',
      command: '#我的',
      outcome: 'ok',
    });
    await services.audit.record({
      channel: 'wecom',
      senderId: 'manager-a',
      senderName: '管理员',
      stationId: wang.stationId,
      listenerId: 'roster.add',
      command: `添加信息员 ${wang.name} ${wang.phone}`,
      outcome: 'ok',
      detail: `已添加 ${wang.name}`,
    });
    await services.audit.record({
      channel: 'wecom',
      senderId: 'manager-a',
      stationId: li.stationId,
      listenerId: 'roster.add',
      command: `添加信息员 ${li.name} ${li.phone}`,
      outcome: 'ok',
    });
    const runner = new JobRunner(db.ds, services, config, createLogger('silent'));
    for (const job of ['group-reminder', 'group-ranking'] as const) {
      await runner.run(job, parsePeriod('2026-11-18')!, new Date('2026-11-18T11:30:00Z'));
    }
  });
  afterAll(async () => {
    await db.close();
  });

  it('the outbox and audit hold the people before anything is erased (the search finds them)', async () => {
    const found = await occurrences(db.ds, identifying(people[0]));
    expect(found.some((f) => f.startsWith('informant.name'))).toBe(true);
    expect(found.some((f) => f.startsWith('share_event.talker_id'))).toBe(true);
    expect(found.some((f) => f.startsWith('audit_log.command'))).toBe(true);
    expect(found.some((f) => f.startsWith('outbox_message.payload'))).toBe(true);
  });

  it('exports the person’s rows and nothing of another person', async () => {
    const [wang] = people;
    const { id } = await services.personalData.find(wang.stationId, wang.phone);
    expect(id).toBe(wang.id);
    expect((await services.personalData.find(wang.stationId, wang.name)).id).toBe(wang.id);
    const out = await services.personalData.export(wang.id, now, cliUser);
    expect(out.informant).toMatchObject({ id: wang.id, name: '王秀英', phone: '13912345671', status: 'active' });
    expect(out.informant.station).toMatchObject({ name: '城关社区e站', county: '演练旗' });
    expect(out.rosterIntervals).toEqual([{ fromDay: '2026-10-01', toDay: null }]);
    expect(out.identities).toEqual([{ kind: 'wechat-contact', id: 'wxid_wangxiuying01', since: expect.any(String) }]);
    // 8 days × (4 items + 1 repeat): 40 shares, 32 effective.
    expect(out.shares).toHaveLength(40);
    expect(out.shares.filter((s) => s.effective)).toHaveLength(32);
    expect(out.effectiveShares).toHaveLength(32);
    expect(out.dailyTotals).toEqual(
      ['2026-10-08', '2026-10-09', '2026-10-15', '2026-10-21', '2026-11-02', '2026-11-03', '2026-11-10', '2026-11-18'].map((day) => ({
        day,
        rawShares: 5,
        effectiveShares: 4,
      })),
    );
    expect(out.audit.map((a) => a.command)).toEqual(['#我的', '添加信息员 王秀英 13912345671']);
    const text = JSON.stringify(out);
    for (const other of people.slice(1)) for (const s of identifying(other)) expect(text).not.toContain(s);
    expect(text).not.toContain(data.unconfirmed.contactId);
    // The export is audited, without the data.
    const [line] = await db.ds.query(`SELECT command, detail FROM audit_log WHERE listener_id = 'cli.informant.export'`);
    expect(line).toEqual({ command: `informant export #${wang.id}`, detail: `导出信息员 #${wang.id} 的个人信息` });
  });

  it('refuses a name that is not on the station’s roster, or an ambiguous one, without echoing it', async () => {
    await expect(services.personalData.find(data.stationIds[1], '王秀英')).rejects.toThrow('这个e站的名册上没有这个人');
    await services.informants.addToRoster(data.stationIds[1], '赵桂兰', '13700000000', now);
    await expect(services.personalData.find(data.stationIds[1], '赵桂兰')).rejects.toThrow('名册上有 2 位同名的信息员，请改用手机号指定');
    expect((await services.personalData.find(data.stationIds[1], '13912345673')).id).toBe(people[2].id);
  });

  it('the same WeChat id registered for a station manager: the export lists that registration, forget unlinks it (person_identity)', async () => {
    const [wang] = people;
    const m = await services.people.addManager('城关社区e站', { name: '城关站长', ids: { 'wechat-contact': wang.contactId } });
    const out = await services.personalData.export(wang.id, now, cliUser);
    expect(out.identities).toEqual([
      { kind: 'wechat-contact', id: wang.contactId, since: expect.any(String) },
      { kind: 'wechat-contact', id: wang.contactId, since: expect.any(String), role: 'station-manager', name: '城关站长' },
    ]);
    expect(await occurrences(db.ds, [wang.contactId])).toContain('person_identity.external_id ∋ ' + wang.contactId + ' (1)');
    // (forget, below, must leave no copy of it: the manager stays, without that id)
    expect(m.identities).toEqual({ 'wechat-contact': wang.contactId });
  });

  it('forget: the station figures of the quarter are unchanged and the person is nowhere in the database', async () => {
    const [wang, li] = people;
    const before = await services.statistics.stationTable(data.countyId, data.range, data.today);
    const unconfirmedBefore = await services.informants.unconfirmed(wang.stationId);
    const r = await services.personalData.forget(wang.id, now, cliUser);
    expect(r).toEqual({ name: `已删除信息员#${wang.id}`, shares: 40 });

    expect(await services.statistics.stationTable(data.countyId, data.range, data.today)).toEqual(before);
    expect(await services.informants.unconfirmed(wang.stationId)).toEqual(unconfirmedBefore);
    expect(await occurrences(db.ds, identifying(wang))).toEqual([]);
    expect(await db.ds.query(`SELECT name FROM station_manager WHERE name = '城关站长'`)).toEqual([{ name: '城关站长' }]);
    // The others are untouched (and the search does find what is there).
    expect((await occurrences(db.ds, [li.name, li.phone, li.contactId])).length).toBeGreaterThan(3);
    const [row] = await db.ds.query(`SELECT name, phone, wechat_contact_id, status FROM informant WHERE id = $1`, [wang.id]);
    expect(row).toEqual({ name: `已删除信息员#${wang.id}`, phone: null, wechat_contact_id: null, status: 'active' });
    const [line] = await db.ds.query(`SELECT command FROM audit_log WHERE listener_id = 'cli.informant.forget'`);
    expect(line).toEqual({ command: `informant forget #${wang.id}` });
    await expect(services.personalData.forget(wang.id, now, cliUser)).rejects.toThrow('此前已删除');
  });

  describe('from the command line', () => {
    let dir: string;
    let env: Record<string, string>;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'kepubot-person-'));
      env = { DATABASE_URL: db.url, LOG_LEVEL: 'silent' };
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });
    async function cli(...argv: string[]) {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCli(argv, env, { out: (l) => out.push(l), err: (l) => err.push(l) }, new ManualClock(now));
      return { code, out: out.join('\n'), err: err.join('\n') };
    }

    it('exports to .json and .xlsx, forgets only with --yes, and audits without the name or phone', async () => {
      const li = people[1];
      const json = path.join(dir, 'li.json');
      const r = await cli('informant', 'export', li.name, '--station', '城关社区e站', '--county', '演练旗', '--out', json);
      expect(r.err).toBe('');
      expect(r.out).toBe(`已导出信息员 #${li.id} 的个人信息到 ${json}：8 条转发，1 条操作记录`);
      const data = JSON.parse(await readFile(json, 'utf8')) as PersonalData;
      expect(data.informant).toMatchObject({ name: '李建国', phone: '13912345672' });
      const xlsx = path.join(dir, 'li.xlsx');
      expect((await cli('informant', 'export', li.phone, '--station', '城关社区e站', '--out', xlsx)).code).toBe(0);
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.readFile(xlsx);
      expect(wb.worksheets.map((w) => w.name)).toEqual(['信息员', '在册区间', '账号', '转发', '每日统计', '操作记录']);
      expect(wb.getWorksheet('转发')!.rowCount).toBe(1 + 8);

      const refused = await cli('informant', 'forget', li.name, '--station', '城关社区e站');
      expect(refused.code).toBe(1);
      expect(refused.err).toContain('加 --yes');
      const done = await cli('informant', 'forget', li.name, '--station', '城关社区e站', '--yes');
      expect(done.out).toContain(`已删除信息员 #${li.id} 的姓名、手机号和微信标识`);
      expect(await occurrences(db.ds, identifying(li))).toEqual([]);
      const lines = await db.ds.query(`SELECT command FROM audit_log WHERE channel = 'cli' ORDER BY id`);
      expect(lines.map((l: { command: string }) => l.command)).toEqual(
        expect.arrayContaining([
          'informant export --station 城关社区e站',
          'informant forget --station 城关社区e站',
          `informant forget #${li.id}`,
        ]),
      );
    });
  });
});
