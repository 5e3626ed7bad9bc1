/**
 * A second kepubot process for the accounts bench's take-over figure (a child of
 * bench/accounts.ts, killed with SIGKILL): the real wiring on the bench database, driving the
 * accounts it can lease. Reports { holder } once started and { held } on every change.
 */
import 'reflect-metadata';
import { compose } from '../src/compose';
import { loadConfig } from '../src/config';

async function main(): Promise<void> {
  const config = loadConfig({
    DATABASE_URL: process.env.BENCH_DATABASE_URL,
    LOG_LEVEL: 'silent',
    MAX_ACCOUNTS_PER_PROCESS: process.env.BENCH_ACCOUNTS ?? '50',
    KEPUBOT_DATA_DIR: process.env.BENCH_DATA_DIR,
  });
  const app = await compose(config, { http: false, scheduler: false, resilience: false });
  process.send?.({ holder: app.accounts.holder });
  const report = (): void => {
    process.send?.({ held: app.accounts.list().filter((a) => a.runtime.status().loggedIn).length });
  };
  app.accounts.on('attached', (a) => a.runtime.onChange(report));
  for (const a of app.accounts.list()) a.runtime.onChange(report);
  setInterval(report, 500);
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
