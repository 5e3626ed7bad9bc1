/**
 * Part of `npm run bench`, and runnable alone (`node dist/bench/roster-import.js`): imports a
 * generated 100,000-row .xlsx roster through the operator's own command (`kepubot import roster`,
 * in a child process so its peak RSS is the import's alone) and reports seconds and peak RSS.
 * Targets: < 30 s, < 500 MiB.
 *
 * Uses DATABASE_URL (a scratch database is created and dropped on it) or an embedded PostgreSQL
 * in a temporary directory. Option: BENCH_ROSTER_ROWS (default 100000).
 */
import { createScratchDatabase, withBenchServer } from './scratch';
import 'reflect-metadata';
import ExcelJS from 'exceljs';
import { fork } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { runCli } from '../src/cli';
import { openDataSource } from '../src/db/data-source';
import { createLogger } from '../src/logger';
import { createServices } from '../src/services';
import { loadConfig } from '../src/config';

const SURNAMES =
  '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤';
const GIVEN = '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉宇浩凯健俊帆帅旭宁博文斌晨阳雪梅琳丹颖婷倩慧蓉宏志海峰鑫';

/** The i-th informant of a generated roster: a unique Chinese name and mobile number. */
export function rosterRow(i: number): { name: string; phone: string } {
  const s = SURNAMES[i % SURNAMES.length];
  const rest = Math.floor(i / SURNAMES.length);
  const a = GIVEN[rest % GIVEN.length];
  const b = GIVEN[Math.floor(rest / GIVEN.length) % GIVEN.length];
  const c = rest >= GIVEN.length * GIVEN.length ? GIVEN[Math.floor(rest / (GIVEN.length * GIVEN.length)) % GIVEN.length] : '';
  return { name: `${s}${a}${b}${c}`, phone: `13${String(i).padStart(9, '0')}` };
}

/**
 * Writes a roster .xlsx of `rows` informants with ExcelJS's streaming writer (header 姓名/手机号/备注;
 * phones alternately typed as numbers and as text, as county staff's files have them). `bad`
 * maps a 0-based row index to the cells to write instead.
 */
export async function writeRosterXlsx(file: string, rows: number, bad: Map<number, Array<string | number>> = new Map()): Promise<void> {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file, useSharedStrings: true, useStyles: false });
  const ws = wb.addWorksheet('信息员名册');
  ws.addRow(['姓名', '手机号', '备注']).commit();
  for (let i = 0; i < rows; i++) {
    const r = rosterRow(i);
    ws.addRow(bad.get(i) ?? [r.name, i % 2 === 0 ? Number(r.phone) : r.phone, i % 10 === 0 ? '村医' : '']).commit();
  }
  ws.commit();
  await wb.commit();
}

export interface RosterBench {
  rows: number;
  fileMiB: number;
  seconds: number;
  peakRssMiB: number;
  rowsPerSecond: number;
  stored: number;
}

interface ChildReport {
  code: number;
  seconds: number;
  maxRssKiB: number;
  out: string[];
  err: string[];
}

/** In the child: the operator's command, timed, with the process's own peak RSS. */
async function child(file: string, url: string, station: string): Promise<void> {
  const out: string[] = [];
  const err: string[] = [];
  const t0 = process.hrtime.bigint();
  const code = await runCli(
    ['import', 'roster', file, '--station', station],
    { DATABASE_URL: url, LOG_LEVEL: 'warn' },
    {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
    },
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const report: ChildReport = { code, seconds, maxRssKiB: process.resourceUsage().maxRSS, out, err };
  process.send!(report, () => process.exit(0));
}

/** Generates the roster, imports it into a scratch database on `adminUrl`, and measures. */
export async function benchRosterImport(adminUrl: string, rows = Number(process.env.BENCH_ROSTER_ROWS ?? 100_000)): Promise<RosterBench> {
  const dir = await mkdtemp(path.join(tmpdir(), 'kepubot-roster-bench-'));
  const { url, name: dbName, admin } = await createScratchDatabase(adminUrl, 'kepubot_roster_bench');
  try {
    const file = path.join(dir, 'roster-100k.xlsx');
    await writeRosterXlsx(file, rows);
    const station = '基准测试e站';
    const ds = await openDataSource({ url: url.toString(), poolSize: 2, log: createLogger('warn') });
    try {
      await createServices(ds, loadConfig({ DATABASE_URL: url.toString() })).stations.add({ name: station, county: '基准旗' });
    } finally {
      await ds.destroy();
    }
    const report = await new Promise<ChildReport>((resolve, reject) => {
      const p = fork(__filename, ['--child', file, url.toString(), station], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      p.once('message', (m) => resolve(m as ChildReport));
      p.once('error', reject);
      p.once('exit', (code) => code !== 0 && reject(new Error(`roster import child exited ${code}`)));
    });
    if (report.code !== 0) throw new Error(`import failed: ${report.err.slice(0, 5).join(' / ')}`);
    const check = new Client({ connectionString: url.toString() });
    await check.connect();
    const [{ stored }] = (await check.query(`SELECT count(*)::int AS stored FROM informant`)).rows;
    await check.end();
    return {
      rows,
      fileMiB: +((await stat(file)).size / 2 ** 20).toFixed(1),
      seconds: +report.seconds.toFixed(2),
      peakRssMiB: Math.round(report.maxRssKiB / 1024),
      rowsPerSecond: Math.round(rows / report.seconds),
      stored,
    };
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Prints the figures the way `npm run bench` prints its other parts. */
export function printRosterBench(r: RosterBench): void {
  console.log('\nkepubot benchmark — roster import (kepubot import roster, .xlsx, one transaction)');
  console.log(`  ${r.rows} rows (${r.fileMiB} MiB .xlsx), ${r.stored} informants stored`);
  console.log(`  time:           ${r.seconds} s (${r.rowsPerSecond} rows/s; target < 30 s)`);
  console.log(`  memory:         peak RSS ${r.peakRssMiB} MiB of the import process (target < 500 MiB)`);
  console.log(JSON.stringify(r));
}

async function standalone(): Promise<void> {
  await withBenchServer(async (adminUrl) => printRosterBench(await benchRosterImport(adminUrl)));
}

if (require.main === module) {
  const [flag, file, url, station] = process.argv.slice(2);
  (flag === '--child' ? child(file, url, station) : standalone()).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
