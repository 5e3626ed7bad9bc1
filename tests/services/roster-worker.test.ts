import { manyRowsCsv, manySharedStringsXlsx } from '../../bench/hostile-files';
import { checkRosterFile } from '../../src/services/roster-worker';

/**
 * Reading a roster file in a worker thread (needs dist/: `npm run build`, which npm test runs):
 * hostile files are refused within a heap far smaller than they would take to read whole, a file
 * past the worker's heap or time is refused (not fatal), and only two files are read at a time.
 * Seconds and peak RSS are measured by `npm run bench` (BENCH_ONLY=hostile-uploads), not here.
 */
describe('roster files read in a worker thread', () => {
  const good = { bytes: Buffer.from('姓名,手机号\n张三,13812345678\n'), fileName: '名册.csv' };
  const goodCheck = { entries: [{ line: 2, name: '张三', phone: '13812345678', note: null }], problems: [] };
  const tooManyRows = '名册超过 200,000 行（空行也计算在内），请分成几个文件导入（例如每个e站一个文件）';

  it('refuses a 10 MB CSV of 5 M rows by its row count inside a 128 MB heap (reading it whole took 3.2 GB)', async () => {
    const csv = manyRowsCsv(5_000_000 - 2);
    expect(csv.length).toBe(10_000_003);
    await expect(checkRosterFile({ bytes: csv, fileName: 'rows.csv' }, { heapMiB: 128 })).rejects.toThrow(tooManyRows);
  });

  it('refuses an .xlsx of too many shared strings by their count inside a 128 MB heap', async () => {
    await expect(checkRosterFile({ bytes: await manySharedStringsXlsx(1_000_001), fileName: 's.xlsx' }, { heapMiB: 128 })).rejects.toThrow(
      '名册文件中的不同文字（共享字符串）超过 1,000,000 个，不像是名册：请只保留信息员名单（姓名、手机号、备注）后另存为 .xlsx 或 .csv 再导入',
    );
  });

  it('refuses a file that needs more than the worker’s heap or time, and reads the next file as usual', async () => {
    // 199,000 valid rows: more than a 16 MB heap holds.
    const rows = Buffer.from(
      `姓名\n${Array.from({ length: 199_000 }, (_, i) => `某${String.fromCharCode(0x4e00 + (i % 20_000))}`).join('\n')}\n`,
    );
    await expect(checkRosterFile({ bytes: rows, fileName: 'big.csv' }, { heapMiB: 16 })).rejects.toThrow(
      '读取名册需要的内存超过 16 MB，已停止：文件过于复杂，请只保留信息员名单（姓名、手机号、备注）后再导入',
    );
    // No worker starts and reads a file within a millisecond.
    await expect(checkRosterFile(good, { timeLimitMs: 1 })).rejects.toThrow(
      '读取名册超过 1 秒仍未完成，已停止：请只保留信息员名单（姓名、手机号、备注）后再导入',
    );
    await expect(checkRosterFile(good)).resolves.toEqual(goodCheck);
  });

  it('reads two files at a time and refuses a third until one is done', async () => {
    const first = checkRosterFile(good);
    const second = checkRosterFile(good);
    await expect(checkRosterFile(good)).rejects.toThrow('服务器正在读取另外 2 份名册，请稍等一两分钟后再导入');
    await expect(Promise.all([first, second])).resolves.toEqual([goodCheck, goodCheck]);
    await expect(checkRosterFile(good)).resolves.toEqual(goodCheck);
  });

  it('refuses a file over 10 MB without reading it', async () => {
    await expect(checkRosterFile({ bytes: Buffer.alloc(10 * 1024 * 1024 + 1, 0x41), fileName: 'a.csv' })).rejects.toThrow(
      '名册文件超过 10 MB，请只保留信息员名单（姓名、手机号、备注）后再导入',
    );
  });
});
