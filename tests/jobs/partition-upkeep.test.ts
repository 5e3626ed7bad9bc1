import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config';
import { PARTITIONS_FAILED, PartitionUpkeep } from '../../src/jobs/partition-upkeep';
import { createLogger } from '../../src/logger';
import { AlertService } from '../../src/services/alert.service';
import { PartitionKeeper } from '../../src/services/partitions.service';
import { CountyPolicyService } from '../../src/services/county-policy.service';
import { SummaryRefresher } from '../../src/services/summaries.service';
import { createTestDatabase, type TestDatabase } from '../support/db';

/** The daily upkeep: partitions ahead, failures alerted once to the operator, logged without the database's message. */
describe('PartitionUpkeep', () => {
  let db: TestDatabase;
  const logged: string[] = [];
  const log = createLogger(
    'debug',
    'kepubot',
    new Writable({
      write(chunk: Buffer, _enc, done) {
        logged.push(chunk.toString('utf8'));
        done();
      },
    }),
  );
  const config = loadConfig({ ALERT_WEBHOOK_URL: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=ops' });
  let upkeep: PartitionUpkeep;

  const partitions = async (): Promise<string[]> =>
    (
      await db.ds.query(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
         WHERE p.relname = 'ku_raw' ORDER BY 1`,
      )
    ).map((r: { name: string }) => r.name);
  const incidents = () =>
    db.ds.query(`SELECT incident_key, resolved_at IS NOT NULL AS resolved FROM alert_incident WHERE incident_key = $1 ORDER BY id`, [
      PARTITIONS_FAILED,
    ]);

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.ds.query(`CREATE TABLE ku_raw (id bigserial, day date NOT NULL) PARTITION BY RANGE (day)`);
    const keeper = new PartitionKeeper(db.ds, new SummaryRefresher(db.ds, new CountyPolicyService(db.ds, 3)), [
      { table: 'ku_raw', column: 'day' },
    ]);
    const alerts = new AlertService({ ds: db.ds, config, deliver: async () => undefined, log });
    upkeep = new PartitionUpkeep(keeper, alerts, config, log);
  });

  afterAll(async () => {
    await db.close();
  });

  it('alerts once when a month cannot be made, runs again on the next pass, and ends the incident when it succeeds', async () => {
    // A leftover table holding the name of December's partition.
    await db.ds.query(`CREATE TABLE ku_raw_y2026m12 (id bigserial, day date NOT NULL)`);
    const morning = new Date('2026-11-20T01:00:00+08:00');
    expect(await upkeep.run(morning)).toBeNull();
    expect(await upkeep.daily(new Date('2026-11-20T01:05:00+08:00'))).toBeNull();
    expect(await incidents()).toEqual([{ incident_key: PARTITIONS_FAILED, resolved: false }]);
    const [alert] = await db.ds.query(
      `SELECT o.recipient, o.payload->>'text' AS text FROM outbox_message o JOIN alert_incident a ON a.run_id = o.run_id
       WHERE a.incident_key = $1`,
      [PARTITIONS_FAILED],
    );
    expect(alert.recipient).toBe('https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=ops');
    expect(alert.text).toContain('数据库分区维护失败（提前创建下几个月的分区）：ku_raw_y2026m12 already exist(s) but not as the month');
    expect(alert.text).toContain('kepubot data partitions');
    expect(await partitions()).toEqual([]);

    await db.ds.query(`DROP TABLE ku_raw_y2026m12`);
    const result = await upkeep.daily(new Date('2026-11-20T01:10:00+08:00'));
    expect(result?.created).toEqual(['ku_raw_y2026m11', 'ku_raw_y2026m12', 'ku_raw_y2027m01', 'ku_raw_y2027m02']);
    expect(await incidents()).toEqual([{ incident_key: PARTITIONS_FAILED, resolved: true }]);
    expect(logged.join('')).toContain('partition upkeep failed');
  });

  it('runs once a day from the housekeeping: later passes of the same day do nothing, the next day runs', async () => {
    await upkeep.run(new Date('2026-11-21T00:10:00+08:00'));
    await db.ds.query(`DROP TABLE ku_raw_y2027m02`);
    expect(await upkeep.daily(new Date('2026-11-21T23:55:00+08:00'))).toBeNull();
    expect(await partitions()).not.toContain('ku_raw_y2027m02');
    // 2026-11-22 in Asia/Shanghai (still the 21st in UTC).
    const next = await upkeep.daily(new Date('2026-11-21T16:30:00Z'));
    expect(next?.created).toEqual(['ku_raw_y2027m02']);
  });

  it('reports a database failure by its SQLSTATE, never quoting the database message', async () => {
    logged.length = 0;
    const impatient = new PartitionUpkeep(
      new PartitionKeeper(db.ds, new SummaryRefresher(db.ds, new CountyPolicyService(db.ds, 3)), [{ table: 'ku_raw', column: 'day' }], {
        lockTimeoutMs: 200,
      }),
      new AlertService({ ds: db.ds, config, deliver: async () => undefined, log }),
      config,
      log,
    );
    // A long transaction holds the table: creating March's partition cannot get its lock.
    const holder = db.ds.createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    try {
      await holder.query(`LOCK TABLE ku_raw IN ACCESS EXCLUSIVE MODE`);
      expect(await impatient.run(new Date('2026-12-02T09:00:00+08:00'))).toBeNull();
    } finally {
      await holder.rollbackTransaction();
      await holder.release();
    }
    const [alert] = await db.ds.query(
      `SELECT o.payload->>'text' AS text FROM outbox_message o JOIN alert_incident a ON a.run_id = o.run_id
       WHERE a.incident_key = $1 AND a.resolved_at IS NULL`,
      [PARTITIONS_FAILED],
    );
    expect(alert.text).toContain('PostgreSQL 错误 55P03（等待表锁超时，可能有长时间运行的查询）');
    const line = logged.find((l) => l.includes('partition upkeep failed'))!;
    expect(JSON.parse(line)).toMatchObject({ step: 'create', err: { code: '55P03', message: 'database error 55P03' } });
    expect(logged.join('')).not.toContain('lock timeout');
  });
});
