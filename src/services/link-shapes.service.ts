import type { DataSource } from 'typeorm';
import type { UnknownShape } from '../domain/kepu-links';
import type { Metrics } from '../metrics';

/** One unknown Kepu China URL shape as the operator sees it. */
export interface UnknownShapeRow {
  shape: string;
  seen: number;
  example: string;
  firstSeenAt: Date;
  lastSeenAt: Date;
}

/**
 * Kepu China links that are not counted: unknown URL shapes are kept (one row per shape, with a
 * count and the first example) for `kepubot links unknown`, and both unknown shapes and items
 * beyond the per-message limit are counted in kepubot_links_not_counted_total.
 */
export class LinkShapeService {
  constructor(
    private readonly ds: DataSource,
    private readonly metrics?: Metrics,
  ) {}

  /** Counts each shape of one message once (upsert per shape). */
  async noteUnknown(shapes: UnknownShape[], at: Date): Promise<void> {
    if (shapes.length === 0) return;
    this.metrics?.linksNotCounted.inc({ reason: 'unknown_shape' }, shapes.length);
    const unique = [...new Map(shapes.map((s) => [s.shape, s])).values()].sort((a, b) => (a.shape < b.shape ? -1 : 1));
    await this.ds.query(
      `INSERT INTO unknown_link_shape (shape, seen, example, first_seen_at, last_seen_at)
       SELECT s, 1, e, $3, $3 FROM unnest($1::varchar[], $2::text[]) AS t(s, e)
       ON CONFLICT (shape) DO UPDATE
         SET seen = unknown_link_shape.seen + 1,
             last_seen_at = greatest(unknown_link_shape.last_seen_at, excluded.last_seen_at)`,
      [unique.map((s) => s.shape), unique.map((s) => s.example), at.toISOString()],
    );
  }

  /** Items of a message beyond SHARE_ITEMS_PER_MESSAGE_MAX (counted by the metric only). */
  noteOverLimit(items: number): void {
    if (items > 0) this.metrics?.linksNotCounted.inc({ reason: 'over_limit' }, items);
  }

  /** The unknown shapes, most seen first. */
  async listUnknown(limit = 100): Promise<UnknownShapeRow[]> {
    const rows: Array<{ shape: string; seen: number; example: string; first_seen_at: Date; last_seen_at: Date }> = await this.ds.query(
      `SELECT shape, seen, example, first_seen_at, last_seen_at FROM unknown_link_shape ORDER BY seen DESC, shape LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({
      shape: r.shape,
      seen: Number(r.seen),
      example: r.example,
      firstSeenAt: r.first_seen_at,
      lastSeenAt: r.last_seen_at,
    }));
  }
}
