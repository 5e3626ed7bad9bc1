import type { DataSource } from 'typeorm';
import { checkRoster, type RosterProblem } from '../domain/roster';
import { Informant, Station } from '../db/entities';
import { UserError } from './group.service';
import { readRosterFile } from './roster-file';

export interface RosterImportResult {
  station: string;
  imported: number;
  /** Existing entries that gained a phone number from the file. */
  updated: number;
  unchanged: number;
  problems: RosterProblem[];
}

/** Imports a station's informant roster: every row valid, or nothing stored. */
export class RosterService {
  constructor(private readonly ds: DataSource) {}

  async importRoster(path: string, stationName: string): Promise<RosterImportResult> {
    const station = await this.ds.getRepository(Station).findOneBy({ name: stationName });
    if (!station) throw new UserError(`没有名为“${stationName}”的e站。用 kepubot station list 查看已有e站`);
    const rows = await readRosterFile(path);
    const { entries, problems } = checkRoster(rows);
    const result: RosterImportResult = { station: station.name, imported: 0, updated: 0, unchanged: 0, problems };
    if (problems.length > 0) return result;

    await this.ds.transaction(async (m) => {
      const repo = m.getRepository(Informant);
      const existing = await repo.findBy({ stationId: station.id });
      const fresh: Informant[] = [];
      for (const e of entries) {
        const sameName = existing.filter((x) => x.name === e.name);
        const exact = sameName.find((x) => (x.phone ?? null) === e.phone || (e.phone === null && sameName.length === 1));
        if (exact) {
          result.unchanged++;
          continue;
        }
        const phoneless = sameName.filter((x) => !x.phone);
        if (e.phone && sameName.length === 1 && phoneless.length === 1) {
          phoneless[0].phone = e.phone;
          if (e.note) phoneless[0].note = e.note;
          await repo.save(phoneless[0]);
          result.updated++;
          continue;
        }
        fresh.push(repo.create({ stationId: station.id, name: e.name, phone: e.phone, note: e.note, status: 'active' }));
      }
      if (fresh.length > 0) await repo.insert(fresh);
      result.imported = fresh.length;
    });
    return result;
  }
}
