import { InitialSchema1763800000000 } from './1763800000000-initial-schema';

/** Versioned migrations, oldest first; run at start-up. */
export const MIGRATIONS = [InitialSchema1763800000000];
