import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * planning: being planned (only inside the planning transaction); planned: its messages are queued;
 * pending: waiting for a recipient or a channel (pending_reason says which), planned again while
 * still useful; missed: was still pending when it stopped being useful.
 */
export type JobRunState = 'planning' | 'planned' | 'pending' | 'missed';

/** One run of a scheduled job for one scope and period: the unit of "exactly once". */
@Entity({ name: 'job_run' })
@Index('uq_job_run', ['job', 'scope', 'period'], { unique: true })
@Index('ix_job_run_pending', ['id'], { where: `"state" = 'pending'` })
@Index('ix_job_run_county', ['countyId', 'id'])
export class JobRun {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  /** group-reminder, group-ranking, weekly-digest, monthly-check, quarterly-table, annual-evaluation. */
  @Column({ type: 'varchar', length: 32 })
  job: string;

  /** The scope's text (room:<id>, county:<id>, station:<id>): formatScope / parseScope in src/domain/job-scope.ts. */
  @Column({ type: 'varchar', length: 160 })
  scope: string;

  /** The county the run belongs to, stored when it is claimed (null: no county, e.g. an alert). */
  @Column({ name: 'county_id', type: 'integer', nullable: true })
  countyId: number | null;

  /** 2026-11-25, 2026-W48, 2026-11, 2026Q3, 2026. */
  @Column({ type: 'varchar', length: 16 })
  period: string;

  @Column({ type: 'varchar', length: 16, default: 'planning' })
  state: JobRunState;

  @Column({ type: 'integer', default: 0 })
  messages: number;

  /** 0 for the scheduled send; each `kepubot run --resend` queues the run again as the next round. */
  @Column({ type: 'integer', default: 0 })
  round: number;

  /** Why a pending (or missed) run could not be sent, in Chinese for `kepubot jobs`. */
  @Column({ name: 'pending_reason', type: 'text', nullable: true })
  pendingReason: string | null;

  @CreateDateColumn({ name: 'started_at', type: 'timestamptz' })
  startedAt: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;
}
