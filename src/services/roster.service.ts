import type { DataSource, EntityManager } from 'typeorm';
import { checkRoster, LISTED_PROBLEMS, type RosterEntry, type RosterProblem } from '../domain/roster';
import { Station } from '../db/entities';
import { dayOf } from '../domain/calendar';
import { UserError } from '../errors';
import { readRosterFile } from './roster-file';

export interface RosterImportResult {
  station: string;
  imported: number;
  /** Existing entries that gained a phone number from the file. */
  updated: number;
  unchanged: number;
  /** The first LISTED_PROBLEMS (50) problems, in line order. */
  problems: RosterProblem[];
  /** How many problems the file has in all. */
  problemCount: number;
}

/** Rows per INSERT/UPDATE statement: 4 arrays each, far below PostgreSQL's 65,535 bind parameters. */
const CHUNK = 5_000;

interface Existing {
  id: number;
  name: string;
  phone: string | null;
}

/**
 * Imports a station's informant roster: every row valid, or nothing stored. Any size: rows are
 * written in chunks of array parameters (unnest) inside one transaction, so a 100,000-row file
 * is all or nothing like a small one.
 */
export class RosterService {
  constructor(private readonly ds: DataSource) {}

  /** New entries are on the roster from the day of `now`. */
  async importRoster(path: string, stationName: string, now: Date): Promise<RosterImportResult> {
    const station = await this.ds.getRepository(Station).findOneBy({ name: stationName });
    if (!station) throw new UserError(`没有名为“${stationName}”的e站。用 kepubot station list 查看已有e站`);
    const { entries, problems } = checkRoster(await readRosterFile(path));
    const result: RosterImportResult = {
      station: station.name,
      imported: 0,
      updated: 0,
      unchanged: 0,
      problems: problems.slice(0, LISTED_PROBLEMS),
      problemCount: problems.length,
    };
    if (problems.length > 0) return result;

    await this.ds.transaction(async (m) => {
      // One import per station at a time: a second one waits and then sees the first one's rows.
      await m.query(`SELECT id FROM station WHERE id = $1 FOR UPDATE`, [station.id]);
      const existing: Existing[] = await m.query(`SELECT id, name, phone FROM informant WHERE station_id = $1`, [station.id]);
      const byName = new Map<string, Existing[]>();
      for (const x of existing) {
        const list = byName.get(x.name);
        if (list) list.push(x);
        else byName.set(x.name, [x]);
      }
      const fresh: RosterEntry[] = [];
      const phoneAdded: Array<{ id: number; phone: string; note: string | null }> = [];
      for (const e of entries) {
        const sameName = byName.get(e.name) ?? [];
        const exact = sameName.find((x) => (x.phone ?? null) === e.phone || (e.phone === null && sameName.length === 1));
        if (exact) {
          result.unchanged++;
          continue;
        }
        if (e.phone && sameName.length === 1 && !sameName[0].phone) {
          sameName[0].phone = e.phone;
          phoneAdded.push({ id: sameName[0].id, phone: e.phone, note: e.note });
          continue;
        }
        fresh.push(e);
      }
      await this.addPhones(m, phoneAdded);
      await this.insert(m, station.id, fresh, dayOf(now));
      result.updated = phoneAdded.length;
      result.imported = fresh.length;
    });
    return result;
  }

  private async addPhones(m: EntityManager, rows: Array<{ id: number; phone: string; note: string | null }>): Promise<void> {
    for (let i = 0; i < rows.length; i += CHUNK) {
      const chunk = rows.slice(i, i + CHUNK);
      await m.query(
        `UPDATE informant i SET phone = u.phone, note = coalesce(u.note, i.note)
           FROM unnest($1::int[], $2::varchar[], $3::varchar[]) AS u(id, phone, note)
          WHERE i.id = u.id`,
        [chunk.map((r) => r.id), chunk.map((r) => r.phone), chunk.map((r) => r.note)],
      );
    }
  }

  private async insert(m: EntityManager, stationId: number, rows: RosterEntry[], day: string): Promise<void> {
    for (let i = 0; i < rows.length; i += CHUNK) {
      const chunk = rows.slice(i, i + CHUNK);
      // New informants have no rollups yet: their roster intervals are written here directly.
      await m.query(
        `WITH added AS (
           INSERT INTO informant (station_id, name, phone, note, status)
           SELECT $1, u.name, u.phone, u.note, 'active' FROM unnest($2::varchar[], $3::varchar[], $4::varchar[]) AS u(name, phone, note)
           RETURNING id
         )
         INSERT INTO informant_roster (informant_id, station_id, from_day) SELECT id, $1, $5::date FROM added`,
        [stationId, chunk.map((r) => r.name), chunk.map((r) => r.phone), chunk.map((r) => r.note), day],
      );
    }
  }
}
