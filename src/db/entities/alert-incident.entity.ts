import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One alert incident (AlertService): at most one open row per incident key, so an alert goes
 * out once per incident across restarts and instances; resolved_at ends the incident.
 * AlertService writes it with plain SQL; the entity keeps the schema described in one place.
 */
@Entity({ name: 'alert_incident' })
@Index('uq_alert_incident_open', ['incidentKey'], { unique: true, where: `"resolved_at" IS NULL` })
export class AlertIncident {
  @PrimaryGeneratedColumn({ type: 'integer', primaryKeyConstraintName: 'PK_alert_incident' })
  id: number;

  /** wechat-logout, database-down, … */
  @Column({ name: 'incident_key', type: 'varchar', length: 64 })
  incidentKey: string;

  @Column({ name: 'opened_at', type: 'timestamptz' })
  openedAt: Date;

  @Column({ name: 'resolved_at', type: 'timestamptz', nullable: true })
  resolvedAt: Date | null;

  /** The job run that queued the alert, when it went through the outbox. */
  @Column({ name: 'run_id', type: 'integer', nullable: true })
  runId: number | null;

  /** How many recipients the alert was queued for. */
  @Column({ type: 'integer', default: 0 })
  recipients: number;
}
