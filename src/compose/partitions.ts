import { PartitionUpkeep } from '../jobs/partition-upkeep';
import type { Services } from '../services';
import type { AlertService } from '../services/alert.service';
import type { Ground } from './parts';

/** The raw tables' months ahead (and retention) now, then daily with the scheduler's housekeeping. */
export async function startPartitions({ config, log, clock }: Ground, services: Services, alerts: AlertService): Promise<PartitionUpkeep> {
  const partitions = new PartitionUpkeep(services.partitions, alerts, config, log.child({ component: 'partitions' }));
  await partitions.run(clock.now());
  return partitions;
}
