import { UserError } from '../../src/errors';
import { RegionService } from '../../src/services/regions.service';
import { createTestDatabase, type TestDatabase } from '../support/db';

describe('RegionService: the county list, regions by name, a county’s settings', () => {
  let db: TestDatabase;
  let regions: RegionService;
  const id: Record<string, number> = {};

  beforeAll(async () => {
    db = await createTestDatabase();
    regions = new RegionService(db.ds);
    const add = async (name: string, level: string, parent: number | null) => {
      const [r] = await db.ds.query(`INSERT INTO region (name, level, parent_id) VALUES ($1, $2, $3) RETURNING id`, [name, level, parent]);
      id[name] = r.id;
    };
    await add('内蒙古', 'province', null);
    await add('呼和浩特市', 'prefecture', id['内蒙古']);
    // Inserted out of name order, so the order of the list is the service's, not the insert's.
    await add('3旗', 'county', id['呼和浩特市']);
    await add('1旗', 'county', id['呼和浩特市']);
    await add('2旗', 'county', id['呼和浩特市']);
  });

  afterAll(async () => {
    await db.close();
  });

  it('lists the counties by name, no province or prefecture; one county when asked', async () => {
    expect(await regions.counties()).toEqual([
      { id: id['1旗'], name: '1旗' },
      { id: id['2旗'], name: '2旗' },
      { id: id['3旗'], name: '3旗' },
    ]);
    expect(await regions.counties(id['3旗'])).toEqual([{ id: id['3旗'], name: '3旗' }]);
    expect(await regions.counties(id['呼和浩特市'])).toEqual([]);
  });

  it('finds a county or prefecture by name, and says which is missing', async () => {
    expect(await regions.countyByName('2旗')).toEqual({ id: id['2旗'], name: '2旗' });
    expect(await regions.prefectureByName('呼和浩特市')).toEqual({ id: id['呼和浩特市'], name: '呼和浩特市' });
    await expect(regions.countyByName('呼和浩特市')).rejects.toThrow(new UserError('找不到旗县区“呼和浩特市”'));
    await expect(regions.prefectureByName('3旗')).rejects.toThrow(new UserError('找不到盟市“3旗”'));
  });

  it('sets and clears a county’s job rule and digest webhook, touching no other county', async () => {
    await regions.setJobRule(id['3旗'], 'group-reminder', '0 20 * * *');
    await regions.setJobRule(id['3旗'], 'weekly-digest', '0 9 * * 1');
    await regions.setJobRule(id['3旗'], 'group-reminder', null);
    await regions.setDigestWebhook(id['3旗'], 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1');
    const rows = await db.ds.query(`SELECT name, schedule, digest_webhook_url AS hook FROM region WHERE level = 'county' ORDER BY id`);
    expect(rows).toEqual([
      { name: '3旗', schedule: { 'weekly-digest': '0 9 * * 1' }, hook: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1' },
      { name: '1旗', schedule: {}, hook: null },
      { name: '2旗', schedule: {}, hook: null },
    ]);
    await regions.setDigestWebhook(id['3旗'], null);
    expect((await db.ds.query(`SELECT digest_webhook_url AS hook FROM region WHERE id = $1`, [id['3旗']]))[0].hook).toBeNull();
  });
});
