import { Column, Entity, PrimaryColumn } from 'typeorm';

/** found: the page had a title; none: it answered without one (not HTML, no <title>); failed: it did not answer in time. */
export type ContentTitleOutcome = 'found' | 'none' | 'failed';

/**
 * The title of a Kepu China item's page, fetched once (services/content-titles.service.ts) for
 * items no link card named: the digests and the content table show it instead of the bare URL.
 */
@Entity({ name: 'content_title' })
export class ContentTitle {
  @PrimaryColumn({ name: 'content_key', type: 'varchar', length: 512, primaryKeyConstraintName: 'PK_content_title' })
  contentKey: string;

  /** The URL that was fetched. */
  @Column({ type: 'text' })
  url: string;

  @Column({ type: 'varchar', length: 200, nullable: true })
  title: string | null;

  @Column({ type: 'varchar', length: 16 })
  outcome: ContentTitleOutcome;

  /** When it was fetched; a failed fetch is tried again a day later. */
  @Column({ name: 'fetched_at', type: 'timestamptz' })
  fetchedAt: Date;
}
