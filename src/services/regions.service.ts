import type { DataSource } from 'typeorm';
import type { JobName } from '../domain/schedule';
import { UserError } from '../errors';

/** A region as lists name it: its id and name. */
export interface RegionRef {
  id: number;
  name: string;
}

/**
 * The regions (province, prefecture, county): the county list, finding a region by name, and a
 * county's settings the operator changes (job rules, the digest webhook). The one place the county
 * list is read: the CLI, the HTTP handlers and the jobs ask here.
 */
export class RegionService {
  constructor(private readonly ds: DataSource) {}

  /** The counties by name (then id); with `only`, that county alone (none when it is no county). */
  async counties(only?: number | null): Promise<RegionRef[]> {
    return this.ds.query(`SELECT id, name FROM region WHERE level = 'county' AND ($1::int IS NULL OR id = $1) ORDER BY name, id`, [
      only ?? null,
    ]);
  }

  /** Whether `id` is a county. */
  async isCounty(id: number): Promise<boolean> {
    return (await this.counties(id)).length > 0;
  }

  /** Whether `id` is a county with one of these names. */
  async isCountyNamed(id: number, names: readonly string[]): Promise<boolean> {
    return (await this.counties(id)).some((c) => names.includes(c.name));
  }

  /** The name of the region `id` (of any level), or null. */
  async nameOf(id: number): Promise<string | null> {
    const [row]: Array<{ name: string }> = await this.ds.query(`SELECT name FROM region WHERE id = $1`, [id]);
    return row?.name ?? null;
  }

  /** The county of that name; a UserError saying so when there is none. */
  async countyByName(name: string): Promise<RegionRef> {
    return this.byName(name, 'county', '旗县区');
  }

  /** The prefecture of that name; a UserError saying so when there is none. */
  async prefectureByName(name: string): Promise<RegionRef> {
    return this.byName(name, 'prefecture', '盟市');
  }

  /**
   * A province by its name or its region number (编号); none given: the database's only province.
   * Unknown, or several when none is named: a UserError in Chinese.
   */
  async provinceByKey(key: string | undefined): Promise<RegionRef> {
    if (key !== undefined) {
      const rows: RegionRef[] = await this.ds.query(
        `SELECT id, name FROM region WHERE level = 'province' AND (name = $1 OR id::text = $1) ORDER BY name = $1 DESC LIMIT 1`,
        [key],
      );
      if (!rows[0]) throw new UserError(`找不到省/自治区“${key.slice(0, 32)}”（请给出名称或编号）`);
      return rows[0];
    }
    const all: RegionRef[] = await this.ds.query(`SELECT id, name FROM region WHERE level = 'province' ORDER BY id LIMIT 11`);
    if (all.length === 1) return all[0];
    if (all.length === 0)
      throw new UserError(
        '还没有省/自治区：添加e站时用 --province 给出（kepubot station add <名称> --county … --prefecture … --province …）',
      );
    throw new UserError(
      `有多个省/自治区，请给出名称或编号：${all
        .slice(0, 10)
        .map((r) => `${r.name}（${r.id}）`)
        .join('、')}`,
    );
  }

  /** Sets the county's own rule (cron) for a job; null goes back to the default rule. */
  async setJobRule(countyId: number, job: JobName, rule: string | null): Promise<void> {
    if (rule === null) {
      await this.ds.query(`UPDATE region SET schedule = schedule - $2 WHERE id = $1`, [countyId, job]);
    } else {
      await this.ds.query(`UPDATE region SET schedule = schedule || jsonb_build_object($2::text, $3::text) WHERE id = $1`, [
        countyId,
        job,
        rule,
      ]);
    }
  }

  /** Sets (or with null clears) the WeCom group robot the county's digests also go to. */
  async setDigestWebhook(countyId: number, url: string | null): Promise<void> {
    await this.ds.query(`UPDATE region SET digest_webhook_url = $2 WHERE id = $1`, [countyId, url]);
  }

  private async byName(name: string, level: string, label: string): Promise<RegionRef> {
    const rows: RegionRef[] = await this.ds.query(`SELECT id, name FROM region WHERE name = $1 AND level = $2`, [name, level]);
    if (!rows[0]) throw new UserError(`找不到${label}“${name}”`);
    return rows[0];
  }
}
