import type { Server } from 'node:http';
import type { Logger } from '../logger';
import type { Started } from './parts';

/** How long a step may take, as the time after stop() began (limit: SHUTDOWN_TIMEOUT_MS). */
type Within = (limitMs: number) => number;
/** Messages in hand (a command waiting on a lock) get at most a third of the time: the shares and the spool need the rest. */
const INTAKE: Within = (limit) => Math.floor(limit / 3);
const WORK: Within = (limit) => limit - 500;
const HTTP: Within = (limit) => limit - 300;
const ALL: Within = (limit) => limit;
const LAST: Within = (limit) => limit + 2000;

/** One step of stopping kepubot: a part that has not started is skipped. */
export interface StopStep {
  name: string;
  within: Within;
  stop(parts: Started, end: { deadline: number; ownsDataSource: boolean }): unknown;
}

/**
 * The order kepubot stops in. Each step is waited for until its time is up (then the next one
 * runs anyway); a step that fails is logged and the next one still runs.
 */
export const SHUTDOWN: readonly StopStep[] = [
  // 1. Intake: no new messages; the reply being said finishes, waiting replies are dropped.
  { name: 'demo traffic', within: INTAKE, stop: (p) => p.demo?.stop() },
  { name: 'wechat alerts', within: INTAKE, stop: (p) => [...(p.wechatAlerts?.values() ?? [])].forEach((w) => w.stop()) },
  { name: 'speakers', within: INTAKE, stop: (p) => p.speech?.stop() },
  { name: 'coverage', within: INTAKE, stop: (p) => p.coverage?.stop() },
  // Every account: its waiting replies dropped, the one being said finished, its runtime stopped, its lease let go.
  { name: 'wechat accounts', within: INTAKE, stop: (p) => p.accounts?.stop() },
  { name: 'messages in hand', within: INTAKE, stop: (p) => p.channel?.idle() },
  // 2. Shares: batches to PostgreSQL (or the spool), then the spool while time is left.
  { name: 'shares', within: WORK, stop: (p, { deadline }) => p.services?.shares.close(deadline - 1000) },
  // 3. Sending: the send in progress finishes.
  { name: 'send queue', within: WORK, stop: (p) => p.scheduler?.stop() },
  { name: 'backup', within: WORK, stop: (p) => p.backup?.stop() },
  // 4. HTTP.
  { name: 'http', within: HTTP, stop: (p) => p.server && closeServer(p.server) },
  // 5. Database connections (not a DataSource the caller opened), then the embedded PostgreSQL last.
  { name: 'database monitor', within: ALL, stop: (p) => p.dbMonitor?.stop() },
  { name: 'database connections', within: ALL, stop: (p, { ownsDataSource }) => ownsDataSource && p.ds?.isInitialized && p.ds.destroy() },
  { name: 'embedded PostgreSQL', within: LAST, stop: (p) => p.dbServer?.stop() },
];

/** Runs `steps` in order over whatever has started, within `limitMs` (SHUTDOWN_TIMEOUT_MS). */
export async function stopInOrder(
  steps: readonly StopStep[],
  parts: Started,
  limitMs: number,
  log: Logger,
  ownsDataSource: boolean,
): Promise<void> {
  const began = Date.now();
  const end = { deadline: began + limitMs, ownsDataSource };
  for (const step of steps) {
    await until(began + step.within(limitMs), () => Promise.resolve().then(() => step.stop(parts, end)), log, step.name);
  }
}

/** Runs `step`, but gives up waiting for it at `deadline` (epoch ms). */
async function until(deadline: number, step: () => Promise<unknown>, log: Logger, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const left = Math.max(0, deadline - Date.now());
  const timedOut = await Promise.race([
    step().then(
      () => false,
      (err: unknown) => {
        log.error({ err, step: what }, 'error while stopping');
        return false;
      },
    ),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), left);
    }),
  ]);
  if (timer) clearTimeout(timer);
  if (timedOut) log.warn({ step: what }, 'stopping took too long: going on without waiting for it');
}

/** Closes the server, ending its open connections. */
function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
