import { QueryFailedError, type DataSource } from 'typeorm';
import type { DayRange } from '../domain/calendar';
import type { ActivityInput, Correction } from '../domain/station-commands';
import { Activity, ResourceLog } from '../db/entities';
import { UserError } from '../errors';

const UNIQUE_VIOLATION = '23505';

function isDuplicate(err: unknown): boolean {
  return err instanceof QueryFailedError && (err.driverError as { code?: string }).code === UNIQUE_VIOLATION;
}

/** Activities and resource-use logs of a station, as its managers report them. */
export class ActivityService {
  constructor(private readonly ds: DataSource) {}

  async log(stationId: number, input: ActivityInput, by: string): Promise<Activity> {
    const repo = this.ds.getRepository(Activity);
    const duplicate = (existing: Activity | null) =>
      new UserError(
        `这次活动已经登记过了（编号 ${existing?.id ?? '?'}），没有重复记录。如需更正请发“修改 ${existing?.id ?? '编号'} 人数 70”`,
      );
    const same = { stationId, date: input.date, type: input.type, title: input.title, status: 'active' as const };
    // One statement: the unique index on active activities decides whether this one is new.
    const rows: Array<{ id: number; created_at: Date }> = await this.ds.query(
      `INSERT INTO activity (station_id, date, type, title, participants, place, status, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, 'active', $7)
       ON CONFLICT (station_id, date, type, title) WHERE status = 'active' DO NOTHING
       RETURNING id, created_at`,
      [stationId, input.date, input.type, input.title, input.participants, input.place ?? null, by],
    );
    if (rows.length === 0) throw duplicate(await repo.findOneBy(same));
    return repo.create({
      ...same,
      participants: input.participants,
      place: input.place ?? null,
      createdBy: by,
      id: rows[0].id,
      createdAt: rows[0].created_at,
      updatedAt: null,
    });
  }

  async list(stationId: number, range: DayRange): Promise<Activity[]> {
    return this.ds
      .getRepository(Activity)
      .createQueryBuilder('a')
      .where('a.station_id = :stationId AND a.status = :status AND a.date BETWEEN :from AND :to', {
        stationId,
        status: 'active',
        from: range.from,
        to: range.to,
      })
      .orderBy('a.date', 'ASC')
      .addOrderBy('a.id', 'ASC')
      .getMany();
  }

  /** A record of this station, or a clear refusal naming why not. */
  private async own(stationId: number, id: number): Promise<Activity> {
    const a = await this.ds.getRepository(Activity).findOneBy({ id });
    if (!a) throw new UserError(`没有编号为 ${id} 的活动记录，发“活动列表”查看本月记录`);
    if (a.stationId !== stationId) throw new UserError(`编号 ${id} 不是本站的记录，不能修改或撤销`);
    if (a.status === 'withdrawn') throw new UserError(`编号 ${id} 的记录已经撤销了`);
    return a;
  }

  async correct(stationId: number, c: Correction): Promise<{ before: Activity; after: Activity }> {
    return this.edit(stationId, c.id, { [c.field]: c.value } as Partial<ActivityInput>);
  }

  /** Changes any fields of a record of this station at once (the console's edit form). */
  async edit(stationId: number, id: number, changes: Partial<ActivityInput>): Promise<{ before: Activity; after: Activity }> {
    const a = await this.own(stationId, id);
    const before = { ...a };
    if (changes.participants !== undefined) a.participants = changes.participants;
    if (changes.date !== undefined) a.date = changes.date;
    if (changes.type !== undefined) a.type = changes.type;
    if (changes.title !== undefined) a.title = changes.title;
    if (changes.place !== undefined) a.place = changes.place ?? null;
    a.updatedAt = new Date();
    try {
      await this.ds.getRepository(Activity).save(a);
    } catch (err) {
      if (isDuplicate(err)) throw new UserError('改完后会和另一条已登记的活动完全相同，没有修改');
      throw err;
    }
    return { before, after: a };
  }

  /** A record by its number (any station, any status), or null. */
  async find(id: number): Promise<Activity | null> {
    return this.ds.getRepository(Activity).findOneBy({ id });
  }

  async withdraw(stationId: number, id: number): Promise<Activity> {
    const a = await this.own(stationId, id);
    a.status = 'withdrawn';
    a.updatedAt = new Date();
    await this.ds.getRepository(Activity).save(a);
    return a;
  }

  async logBulletin(stationId: number, date: string, topic: string, by: string): Promise<ResourceLog> {
    const repo = this.ds.getRepository(ResourceLog);
    return repo.save(repo.create({ stationId, kind: 'bulletin', date, topic, hours: null, createdBy: by }));
  }

  async logScreen(stationId: number, date: string, hours: number, by: string): Promise<ResourceLog> {
    const repo = this.ds.getRepository(ResourceLog);
    return repo.save(repo.create({ stationId, kind: 'screen', date, topic: null, hours: hours.toFixed(1), createdBy: by }));
  }
}
