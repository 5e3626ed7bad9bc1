import {
  PARTITIONED_TABLES,
  createPartitionSql,
  monthBounds,
  monthOfDay,
  monthOfPartition,
  monthsFrom,
  partitionName,
} from '../../src/db/partitioning';

describe('monthly partitions', () => {
  it('names a month partition and reads the month back', () => {
    expect(partitionName('share_event', '2026-12')).toBe('share_event_y2026m12');
    expect(monthOfPartition('share_event', 'share_event_y2026m12')).toBe('2026-12');
    expect(monthOfPartition('effective_share', 'share_event_y2026m12')).toBeNull();
    expect(monthOfPartition('share_event', 'share_event_default')).toBeNull();
  });

  it('bounds a month from its first day to the next month first day, across years and February', () => {
    expect(monthBounds('2026-12')).toEqual({ from: '2026-12-01', to: '2027-01-01' });
    expect(monthBounds('2028-02')).toEqual({ from: '2028-02-01', to: '2028-03-01' });
    expect(monthOfDay('2026-12-31')).toBe('2026-12');
    expect(monthsFrom('2026-11', 3)).toEqual(['2026-11', '2026-12', '2027-01']);
  });

  it('refuses a month that is not YYYY-MM', () => {
    expect(() => partitionName('share_event', '2026-13')).toThrow(RangeError);
    expect(() => monthBounds("2026-01'; DROP TABLE x; --")).toThrow(RangeError);
  });

  it('partitions share_event and effective_share by day', () => {
    expect(PARTITIONED_TABLES).toEqual([
      { table: 'share_event', column: 'day' },
      { table: 'effective_share', column: 'day' },
    ]);
    expect(createPartitionSql(PARTITIONED_TABLES[0], '2027-01')).toBe(
      `CREATE TABLE IF NOT EXISTS "share_event_y2027m01" PARTITION OF "share_event" FOR VALUES FROM ('2027-01-01') TO ('2027-02-01')`,
    );
  });
});
