import { InitialSchema1763800000000 } from './1763800000000-initial-schema';
import { StationCommands1764000000000 } from './1764000000000-station-commands';
import { Scheduling1764200000000 } from './1764200000000-scheduling';
import { Summaries1764400000000 } from './1764400000000-summaries';
import { AuditHashes1764610000000 } from './1764610000000-audit-hashes';

/** Versioned migrations, oldest first; run at start-up. */
export const MIGRATIONS = [InitialSchema1763800000000, StationCommands1764000000000, Scheduling1764200000000, Summaries1764400000000, AuditHashes1764610000000];
