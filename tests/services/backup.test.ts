import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { runCli } from '../../src/cli';
import { ManualClock } from '../../src/clock';
import { loadConfig } from '../../src/config';
import { openDataSource } from '../../src/db/data-source';
import { createDeliver } from '../../src/channels/outbound';
import { BACKUP_FAILED, NightlyBackup } from '../../src/jobs/nightly-backup';
import { createLogger } from '../../src/logger';
import { createServices } from '../../src/services';
import { AlertService } from '../../src/services/alert.service';
import { backupFileName, createBackup, pruneBackups, restoreBackup } from '../../src/services/backup.service';
import { UserError } from '../../src/errors';
import { buildCounty, type CountyData } from '../support/county-data';
import { createEmptyDatabase, createTestDatabase, type EmptyDatabase, type TestDatabase } from '../support/db';

const log = createLogger('silent');
const config = loadConfig({ LOG_LEVEL: 'silent' });

/**
 * Rows of every table of the public schema, found from the catalog (a new table is counted too).
 * A partitioned table counts its partitions' rows; the partitions are not listed on their own.
 */
async function rowCounts(ds: DataSource): Promise<Record<string, number>> {
  const tables: Array<{ name: string }> = await ds.query(
    `SELECT t.table_name AS name FROM information_schema.tables t
       JOIN pg_class c ON c.relname = t.table_name AND c.relnamespace = 'public'::regnamespace
      WHERE t.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND NOT c.relispartition ORDER BY 1`,
  );
  const out: Record<string, number> = {};
  for (const { name } of tables) out[name] = Number((await ds.query(`SELECT count(*)::int AS n FROM "${name}"`))[0].n);
  return out;
}

describe('backup drill: build a county, back it up, wipe it, restore it, every figure equal', () => {
  let db: TestDatabase;
  let data: CountyData;
  let dir: string;
  let figures: unknown;
  let counts: Record<string, number>;
  let file: string;
  const extra: EmptyDatabase[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    const services = createServices(db.ds, config);
    data = await buildCounty(services);
    figures = await services.statistics.stationTable(data.countyId, data.range, data.today);
    counts = await rowCounts(db.ds);
    dir = await mkdtemp(path.join(os.tmpdir(), 'kepubot-backup-'));
  });
  afterAll(async () => {
    await db.close();
    for (const e of extra) await e.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('the county has what the drill needs (hand-counted)', () => {
    expect(counts).toMatchObject({ station: 2, informant: 3, wechat_group: 2, activity: 1, resource_log: 1 });
    // 8 days × 5 of 王秀英 + 4 days × 2 of 李建国 + 5 days × 3 of 赵桂兰 + 2 of the unconfirmed member.
    expect(counts.share_event).toBe(8 * 5 + 4 * 2 + 5 * 3 + 2);
    const table = figures as { rows: Array<{ name: string; figures: { effectiveShares: number; rawShares: number } }> };
    expect(table.rows.map((r) => [r.name, r.figures.rawShares, r.figures.effectiveShares]).sort()).toEqual(
      [
        ['城关社区e站', 8 * 5 + 4 * 2, 8 * 4 + 4 * 2],
        ['东风村e站', 5 * 3, 5 * 3],
      ].sort(),
    );
  });

  it('writes a backup named by its time, and a second database restored from it has every figure and row', async () => {
    const b = await createBackup(db.url, dir, new Date('2026-11-30T19:00:00Z'));
    file = b.file;
    expect(path.basename(file)).toBe('kepubot-20261130T190000Z.ndjson.gz');
    expect(b.bytes).toBeGreaterThan(0);
    expect(b.tables).toEqual(counts);

    // Wipe: the database is dropped whole; restore goes into a new, empty one (a fresh machine).
    await db.ds.destroy();
    const fresh = await createEmptyDatabase();
    extra.push(fresh);
    await restoreBackup(fresh.url, file, log);
    const ds = await openDataSource({ url: fresh.url, log });
    try {
      const services = createServices(ds, config);
      expect(await services.statistics.stationTable(data.countyId, data.range, data.today)).toEqual(figures);
      expect(await rowCounts(ds)).toEqual(counts);
      // The sequences came back too: a new informant gets a new id, not one in use.
      const added = await services.informants.addToRoster(data.stationIds[0], '新来的', null, new Date('2026-11-30T02:00:00Z'));
      expect(added.id).toBeGreaterThan(Math.max(...data.people.map((p) => p.id)));
    } finally {
      await ds.destroy();
    }
  });

  it('restoring over a database that changed since gives back the backup exactly (later rows gone)', async () => {
    const url = db.url;
    const ds = await openDataSource({ url, log });
    const services = createServices(ds, config);
    await services.stations.add({ name: '后加的e站', county: '演练旗' });
    await ds.query(`DELETE FROM activity`);
    await ds.destroy();
    await restoreBackup(url, file, log);
    const again = await openDataSource({ url, log });
    try {
      expect(await createServices(again, config).statistics.stationTable(data.countyId, data.range, data.today)).toEqual(figures);
      expect(await rowCounts(again)).toEqual(counts);
    } finally {
      await again.destroy();
    }
  });

  it('refuses a file cut short or not a backup, before touching the database', async () => {
    const lines = gunzipSync(await readFile(file))
      .toString('utf8')
      .split('\n');
    const cut = path.join(dir, 'cut.ndjson.gz');
    await writeFile(cut, gzipSync(lines.slice(0, Math.floor(lines.length / 2)).join('\n')));
    const other = path.join(dir, 'other.ndjson.gz');
    await writeFile(other, gzipSync('{"a":1}\n'));
    const target = await createEmptyDatabase();
    extra.push(target);
    await expect(restoreBackup(target.url, cut, log)).rejects.toThrow(/不完整/);
    await expect(restoreBackup(target.url, other, log)).rejects.toThrow(UserError);
    await expect(restoreBackup(target.url, path.join(dir, 'none.ndjson.gz'), log)).rejects.toThrow(/读不到备份文件/);
    const ds = await openDataSource({ url: target.url, log });
    // Untouched: still the empty database the migrations just built.
    expect((await rowCounts(ds)).station).toBe(0);
    await ds.destroy();
  });

  it('never overwrites a backup, and prunes only its own files', async () => {
    await expect(createBackup(db.url, dir, new Date('2026-11-30T19:00:00Z'))).rejects.toThrow(/已存在/);
  });

  it('keeps the newest BACKUP_KEEP backups', async () => {
    const keepDir = await mkdtemp(path.join(os.tmpdir(), 'kepubot-keep-'));
    const names = ['2026-11-01T19:00:00Z', '2026-11-02T19:00:00Z', '2026-11-03T19:00:00Z', '2026-11-04T19:00:00Z'].map((t) =>
      backupFileName(new Date(t)),
    );
    for (const n of names) await writeFile(path.join(keepDir, n), 'x');
    await writeFile(path.join(keepDir, 'notes.txt'), 'mine');
    const safety = backupFileName(new Date('2026-10-01T00:00:00Z'), 'before-restore');
    await writeFile(path.join(keepDir, safety), 'x');
    expect(await pruneBackups(keepDir, 2)).toEqual(names.slice(0, 2));
    expect((await readdir(keepDir)).sort()).toEqual([...names.slice(2), 'notes.txt', safety].sort());
    await rm(keepDir, { recursive: true, force: true });
  });
});

describe('kepubot backup / restore on an external database (DATABASE_URL)', () => {
  let db: TestDatabase;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase();
    await buildCounty(createServices(db.ds, config));
    dir = await mkdtemp(path.join(os.tmpdir(), 'kepubot-cli-backup-'));
    env = { DATABASE_URL: db.url, LOG_LEVEL: 'silent', KEPUBOT_DATA_DIR: dir, BACKUP_KEEP: '5' };
  });
  afterAll(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function cli(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const clock = new ManualClock(new Date('2026-12-01T19:00:00Z'));
    const code = await runCli(argv, env, { out: (l) => out.push(l), err: (l) => err.push(l) }, clock);
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it('backs up now and prints the file and its size; restore refuses while another session uses the database', async () => {
    const b = await cli('backup');
    expect(b.code).toBe(0);
    const file = path.join(dir, 'backups', 'kepubot-20261201T190000Z.ndjson.gz');
    expect(b.out).toMatch(new RegExp(`已备份：${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}（\\d+(\\.\\d)? KB，\\d+ 张表共 \\d+ 行）`));

    const refused = await cli('restore', file);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/还有 \d+ 个连接在使用数据库（kepubot）/);

    await db.ds.query(`DELETE FROM share_event`);
    await db.ds.destroy();
    const done = await cli('restore', file);
    expect(done.err).toBe('');
    expect(done.code).toBe(0);
    expect(done.out).toContain(
      `恢复前已把当前数据库备份到 ${path.join(dir, 'backups', 'kepubot-20261201T190000Z-before-restore.ndjson.gz')}`,
    );
    expect(done.out).toContain(`已从 ${file}（备份于 2026-12-01T19:00:00.000Z）恢复`);
    const ds = await openDataSource({ url: db.url, log });
    try {
      expect(Number((await ds.query(`SELECT count(*) AS n FROM share_event`))[0].n)).toBe(8 * 5 + 4 * 2 + 5 * 3 + 2);
      const audit = await ds.query(`SELECT listener_id, outcome FROM audit_log WHERE listener_id = 'cli.restore'`);
      expect(audit).toEqual([{ listener_id: 'cli.restore', outcome: 'ok' }]);
    } finally {
      await ds.destroy();
    }
  });
});

describe('backup configuration', () => {
  it('defaults to 03:00 and 14 backups under the data directory; "off" turns it off; a bad value names the variable', () => {
    expect(loadConfig({ KEPUBOT_DATA_DIR: '/srv/kepubot' }).backup).toEqual({ dir: '/srv/kepubot/backups', rule: '0 3 * * *', keep: 14 });
    expect(loadConfig({ SCHEDULE_BACKUP: 'off' }).backup.rule).toBeNull();
    expect(() => loadConfig({ SCHEDULE_BACKUP: '3 am' })).toThrow(/SCHEDULE_BACKUP/);
    expect(() => loadConfig({ BACKUP_KEEP: '0' })).toThrow(/BACKUP_KEEP/);
  });
});

describe('the nightly backup', () => {
  let db: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(path.join(os.tmpdir(), 'kepubot-nightly-'));
  });
  afterAll(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('alerts once when it fails, and a good backup ends the alert and keeps BACKUP_KEEP files', async () => {
    const c = loadConfig({
      LOG_LEVEL: 'silent',
      KEPUBOT_DATA_DIR: dir,
      BACKUP_KEEP: '2',
      ALERT_WEBHOOK_URL: 'http://127.0.0.1:9/cgi-bin/webhook/send?key=ops',
    });
    const clock = new ManualClock(new Date('2026-12-01T19:00:00Z'));
    const alerts = new AlertService({ ds: db.ds, config: c, deliver: createDeliver({}), log, clock });
    await alerts.refreshRecipients();
    // A database that does not answer: nothing listens on port 9.
    const broken = new NightlyBackup('postgres://kepubot:x@127.0.0.1:9/kepubot', c, alerts, clock, log);
    expect(await broken.run()).toBeNull();
    expect(await broken.run()).toBeNull();
    const open = await db.ds.query(`SELECT incident_key FROM alert_incident WHERE resolved_at IS NULL`);
    expect(open).toEqual([{ incident_key: BACKUP_FAILED }]);
    const queued: Array<{ text: string }> = await db.ds.query(
      `SELECT payload->>'text' AS text FROM outbox_message m JOIN job_run r ON r.id = m.run_id WHERE r.job = 'alert'`,
    );
    expect(queued).toHaveLength(1);
    expect(queued[0].text).toContain('数据库夜间备份失败');

    const good = new NightlyBackup(db.url, c, alerts, clock, log);
    for (const t of ['2026-12-01T19:00:00Z', '2026-12-02T19:00:00Z', '2026-12-03T19:00:00Z']) {
      clock.set(new Date(t));
      expect(await good.run()).not.toBeNull();
    }
    expect(await db.ds.query(`SELECT incident_key FROM alert_incident WHERE resolved_at IS NULL`)).toEqual([]);
    expect((await readdir(path.join(dir, 'backups'))).sort()).toEqual([
      'kepubot-20261202T190000Z.ndjson.gz',
      'kepubot-20261203T190000Z.ndjson.gz',
    ]);
  });
});
