import path from 'node:path';
import type { DataSource } from 'typeorm';
import type { AccountPool } from '../channels/wechat/account-pool';
import { DemoWorld } from '../channels/wechat/demo';
import type { AppConfig } from '../config';
import type { Services } from '../services';
import { ticketLink } from '../services/console-auth.service';
import { seedDemo } from '../services/demo-seed.service';
import type { ComposeOverrides, Ground, Started } from './parts';

/**
 * Whether this start may be the demo: not with a puppet handed in or a puppet service configured;
 * otherwise the demo unless accounts were added (the database part looks).
 */
export function demoChoice(config: AppConfig, overrides: ComposeOverrides): 'unless-accounts' | false {
  return !overrides.puppet && !overrides.puppetFactory && !config.wechat.puppetService ? 'unless-accounts' : false;
}

/** The demo never touches real data: besides its own database, a spool of its own. */
export function demoConfig(config: AppConfig): AppConfig {
  return { ...config, resilience: { ...config.resilience, spoolDir: path.join(config.database.dataDir, 'demo', 'spool') } };
}

/** The demo county seeded (with its history) and the simulated WeChat its groups live in. */
export async function startDemo({ config, log, clock }: Ground, parts: Started, services: Services, ds: DataSource): Promise<DemoWorld> {
  const seeded = await seedDemo(services, ds, clock.now(), log.child({ component: 'demo' }), config.wechat.demoHistoryDays);
  const demo = new DemoWorld(seeded.groups, log.child({ component: 'demo' }), config.wechat.demoShareLog);
  parts.demo = demo;
  return demo;
}

/** Once the demo account has logged in, its groups start talking (unless told not to). */
export async function startDemoTraffic({ config, overrides }: Ground, demo: DemoWorld, accounts: AccountPool): Promise<void> {
  await accounts.list()[0]?.runtime.started;
  if (overrides.demoTraffic !== false) demo.startTraffic(config.wechat.demoIntervalMs);
}

/**
 * The demo's one-time link that opens the console as its operator `demo` (its data is the demo
 * county only). Without CONSOLE_PUBLIC_URL the link names the port actually listened on (PORT=0 picks one).
 */
export async function demoConsoleLink({ config, log, clock }: Ground, services: Services, port: number): Promise<string> {
  const consoleBase = config.console.publicUrlSet || port === 0 ? config.console.publicUrl : `http://localhost:${port}`;
  const consoleLink = ticketLink(consoleBase, await services.consoleAuth.demoTicket(clock.now()));
  log.info({ url: consoleLink }, 'open the console (demo county) with this one-time link');
  return consoleLink;
}
