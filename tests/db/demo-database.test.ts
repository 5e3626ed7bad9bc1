import path from 'node:path';
import { Client } from 'pg';
import { compose } from '../../src/compose';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { createEmptyDatabase, createTestDatabase } from '../support/db';
import { LogCapture, dataDir } from '../support/processes';

const count = async (url: string, sql: string): Promise<number> => {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return Number((await c.query(sql)).rows[0].n);
  } finally {
    await c.end();
  }
};

const dropDatabase = async (name: string): Promise<void> => {
  const c = new Client({ connectionString: process.env.KEPUBOT_TEST_ADMIN_URL });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await c.end();
};

/** Demo mode (no puppet service) never touches real data: the demo county lives in a database of its own. */
describe('the demo database', () => {
  it('with DATABASE_URL: seeds <database>_demo (created when missing), logs its name but no credentials, leaves the real one empty', async () => {
    const real = await createTestDatabase();
    await real.ds.destroy();
    const logs = new LogCapture();
    const dir = dataDir('kepubot-demo-');
    const config = loadConfig({ DATABASE_URL: real.url, KEPUBOT_DATA_DIR: dir, PORT: '0', LOG_LEVEL: 'info' });
    const app = await compose(config, {
      log: createLogger('info', 'kepubot', logs),
      http: false,
      scheduler: false,
      resilience: false,
      demoTraffic: false,
    });
    const name = `${new URL(real.url).pathname.slice(1)}_demo`;
    try {
      const [{ db }]: Array<{ db: string }> = await app.ds.query('SELECT current_database() AS db');
      expect(db).toBe(name);
      expect(await count(real.url.replace(/\/[^/]*$/, `/${name}`), `SELECT count(*) AS n FROM station`)).toBe(4);
      // The real database (migrated by the test setup) holds no demo row.
      expect(await count(real.url, `SELECT count(*) AS n FROM station`)).toBe(0);
      expect(await count(real.url, `SELECT count(*) AS n FROM region`)).toBe(0);
      expect(app.config.resilience.spoolDir).toBe(path.join(dir, 'demo', 'spool'));
      const line = logs.lines.map((l) => JSON.parse(l) as { msg: string; database?: string }).find((l) => l.msg.startsWith('demo mode'));
      expect(line?.database).toBe(name);
      expect(logs.text()).not.toContain(new URL(real.url).password || 'no-password-in-url');
    } finally {
      await app.stop();
      await real.close();
      await dropDatabase(name);
    }
  });

  it('with DEMO_DATABASE_URL: the demo uses that database', async () => {
    const real = await createEmptyDatabase();
    const demo = await createEmptyDatabase();
    const config = loadConfig({
      DATABASE_URL: real.url,
      DEMO_DATABASE_URL: demo.url,
      KEPUBOT_DATA_DIR: dataDir('kepubot-demo-'),
      PORT: '0',
    });
    const app = await compose(config, {
      log: createLogger('silent'),
      http: false,
      scheduler: false,
      resilience: false,
      demoTraffic: false,
    });
    try {
      expect(await count(demo.url, `SELECT count(*) AS n FROM station WHERE name = '城关社区e站'`)).toBe(1);
      expect(await count(real.url, `SELECT count(*) AS n FROM pg_tables WHERE tablename = 'station'`)).toBe(0);
    } finally {
      await app.stop();
      await real.drop();
      await demo.drop();
    }
  });

  it('a bad DEMO_DATABASE_URL stops start-up naming the variable', () => {
    expect(() => loadConfig({ DEMO_DATABASE_URL: 'mysql://x' })).toThrow(/DEMO_DATABASE_URL/);
  });
});
