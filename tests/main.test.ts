import { loadConfig } from '../src/config';
import { compose, type Kepubot } from '../src/compose';
import { createLogger } from '../src/logger';
import { createTestDatabase, type TestDatabase } from './support/db';
import { waitFor } from './support/processes';

function counterValue(metricsText: string, name: string): number {
  const line = metricsText.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

describe('kepubot with nothing configured but the database: the demo', () => {
  let db: TestDatabase;
  let kepubot: Kepubot;

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.ds.destroy();
    const config = loadConfig({ DATABASE_URL: db.url, PORT: '0', DEMO_MESSAGE_INTERVAL_MS: '50', LOG_LEVEL: 'silent' });
    kepubot = await compose(config, { log: createLogger('silent') });
  });

  afterAll(async () => {
    await kepubot?.stop();
    await db.close();
  });

  it('answers /healthz with 200 and counts demo shares, visible on /metrics', async () => {
    const base = `http://127.0.0.1:${kepubot.port}`;
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ database: 'up', bot: { mode: 'demo', loggedIn: true } });

    const counted = await waitFor(async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      const n = counterValue(text, 'kepubot_shares_counted_total');
      return n >= 3 ? n : undefined;
    }, 'demo shares to be counted');
    expect(counted).toBeGreaterThanOrEqual(3);

    // The live demo's shares, besides the seeded quarter of history (message ids demo-h-…).
    const [{ n }] = await kepubot.ds.query(`SELECT count(*)::int AS n FROM share_event WHERE message_id NOT LIKE 'demo-h-%'`);
    expect(n).toBeGreaterThanOrEqual(3);
    const stations = await kepubot.services.stations.list();
    expect(stations.map((s) => s.name).sort()).toEqual(['人民医院e站', '城关社区e站', '第一中学e站', '红旗嘎查e站']);
    // 26 + 16 + 22 + 14 members, every one on a roster (the unbound ones too).
    const [{ informants }] = await kepubot.ds.query(`SELECT count(*)::int AS informants FROM informant`);
    expect(informants).toBe(78);
  });
});
