import type { DataSource } from 'typeorm';
import { JobScopesRead } from './job-scopes-read';
import { OutboxRead } from './outbox-read';

/**
 * Read modules: queries the console (and anyone else) asks that belong to no use case, each named
 * after what it reads. A new read: its file here and one line below. (The county list is
 * RegionService's.)
 */
export interface Reads {
  jobScopes: JobScopesRead;
  outbox: OutboxRead;
}

export function createReads(ds: DataSource): Reads {
  return {
    jobScopes: new JobScopesRead(ds),
    outbox: new OutboxRead(ds),
  };
}
