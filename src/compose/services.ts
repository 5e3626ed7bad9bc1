import type { DataSource } from 'typeorm';
import type { OutageNotices } from '../bot/outage-notices';
import { Robot } from '../bot/robot';
import { loadScripts } from '../bot/script-loader';
import { CHANNELS, identityKindsOf } from '../channels/registry';
import { createServices, type Services } from '../services';
import type { Ground, Started } from './parts';

/** The use cases over the database, and the robot with every bot script loaded. */
export async function startServices(
  { config, log, clock, metrics, overrides }: Ground,
  parts: Started,
  ds: DataSource,
  outage: OutageNotices,
): Promise<{ services: Services; robot: Robot }> {
  const services = createServices(ds, config, metrics, log, identityKindsOf(config, overrides.channels ?? CHANNELS));
  parts.services = services;
  // Shares a crash or an outage left in the spool are written before any new message.
  if (overrides.resilience !== false) await services.shares.start();
  const robot = new Robot({ services, config, clock, log, metrics, outage });
  const scripts = loadScripts(robot);
  log.info({ scripts }, 'bot scripts loaded');
  return { services, robot };
}
