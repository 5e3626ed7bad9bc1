import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type JobRunState = 'planning' | 'planned' | 'done';

/** One run of a scheduled job for one scope and period: the unit of "exactly once". */
@Entity({ name: 'job_run' })
@Index('uq_job_run', ['job', 'scope', 'period'], { unique: true })
export class JobRun {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  /** group-reminder, group-ranking, weekly-digest, monthly-check, quarterly-table, annual-evaluation. */
  @Column({ type: 'varchar', length: 32 })
  job: string;

  /** room:<id>, county:<id>, station:<id>. */
  @Column({ type: 'varchar', length: 160 })
  scope: string;

  /** 2026-11-25, 2026-W48, 2026-11, 2026Q3, 2026. */
  @Column({ type: 'varchar', length: 16 })
  period: string;

  @Column({ type: 'varchar', length: 16, default: 'planning' })
  state: JobRunState;

  @Column({ type: 'integer', default: 0 })
  messages: number;

  @CreateDateColumn({ name: 'started_at', type: 'timestamptz' })
  startedAt: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;
}
