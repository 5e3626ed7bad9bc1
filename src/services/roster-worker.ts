import { existsSync } from 'node:fs';
import path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { checkRoster, type RosterCheck } from '../domain/roster';
import { UserError } from '../errors';
import { checkRosterSize, readRosterBytes, type RosterFile } from './roster-file';

/**
 * How reading a roster file may load the server, beyond ROSTER_LIMITS on the file itself: each
 * file is read and checked in a worker thread (the event loop keeps answering /healthz), whose
 * heap and time are capped, and only a few at a time. README「导入名册」 states the memory bound.
 */
export const ROSTER_WORKER_LIMITS = {
  /** The worker's V8 heap (old generation); past it the worker is stopped and the file refused. */
  heapMiB: 256,
  /** The worker's young generation (V8's default for a heap of this size is about the same). */
  youngMiB: 16,
  /** Seconds a file may take to read and check (a 200,000-row .xlsx takes 6 s on an idle core, 20 s on a busy one). */
  seconds: 120,
  /** Files read at the same time by one process; one more is refused until one finishes. */
  parallel: 2,
} as const;

type WorkerAnswer = { ok: true; check: RosterCheck } | { ok: false; refused: string };

interface WorkerJob {
  rosterFile: { bytes: Uint8Array; fileName: string };
}

/**
 * The compiled script of this module: under ts-jest the source is TypeScript, which a worker
 * thread cannot load, so the build's copy is used (npm test builds first).
 */
function workerScript(): string {
  if (__filename.endsWith('.js')) return __filename;
  const built = path.resolve(__dirname, '../../dist/src/services/roster-worker.js');
  if (!existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\` (npm test does) before tests that read rosters`);
  return built;
}

let running = 0;

/** Options for tests: a smaller heap or time limit than ROSTER_WORKER_LIMITS. */
export interface RosterWorkerOptions {
  heapMiB?: number;
  timeLimitMs?: number;
}

/**
 * Reads a roster file and checks its rows (domain/roster.ts) in a worker thread: the valid
 * entries and every problem, or a UserError when the file is refused (past ROSTER_LIMITS, past
 * the worker's heap or time, or too many files being read at once). The one reader behind
 * `kepubot import roster` and the console's upload.
 */
export async function checkRosterFile(file: RosterFile, options: RosterWorkerOptions = {}): Promise<RosterCheck> {
  checkRosterSize(file.bytes.length);
  if (running >= ROSTER_WORKER_LIMITS.parallel) {
    throw new UserError(`服务器正在读取另外 ${running} 份名册，请稍等一两分钟后再导入`);
  }
  const heapMiB = options.heapMiB ?? ROSTER_WORKER_LIMITS.heapMiB;
  const timeLimitMs = options.timeLimitMs ?? ROSTER_WORKER_LIMITS.seconds * 1000;
  running++;
  try {
    const job: WorkerJob = { rosterFile: { bytes: file.bytes, fileName: file.fileName } };
    const worker = new Worker(workerScript(), {
      workerData: job,
      resourceLimits: { maxOldGenerationSizeMb: heapMiB, maxYoungGenerationSizeMb: ROSTER_WORKER_LIMITS.youngMiB, stackSizeMb: 4 },
    });
    const answer = await new Promise<WorkerAnswer>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new UserError(
            `读取名册超过 ${Math.ceil(timeLimitMs / 1000)} 秒仍未完成，已停止：请只保留信息员名单（姓名、手机号、备注）后再导入`,
          ),
        );
        void worker.terminate();
      }, timeLimitMs);
      worker.once('message', (m: WorkerAnswer) => resolve(m));
      worker.once('error', (err: Error & { code?: string }) =>
        reject(
          err.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new UserError(`读取名册需要的内存超过 ${heapMiB} MB，已停止：文件过于复杂，请只保留信息员名单（姓名、手机号、备注）后再导入`)
            : // A fault of ours, not of the file: no message, which may quote the file.
              new Error(`roster worker failed (${err.code ?? err.name})`),
        ),
      );
      worker.once('exit', () => {
        clearTimeout(timer);
        reject(new UserError('读取名册时被中断，请重新导入'));
      });
    }).finally(() => void worker.terminate());
    if (!answer.ok) throw new UserError(answer.refused);
    return answer.check;
  } finally {
    running--;
  }
}

async function runJob(job: WorkerJob): Promise<WorkerAnswer> {
  const { bytes, fileName } = job.rosterFile;
  try {
    const rows = await readRosterBytes({ bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), fileName });
    return { ok: true, check: checkRoster(rows) };
  } catch (err) {
    if (err instanceof UserError) return { ok: false, refused: err.message };
    throw err;
  }
}

if (!isMainThread && (workerData as Partial<WorkerJob> | null)?.rosterFile) {
  void runJob(workerData as WorkerJob).then((answer) => parentPort!.postMessage(answer));
}
