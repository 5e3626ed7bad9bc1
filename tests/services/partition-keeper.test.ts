import type { DataSource } from 'typeorm';
import { openDataSource } from '../../src/db/data-source';
import { createLogger } from '../../src/logger';
import { PARTITION_KEEPER_LOCK, PartitionKeeper, retentionKeepFrom } from '../../src/services/partitions.service';
import { CountyPolicyService } from '../../src/services/county-policy.service';
import { SummaryRefresher } from '../../src/services/summaries.service';
import { createTestDatabase, type TestDatabase } from '../support/db';

/**
 * The keeper on partitioned tables this file makes itself (kp_a, kp_b by `day`), so creating,
 * listing and concurrency are tested apart from the raw share tables.
 */
describe('PartitionKeeper: monthly partitions created ahead', () => {
  let db: TestDatabase;
  const tables = [
    { table: 'kp_a', column: 'day' },
    { table: 'kp_b', column: 'day' },
  ];
  const keeperOn = (ds: DataSource) => new PartitionKeeper(ds, new SummaryRefresher(ds, new CountyPolicyService(ds, 3)), tables);

  /** Partition name → its bound as PostgreSQL prints it, straight from the catalog. */
  async function catalog(): Promise<Record<string, string>> {
    const rows: Array<{ name: string; bound: string }> = await db.ds.query(
      `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
       WHERE p.relname IN ('kp_a', 'kp_b') ORDER BY 1`,
    );
    return Object.fromEntries(rows.map((r) => [r.name, r.bound]));
  }

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  beforeEach(async () => {
    await db.ds.query(`DROP TABLE IF EXISTS kp_a, kp_b`);
    await db.ds.query(`CREATE TABLE kp_a (id bigserial, day date NOT NULL, note text) PARTITION BY RANGE (day)`);
    await db.ds.query(`CREATE TABLE kp_b (id bigserial, day date NOT NULL) PARTITION BY RANGE (day)`);
  });

  afterAll(async () => {
    await db.close();
  });

  it('creates the month of today and the 3 after it, for every table, and nothing more on a second run', async () => {
    const keeper = keeperOn(db.ds);
    const created = await keeper.ensureAhead('2026-11-15');
    expect(created.sort()).toEqual([
      'kp_a_y2026m11',
      'kp_a_y2026m12',
      'kp_a_y2027m01',
      'kp_a_y2027m02',
      'kp_b_y2026m11',
      'kp_b_y2026m12',
      'kp_b_y2027m01',
      'kp_b_y2027m02',
    ]);
    expect(await catalog()).toEqual({
      kp_a_y2026m11: "FOR VALUES FROM ('2026-11-01') TO ('2026-12-01')",
      kp_a_y2026m12: "FOR VALUES FROM ('2026-12-01') TO ('2027-01-01')",
      kp_a_y2027m01: "FOR VALUES FROM ('2027-01-01') TO ('2027-02-01')",
      kp_a_y2027m02: "FOR VALUES FROM ('2027-02-01') TO ('2027-03-01')",
      kp_b_y2026m11: "FOR VALUES FROM ('2026-11-01') TO ('2026-12-01')",
      kp_b_y2026m12: "FOR VALUES FROM ('2026-12-01') TO ('2027-01-01')",
      kp_b_y2027m01: "FOR VALUES FROM ('2027-01-01') TO ('2027-02-01')",
      kp_b_y2027m02: "FOR VALUES FROM ('2027-02-01') TO ('2027-03-01')",
    });
    expect(await keeper.ensureAhead('2026-11-30')).toEqual([]);
    // A day of the last month of the year: the next months are in the next year.
    expect((await keeper.ensureAhead('2026-12-31', 2)).sort()).toEqual([]);
    expect((await keeper.ensureAhead('2027-02-01', 1)).sort()).toEqual(['kp_a_y2027m03', 'kp_b_y2027m03']);
    // A row of every created month goes in; a day past them has no partition.
    await db.ds.query(`INSERT INTO kp_a (day) VALUES ('2026-11-01'), ('2027-03-31')`);
    await expect(db.ds.query(`INSERT INTO kp_a (day) VALUES ('2027-04-01')`)).rejects.toMatchObject({ driverError: { code: '23514' } });
  });

  it('fills the months missed while the server was stopped, between the newest partition and today', async () => {
    const keeper = keeperOn(db.ds);
    await keeper.ensureMonths(['2026-07']);
    const created = await keeper.ensureAhead('2026-10-03', 1);
    expect(created.sort()).toEqual([
      'kp_a_y2026m08',
      'kp_a_y2026m09',
      'kp_a_y2026m10',
      'kp_a_y2026m11',
      'kp_b_y2026m08',
      'kp_b_y2026m09',
      'kp_b_y2026m10',
      'kp_b_y2026m11',
    ]);
  });

  it('lists its partitions oldest first with row estimates once analysed, and leaves partitions it did not make alone', async () => {
    const keeper = keeperOn(db.ds);
    await keeper.ensureMonths(['2026-02', '2026-01']);
    // Made by hand: a two-month partition, and one named like a month but bounded otherwise.
    await db.ds.query(`CREATE TABLE kp_a_old PARTITION OF kp_a FOR VALUES FROM ('2025-01-01') TO ('2025-03-01')`);
    await db.ds.query(`CREATE TABLE kp_b_y2025m12 PARTITION OF kp_b FOR VALUES FROM ('2025-12-01') TO ('2025-12-15')`);
    await db.ds.query(`INSERT INTO kp_a (day, note) SELECT '2026-01-05', repeat('x', 100) FROM generate_series(1, 3)`);
    const before = await keeper.list();
    expect(before.map((p) => [p.partition, p.month, p.from, p.to, p.rowEstimate])).toEqual([
      ['kp_a_y2026m01', '2026-01', '2026-01-01', '2026-02-01', null],
      ['kp_b_y2026m01', '2026-01', '2026-01-01', '2026-02-01', null],
      ['kp_a_y2026m02', '2026-02', '2026-02-01', '2026-03-01', null],
      ['kp_b_y2026m02', '2026-02', '2026-02-01', '2026-03-01', null],
    ]);
    await db.ds.query(`ANALYZE kp_a`);
    const after = await keeper.list();
    expect(after.find((p) => p.partition === 'kp_a_y2026m01')!.rowEstimate).toBe(3);
    expect(after.find((p) => p.partition === 'kp_a_y2026m02')!.rowEstimate).toBe(0);
    expect(after.find((p) => p.partition === 'kp_a_y2026m01')!.bytes).toBeGreaterThan(0);
  });

  it('lets two processes run it at once: both succeed and each month exists once', async () => {
    const log = createLogger('silent');
    const other = await openDataSource({ url: db.url, poolSize: 2, log });
    try {
      const [one, two] = [keeperOn(db.ds), keeperOn(other)];
      const days = ['2027-05-10', '2027-09-10', '2028-01-10', '2028-05-10'];
      for (const day of days) {
        const results = await Promise.allSettled([one.ensureAhead(day), two.ensureAhead(day), one.ensureAhead(day)]);
        expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
        // Each partition was created by exactly one of them.
        const created = results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
        expect(new Set(created).size).toBe(created.length);
      }
      const months = Object.keys(await catalog())
        .filter((n) => n.startsWith('kp_a_'))
        .map((n) => n.slice(5));
      expect(months).toEqual([
        'y2027m05',
        'y2027m06',
        'y2027m07',
        'y2027m08',
        'y2027m09',
        'y2027m10',
        'y2027m11',
        'y2027m12',
        'y2028m01',
        'y2028m02',
        'y2028m03',
        'y2028m04',
        'y2028m05',
        'y2028m06',
        'y2028m07',
        'y2028m08',
      ]);
    } finally {
      await other.destroy();
    }
  });

  it('waits while another process holds the keeper lock, then finds the work done', async () => {
    const holder = db.ds.createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    try {
      await holder.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_KEEPER_LOCK]);
      await holder.query(`CREATE TABLE kp_a_y2030m01 PARTITION OF kp_a FOR VALUES FROM ('2030-01-01') TO ('2030-02-01')`);
      const waiting = keeperOn(db.ds).ensureAhead('2030-01-20', 0);
      // The keeper's session shows up waiting for the advisory lock.
      let waiters = 0;
      for (let i = 0; i < 100 && waiters === 0; i++) {
        const [{ n }] = await db.ds.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`);
        waiters = n;
        if (waiters === 0) await new Promise((r) => setImmediate(r));
      }
      expect(waiters).toBe(1);
      await holder.commitTransaction();
      // kp_a's month exists now (the holder made it): the keeper creates kp_b's only.
      expect(await waiting).toEqual(['kp_b_y2030m01']);
    } finally {
      if (holder.isTransactionActive) await holder.rollbackTransaction();
      await holder.release();
    }
  });

  it('leaves a listed table that is not partitioned alone', async () => {
    await db.ds.query(`DROP TABLE IF EXISTS kp_plain; CREATE TABLE kp_plain (id bigserial, day date NOT NULL)`);
    const keeper = new PartitionKeeper(db.ds, new SummaryRefresher(db.ds, new CountyPolicyService(db.ds, 3)), [
      ...tables,
      { table: 'kp_plain', column: 'day' },
    ]);
    expect((await keeper.ensureAhead('2026-11-15', 0)).sort()).toEqual(['kp_a_y2026m11', 'kp_b_y2026m11']);
  });

  it('refuses a month that is not YYYY-MM and a number of months ahead out of range, creating nothing', async () => {
    const keeper = keeperOn(db.ds);
    await expect(keeper.ensureMonths(['2026-13'])).rejects.toThrow(RangeError);
    await expect(keeper.ensureAhead('2026-11-15', 25)).rejects.toThrow(RangeError);
    expect(await catalog()).toEqual({});
  });

  it('keeps the month of today and the given number of months before it', () => {
    expect(retentionKeepFrom('2026-12-05', 36)).toBe('2023-12');
    expect(retentionKeepFrom('2026-01-31', 12)).toBe('2025-01');
    expect(retentionKeepFrom('2024-03-01', 1)).toBe('2024-02');
    expect(retentionKeepFrom('2024-02-29', 24)).toBe('2022-02');
    expect(() => retentionKeepFrom('2024-02-29', 0)).toThrow(RangeError);
  });
});
