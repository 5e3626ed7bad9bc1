/**
 * Part of `npm run bench` (BENCH_ONLY=hostile-uploads), and runnable alone
 * (`node dist/bench/hostile-uploads.js`): hostile roster files posted by an operator to
 * /api/v1/stations/:id/roster/preview of a real kepubot (compose(): Koa, PostgreSQL, mock puppet)
 * running in a child process, while /healthz is polled every 100 ms. For each file: seconds to
 * the answer, its status and size, the server's RSS growth (peak sampled every 10 ms, minus RSS
 * before the upload), its longest event-loop stall, /healthz's slowest answer (which includes a
 * PostgreSQL query), and whether the server is still up.
 * Baselines in the same run: the route receiving the largest file's bytes and answering 400 at
 * once (no parsing), and a normal 100,000-row roster through the same route.
 *
 * Targets (issue 14): the 1.3 MB .xlsx of 30 M shared strings refused in < 20 s with the server
 * growing < 500 MiB and still up; the huge-cell answer < 1 MB.
 *
 * Uses DATABASE_URL (a scratch database is created and dropped on it) or an embedded PostgreSQL
 * in a temporary directory.
 */
import { createScratchDatabase, withBenchServer } from './scratch';
import 'reflect-metadata';
import { fork } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { KepuPuppetMock } from '../src/channels/wechat/kepu-puppet-mock';
import { compose } from '../src/compose';
import { loadConfig } from '../src/config';
import { openDataSource } from '../src/db/data-source';
import { createLogger } from '../src/logger';
import { createServices } from '../src/services';
import { ROSTER_LIMITS } from '../src/services/roster-file';
import { ROSTER_WORKER_LIMITS } from '../src/services/roster-worker';
import {
  declareSize,
  filler,
  hugeCellXlsx,
  manyRowsCsv,
  manySharedStringsXlsx,
  sharedStringsXml,
  sheetXml,
  spacesSheet,
  zipXlsx,
} from './hostile-files';
import { writeRosterXlsx } from './roster-import';

const MiB = 1024 * 1024;
const OPERATOR = { name: 'bench-hostile', password: 'bench-hostile-password' };

interface UploadCase {
  name: string;
  fileName: string;
  make: () => Promise<Buffer>;
  /** Post the bytes without a file name: the route reads the body and answers 400 before parsing. */
  bodyOnly?: boolean;
}

export interface UploadFigures {
  case: string;
  fileMiB: number;
  makeSeconds: number;
  seconds: number;
  status: number;
  answerBytes: number;
  answer: string;
  rssBeforeMiB: number;
  rssGrowthMiB: number;
  /** The server's longest event-loop stall during the upload (perf_hooks), which /healthz would wait for. */
  eventLoopMaxMs: number;
  healthzMaxMs: number;
  healthzPolls: number;
  healthzFailed: number;
  serverUp: boolean;
}

export interface HostileBench {
  limits: { workerHeapMiB: number; parallel: number; seconds: number; uploadMiB: number };
  cases: UploadFigures[];
}

type ServerMessage = { port: number } | { rssBefore: number } | { rssBefore: number; peak: number; loopMaxMs: number };

/** In the child: kepubot on the scratch database, sampling its own RSS between 'mark' and 'report'. */
async function server(url: string): Promise<void> {
  const config = loadConfig({
    DATABASE_URL: url,
    LOG_LEVEL: 'silent',
    PORT: '0',
    HOST: '127.0.0.1',
    WECHATY_NAME: `bench-hostile-${process.pid}`,
  });
  const ds = await openDataSource({ url, poolSize: 4, log: createLogger('silent') });
  const app = await compose(config, {
    dataSource: ds,
    puppet: new KepuPuppetMock(),
    log: createLogger('silent'),
    scheduler: false,
    resilience: false,
  });
  await app.accounts.list()[0].runtime.started;
  let rssBefore = 0;
  let peak = 0;
  let sampler: NodeJS.Timeout | undefined;
  let loop: IntervalHistogram | undefined;
  const gc = (globalThis as { gc?: () => void }).gc;
  process.on('message', (m: string) => {
    if (m === 'mark') {
      gc?.();
      rssBefore = peak = process.memoryUsage.rss();
      sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
      loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
      process.send!({ rssBefore });
    } else if (m === 'report') {
      clearInterval(sampler);
      loop?.disable();
      process.send!({ rssBefore, peak: Math.max(peak, process.memoryUsage.rss()), loopMaxMs: (loop?.max ?? 0) / 1e6 });
    } else if (m === 'stop') {
      void app
        .stop()
        .then(() => ds.destroy())
        .finally(() => process.exit(0));
    }
  });
  process.send!({ port: app.port });
}

/** The child kepubot, and a way to ask it something and wait for its answer. */
function startServer(url: string): Promise<{ port: number; ask: (m: string) => Promise<ServerMessage>; stop: () => Promise<void> }> {
  const child = fork(__filename, ['--server', url], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = (): Promise<ServerMessage> =>
    new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the kepubot under test exited (${code})`));
      child.once('exit', onExit);
      child.once('message', (m) => {
        child.off('exit', onExit);
        resolve(m as ServerMessage);
      });
    });
  return next().then((ready) => ({
    port: (ready as { port: number }).port,
    ask: (m: string) => {
      const answer = next();
      child.send(m);
      return answer;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.send('stop');
      }),
  }));
}

/** Polls /healthz every 100 ms until stopped: the slowest answer and the failures. */
function pollHealth(base: string): { stop: () => Promise<{ maxMs: number; polls: number; failed: number }> } {
  let running = true;
  let maxMs = 0;
  let polls = 0;
  let failed = 0;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      try {
        const r = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(60_000) });
        await r.arrayBuffer();
        if (r.status !== 200) failed++;
      } catch {
        failed++;
      }
      polls++;
      maxMs = Math.max(maxMs, performance.now() - t0);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { maxMs: Math.round(maxMs), polls, failed };
    },
  };
}

/** The cases: baselines first, then issue 14's files. */
function cases(dir: string): UploadCase[] {
  const tidyRoster = async (): Promise<Buffer> => {
    const file = path.join(dir, 'roster-100k.xlsx');
    await writeRosterXlsx(file, 100_000);
    return readFile(file);
  };
  return [
    {
      name: 'baseline: receive a 10 MB body only (400 before parsing)',
      fileName: '',
      make: async () => manyRowsCsv(5_000_000 - 2),
      bodyOnly: true,
    },
    { name: 'baseline: normal 100,000-row roster (.xlsx)', fileName: 'roster-100k.xlsx', make: tidyRoster },
    { name: '.xlsx, 30 M shared strings', fileName: 'strings-30m.xlsx', make: () => manySharedStringsXlsx(30_000_000) },
    {
      name: '.xlsx, 30 M shared strings, directory declares 60 MiB',
      fileName: 'strings-30m-lying.xlsx',
      make: async () => declareSize(await manySharedStringsXlsx(30_000_000), 'xl/sharedStrings.xml', 60 * MiB),
    },
    { name: '.xlsx, 150 M shared strings', fileName: 'strings-150m.xlsx', make: () => manySharedStringsXlsx(150_000_000) },
    {
      name: 'huge cell: 1,000 bad rows × one 200,000-char phone',
      fileName: 'huge-cell-200k.xlsx',
      make: () => hugeCellXlsx(1_000, 200_000),
    },
    { name: 'huge cell: 1,000 bad rows × one 30,000-char phone', fileName: 'huge-cell-30k.xlsx', make: () => hugeCellXlsx(1_000, 30_000) },
    { name: 'CSV, 5 M one-character rows (10 MB)', fileName: 'rows-5m.csv', make: async () => manyRowsCsv(5_000_000 - 2) },
    {
      name: 'zip bomb: 1 GiB of zeros beside a roster',
      fileName: 'bomb.xlsx',
      make: () => zipXlsx(sheetXml([[0], [1]]), sharedStringsXml(['姓名', '张三']), { 'xl/media/image1.bin': filler(1024 * MiB) }),
    },
    {
      name: 'zip bomb: 1 GiB worksheet (spaces), directory declares 1 MiB',
      fileName: 'bomb-lying.xlsx',
      make: async () => declareSize(await zipXlsx(spacesSheet(1024 * MiB), sharedStringsXml(['姓名'])), 'xl/worksheets/sheet1.xml', MiB),
    },
  ];
}

/** Generates the files, starts kepubot on a scratch database on `adminUrl`, and posts each file. */
export async function benchHostileUploads(adminUrl: string): Promise<HostileBench> {
  const dir = await mkdtemp(path.join(tmpdir(), 'kepubot-hostile-bench-'));
  const { url, name: dbName, admin } = await createScratchDatabase(adminUrl, 'kepubot_hostile_bench');
  const figures: UploadFigures[] = [];
  console.log('\nkepubot benchmark — hostile roster uploads (POST /api/v1/stations/:id/roster/preview, /healthz polled)');
  try {
    const ds = await openDataSource({ url: url.toString(), poolSize: 2, log: createLogger('warn') });
    let stationId: number;
    try {
      const services = createServices(ds, loadConfig({ DATABASE_URL: url.toString() }));
      stationId = (await services.stations.add({ name: '基准测试e站', county: '基准旗' })).id;
      await services.consoleAuth.addOperator(OPERATOR.name, OPERATOR.password);
    } finally {
      await ds.destroy();
    }
    const srv = await startServer(url.toString());
    const base = `http://127.0.0.1:${srv.port}`;
    try {
      const signIn = await fetch(`${base}/api/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(OPERATOR),
      });
      const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0];
      const { csrfToken } = (await signIn.json()) as { csrfToken: string };
      for (const c of cases(dir)) {
        const t0 = performance.now();
        const bytes = await c.make();
        const makeSeconds = (performance.now() - t0) / 1000;
        const { rssBefore } = (await srv.ask('mark')) as { rssBefore: number };
        const health = pollHealth(base);
        const t1 = performance.now();
        const res = await fetch(`${base}/api/v1/stations/${stationId}/roster/preview`, {
          method: 'POST',
          headers: {
            cookie,
            'x-csrf-token': csrfToken,
            'content-type': 'application/octet-stream',
            ...(c.bodyOnly ? {} : { 'x-file-name': encodeURIComponent(c.fileName) }),
          },
          body: new Uint8Array(bytes),
          signal: AbortSignal.timeout(600_000),
        });
        const answer = Buffer.from(await res.arrayBuffer());
        const seconds = (performance.now() - t1) / 1000;
        const h = await health.stop();
        const { peak, loopMaxMs } = (await srv.ask('report')) as { rssBefore: number; peak: number; loopMaxMs: number };
        const up = await fetch(`${base}/healthz`).then(
          (r) => r.status === 200,
          () => false,
        );
        let summary = answer.toString('utf8', 0, Math.min(answer.length, 400));
        try {
          const json = JSON.parse(answer.toString('utf8')) as { error?: string; errorCount?: number; ok?: boolean; rows?: number };
          summary = json.error ?? `ok=${json.ok} rows=${json.rows} errorCount=${json.errorCount}`;
        } catch {
          // Not JSON: the start of the answer.
        }
        figures.push({
          case: c.name,
          fileMiB: +(bytes.length / MiB).toFixed(2),
          makeSeconds: +makeSeconds.toFixed(1),
          seconds: +seconds.toFixed(2),
          status: res.status,
          answerBytes: answer.length,
          answer: summary.length > 90 ? `${summary.slice(0, 90)}…` : summary,
          rssBeforeMiB: Math.round(rssBefore / MiB),
          rssGrowthMiB: Math.round((peak - rssBefore) / MiB),
          eventLoopMaxMs: Math.round(loopMaxMs),
          healthzMaxMs: h.maxMs,
          healthzPolls: h.polls,
          healthzFailed: h.failed,
          serverUp: up,
        });
        printCase(figures.at(-1)!);
      }
    } finally {
      await srv.stop();
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  }
  return {
    limits: {
      workerHeapMiB: ROSTER_WORKER_LIMITS.heapMiB,
      parallel: ROSTER_WORKER_LIMITS.parallel,
      seconds: ROSTER_WORKER_LIMITS.seconds,
      uploadMiB: ROSTER_LIMITS.bytes / MiB,
    },
    cases: figures,
  };
}

function printCase(f: UploadFigures): void {
  console.log(`  ${f.case}`);
  console.log(
    `    ${f.fileMiB} MiB (made in ${f.makeSeconds} s) → ${f.status} in ${f.seconds} s, answer ${f.answerBytes} bytes: ${f.answer}`,
  );
  console.log(
    `    server RSS ${f.rssBeforeMiB} MiB before, +${f.rssGrowthMiB} MiB at peak; event loop stalled ${f.eventLoopMaxMs} ms at most; /healthz slowest ${f.healthzMaxMs} ms over ${f.healthzPolls} polls, ${f.healthzFailed} failed; up after: ${f.serverUp}`,
  );
}

/** Prints the figures the way `npm run bench` prints its other parts (the cases are printed as they finish). */
export function printHostileBench(r: HostileBench): void {
  const strings = r.cases.find((c) => c.case === '.xlsx, 30 M shared strings');
  const cell = r.cases.find((c) => c.case.startsWith('huge cell: 1,000 bad rows × one 30,000'));
  console.log(
    `  limits: upload ${r.limits.uploadMiB} MiB, one worker thread per file with a ${r.limits.workerHeapMiB} MiB heap and ${r.limits.seconds} s, ${r.limits.parallel} at a time`,
  );
  if (strings) {
    console.log(
      `  target: 30 M shared strings refused in < 20 s (${strings.seconds} s), server growing < 500 MiB (+${strings.rssGrowthMiB} MiB), still up (${strings.serverUp})`,
    );
  }
  if (cell) console.log(`  target: huge-cell answer < 1 MB (${cell.answerBytes} bytes)`);
  console.log(JSON.stringify(r));
}

async function standalone(): Promise<void> {
  await withBenchServer(async (adminUrl) => printHostileBench(await benchHostileUploads(adminUrl)));
}

if (require.main === module) {
  const [flag, url] = process.argv.slice(2);
  (flag === '--server' ? server(url) : standalone()).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
