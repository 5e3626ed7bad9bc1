import type { JobName } from '../domain/schedule';
import { annualEvaluation } from './annual-evaluation.job';
import { groupRanking } from './group-ranking.job';
import { groupReminder } from './group-reminder.job';
import type { JobDefinition } from './job';
import { monthlyCheck } from './monthly-check.job';
import { quarterlyTable } from './quarterly-table.job';
import { weeklyDigest } from './weekly-digest.job';

/** Every scheduled job, by name (one behaviour per file in src/jobs/). */
export const JOBS: Record<JobName, JobDefinition> = {
  'group-reminder': groupReminder,
  'group-ranking': groupRanking,
  'weekly-digest': weeklyDigest,
  'monthly-check': monthlyCheck,
  'quarterly-table': quarterlyTable,
  'annual-evaluation': annualEvaluation,
};
