import { readFile, stat } from 'node:fs/promises';
import type { DataSource, EntityManager } from 'typeorm';
import type { RosterEntry, RosterProblem } from '../domain/roster';
import { Station } from '../db/entities';
import { dayOf } from '../domain/calendar';
import { UserError } from '../errors';
import { checkRosterSize } from './roster-file';
import { joinRoster } from './roster-history';
import { checkRosterFile, type RosterWorkerOptions } from './roster-worker';
import { findStationByName, type CountyRef } from './station.service';

import type { RosterFile } from './roster-file';

export type { RosterFile } from './roster-file';

export interface RosterImportResult {
  station: string;
  /** Informant rows in the file (valid or not). */
  rows: number;
  imported: number;
  /** Existing entries that gained a phone number from the file. */
  updated: number;
  /** Disabled entries the file lists again: back on the roster from the import's day. */
  enabled: number;
  unchanged: number;
  /** Every problem, in line order (callers show as many as they can). */
  problems: RosterProblem[];
  /** How many problems the file has in all. */
  problemCount: number;
}

/** What an import would do, without doing it. */
export interface RosterPreview extends RosterImportResult {
  /** The first valid entries, as they would be stored. */
  sample: RosterEntry[];
}

/** Rows per INSERT/UPDATE statement: 4 arrays each, far below PostgreSQL's 65,535 bind parameters. */
const CHUNK = 5_000;
/** Valid rows a preview shows. */
const SAMPLE = 20;

interface Existing {
  id: number;
  name: string;
  phone: string | null;
  status: string;
}

interface Plan {
  fresh: RosterEntry[];
  phoneAdded: Array<{ id: number; phone: string; note: string | null }>;
  /** Disabled entries the file lists: enabled again (a roster file says who is on the roster). */
  enable: number[];
  unchanged: number;
}

/**
 * How the file's entries meet the station's roster: the same name and phone (or the only one of
 * that name, without a phone) is already there; a phone for the only entry of that name that has
 * none is added to it; anything else is a new entry.
 */
function plan(existing: Existing[], entries: RosterEntry[]): Plan {
  const byName = new Map<string, Existing[]>();
  for (const x of existing) {
    const list = byName.get(x.name);
    if (list) list.push({ ...x });
    else byName.set(x.name, [{ ...x }]);
  }
  const out: Plan = { fresh: [], phoneAdded: [], enable: [], unchanged: 0 };
  const enable = (x: Existing): void => {
    if (x.status === 'active') return;
    x.status = 'active';
    out.enable.push(x.id);
  };
  for (const e of entries) {
    const sameName = byName.get(e.name) ?? [];
    const exact = sameName.find((x) => (x.phone ?? null) === e.phone || (e.phone === null && sameName.length === 1));
    if (exact) {
      if (exact.status === 'active') out.unchanged++;
      enable(exact);
      continue;
    }
    if (e.phone && sameName.length === 1 && !sameName[0].phone) {
      sameName[0].phone = e.phone;
      out.phoneAdded.push({ id: sameName[0].id, phone: e.phone, note: e.note });
      enable(sameName[0]);
      continue;
    }
    out.fresh.push(e);
  }
  return out;
}

/**
 * Imports a station's informant roster: every row valid, or nothing stored. Any size: rows are
 * written in chunks of array parameters (unnest) inside one transaction, so a 100,000-row file
 * is all or nothing like a small one. The CLI (a path) and the console (uploaded bytes) both
 * come through importFile().
 */
export class RosterService {
  /** `reading`: tighter limits on reading a file than ROSTER_WORKER_LIMITS (tests). */
  constructor(
    private readonly ds: DataSource,
    private readonly reading: RosterWorkerOptions = {},
  ) {}

  /**
   * `kepubot import roster`: the file at `path` into the station of that name (within `county`
   * when the name is in several counties). New entries are on the roster from the day of `now`.
   */
  async importRoster(path: string, stationName: string, now: Date, county?: CountyRef): Promise<RosterImportResult> {
    const station = await findStationByName(this.ds, stationName, county);
    if (!station) throw new UserError(`没有名为“${stationName}”的e站。用 kepubot station list 查看已有e站`);
    let bytes: Buffer;
    try {
      // Bounded before it is read, like an upload.
      checkRosterSize((await stat(path)).size);
      bytes = await readFile(path);
    } catch (err) {
      if (err instanceof UserError) throw err;
      throw new UserError(`读不到文件 ${path}`);
    }
    return this.importFile(station.id, { bytes, fileName: path }, now);
  }

  /** Checks a roster file against the station's roster: what an import would add, with every bad row. Stores nothing. */
  async preview(stationId: number, file: RosterFile): Promise<RosterPreview> {
    const station = await this.station(stationId);
    const { entries, problems } = await checkRosterFile(file, this.reading);
    const existing: Existing[] = await this.ds.query(`SELECT id, name, phone, status FROM informant WHERE station_id = $1`, [stationId]);
    const p = plan(existing, entries);
    return {
      station: station.name,
      rows: countRows(entries, problems),
      imported: p.fresh.length,
      updated: p.phoneAdded.length,
      enabled: p.enable.length,
      unchanged: p.unchanged,
      problems,
      problemCount: problems.length,
      sample: entries.slice(0, SAMPLE),
    };
  }

  /**
   * Imports a roster file into a station: all rows or, when any row is bad, none (the result then
   * lists the problems and nothing is stored). New entries are on the roster from the day of `now`.
   */
  async importFile(stationId: number, file: RosterFile, now: Date): Promise<RosterImportResult> {
    const station = await this.station(stationId);
    const { entries, problems } = await checkRosterFile(file, this.reading);
    const result: RosterImportResult = {
      station: station.name,
      rows: countRows(entries, problems),
      imported: 0,
      updated: 0,
      enabled: 0,
      unchanged: 0,
      problems,
      problemCount: problems.length,
    };
    if (problems.length > 0) return result;

    await this.ds.transaction(async (m) => {
      // One import per station at a time: a second one waits and then sees the first one's rows.
      await m.query(`SELECT id FROM station WHERE id = $1 FOR UPDATE`, [station.id]);
      const existing: Existing[] = await m.query(`SELECT id, name, phone, status FROM informant WHERE station_id = $1`, [station.id]);
      const p = plan(existing, entries);
      await this.addPhones(m, p.phoneAdded);
      await this.insert(m, station.id, p.fresh, dayOf(now));
      if (p.enable.length > 0) {
        await m.query(`UPDATE informant SET status = 'active' WHERE id = ANY($1::int[])`, [p.enable]);
        await joinRoster(m, p.enable, dayOf(now));
      }
      result.updated = p.phoneAdded.length;
      result.enabled = p.enable.length;
      result.imported = p.fresh.length;
      result.unchanged = p.unchanged;
    });
    return result;
  }

  private async station(id: number): Promise<Station> {
    const station = await this.ds.getRepository(Station).findOneBy({ id });
    if (!station) throw new UserError('没有这个e站');
    return station;
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
           INSERT INTO informant (county_id, station_id, name, phone, note, status)
           SELECT (SELECT county_id FROM station WHERE id = $1), $1, u.name, u.phone, u.note, 'active'
           FROM unnest($2::varchar[], $3::varchar[], $4::varchar[]) AS u(name, phone, note)
           RETURNING county_id, id
         )
         INSERT INTO informant_roster (county_id, informant_id, station_id, from_day) SELECT county_id, id, $1, $5::date FROM added`,
        [stationId, chunk.map((r) => r.name), chunk.map((r) => r.phone), chunk.map((r) => r.note), day],
      );
    }
  }
}

/** Rows of the file checked: the valid entries and the lines with problems. */
function countRows(entries: RosterEntry[], problems: RosterProblem[]): number {
  const lines = new Set(entries.map((e) => e.line));
  for (const p of problems) lines.add(p.line);
  return lines.size;
}
