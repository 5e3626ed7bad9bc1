import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';

export type RegionLevel = 'province' | 'prefecture' | 'county';

/** An administrative area: province → prefecture (盟市/地市) → county (旗县区), which keeps the statistics. */
@Entity({ name: 'region' })
@Index('uq_region_parent_name', ['parentId', 'name'], { unique: true })
export class Region {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Column({ type: 'varchar', length: 64 })
  name: string;

  @Column({ type: 'varchar', length: 16 })
  level: RegionLevel;

  @Column({ name: 'parent_id', type: 'integer', nullable: true })
  parentId: number | null;

  @ManyToOne(() => Region, { nullable: true, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'parent_id' })
  parent?: Region | null;

  /** Effective shares a day that make a quota-met day; null uses the configured default. */
  @Column({ name: 'daily_quota', type: 'integer', nullable: true })
  dailyQuota: number | null;

  /** Per-county schedule overrides: job name → cron rule (Asia/Shanghai). */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  schedule: Record<string, string>;

  /** WeCom group robot webhook for the county's digests (optional). */
  @Column({ name: 'digest_webhook_url', type: 'varchar', length: 512, nullable: true })
  digestWebhookUrl: string | null;

  /** The demo county: its scheduled messages are kept in the console's 任务 page instead of sent (channel 'demo'). */
  @Column({ name: 'demo_inbox', type: 'boolean', default: false })
  demoInbox: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
