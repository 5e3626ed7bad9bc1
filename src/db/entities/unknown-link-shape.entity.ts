import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A Kepu China URL shape no rule recognises (kepu-links.ts): not counted as a share, kept so an
 * operator can see it (`kepubot links unknown`) and add it with KEPU_URL_RULES. One row per
 * shape, counted up each time a message carries it.
 */
@Entity({ name: 'unknown_link_shape' })
export class UnknownLinkShape {
  /** host/path?param&names, without values (long numbers in the path written {n}). */
  @PrimaryColumn({ type: 'varchar', length: 512, primaryKeyConstraintName: 'PK_unknown_link_shape' })
  shape: string;

  /** Messages that carried this shape. */
  @Column({ type: 'integer', default: 0 })
  seen: number;

  /** The first URL seen of this shape, without tracking parameters. */
  @Column({ type: 'text' })
  example: string;

  @Column({ name: 'first_seen_at', type: 'timestamptz' })
  firstSeenAt: Date;

  @Column({ name: 'last_seen_at', type: 'timestamptz' })
  lastSeenAt: Date;
}
