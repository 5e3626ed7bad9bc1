import type { DataSource } from 'typeorm';

/** A county as the console's pickers and tables name it. */
export interface CountyName {
  id: number;
  name: string;
}

/** The counties (regions of level 'county'): the list the console shows, and checks by id. */
export class CountiesRead {
  constructor(private readonly ds: DataSource) {}

  /** Every county by name (then id), or only the county `only` (none when it is not a county). */
  async list(only?: number): Promise<CountyName[]> {
    return this.ds.query(`SELECT id, name FROM region WHERE level = 'county' AND ($1::int IS NULL OR id = $1) ORDER BY name, id`, [
      only ?? null,
    ]);
  }

  /** Whether `id` is a county. */
  async exists(id: number): Promise<boolean> {
    const rows: unknown[] = await this.ds.query(`SELECT 1 FROM region WHERE id = $1 AND level = 'county'`, [id]);
    return rows.length > 0;
  }

  /** Whether `id` is a county with one of these names. */
  async isNamed(id: number, names: readonly string[]): Promise<boolean> {
    const rows: unknown[] = await this.ds.query(`SELECT 1 FROM region WHERE id = $1 AND level = 'county' AND name = ANY($2)`, [id, names]);
    return rows.length > 0;
  }

  /** The name of the region `id`, or null. */
  async nameOf(id: number): Promise<string | null> {
    const [row]: Array<{ name: string }> = await this.ds.query(`SELECT name FROM region WHERE id = $1`, [id]);
    return row?.name ?? null;
  }
}
