import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/config';
import { parsePeriod } from '../../src/domain/periods';
import { findKepuLinksInText } from '../../src/domain/kepu-links';
import { JobRunner } from '../../src/jobs/runner';
import { createLogger } from '../../src/logger';
import { createServices, type Services } from '../../src/services';
import { ContentTitleService, type TitleWanted } from '../../src/services/content-titles.service';
import { joinRoster } from '../../src/services/roster-history';
import { createTestDatabase, type TestDatabase } from '../support/db';

const log = createLogger('silent');
const NOW = new Date('2026-11-23T01:00:00Z');

/** A local stand-in for www.kepuchina.cn: a page with a title, a slow one, a huge one, JSON, a redirect away. */
function fakeSite(): Promise<{ server: Server; origin: string; hits: Map<string, number> }> {
  const hits = new Map<string, number>();
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (path.startsWith('/article/') || path.startsWith('/tuwendetail')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        '<!doctype html><html><head><meta charset="utf-8"><title>\n  冬季防火 &amp; 用电安全 - 科普中国网\n</title></head><body>…</body></html>',
      );
    } else if (path === '/slow') {
      // Answers the headers, then never finishes the page.
      res.writeHead(200, { 'content-type': 'text/html' });
      res.write('<html><head>');
    } else if (path === '/huge') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<html><head><!-- ${'x'.repeat(300 * 1024)} --><title>太靠后了</title></head></html>`);
    } else if (path === '/json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"title":"不是网页"}');
    } else if (path === '/away') {
      res.writeHead(302, { location: 'http://example.com/elsewhere' });
      res.end();
    } else {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<title>404</title>');
    }
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits })),
  );
}

describe('titles of items shared only as a bare URL', () => {
  let db: TestDatabase;
  let site: Awaited<ReturnType<typeof fakeSite>>;
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    CONTENT_TITLE_FETCH: 'true',
    CONTENT_TITLE_TIMEOUT_MS: '500',
    CONTENT_TITLE_MAX_KB: '64',
  });
  /** The service with the item's page on the fake site (same path, same query). */
  const titles = (fetch = true) =>
    new ContentTitleService(
      db.ds,
      { ...config.contentTitles, fetch },
      config.links,
      log,
      (u) => new URL(`${u.pathname}${u.search}`, site.origin),
    );
  const item = (path: string, key: string): TitleWanted => ({ contentKey: key, url: `https://www.kepuchina.cn${path}`, title: null });
  const stored = async (key: string) =>
    (await db.ds.query(`SELECT title, outcome FROM content_title WHERE content_key = $1`, [key]))[0] as
      { title: string | null; outcome: string } | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    site = await fakeSite();
  });
  afterAll(async () => {
    site.server.closeAllConnections();
    site.server.close();
    await db.close();
  });

  it('reads the <title> once, decodes entities and collapses white space, and keeps it', async () => {
    const wanted = [item('/article/articleinfo?ar_id=7', 'kepu:item:7')];
    expect(await titles().fill(wanted, NOW)).toBe(1);
    expect(await stored('kepu:item:7')).toEqual({ title: '冬季防火 & 用电安全 - 科普中国网', outcome: 'found' });
    expect(await titles().fill(wanted, NOW)).toBe(0);
    expect(site.hits.get('/article/articleinfo?ar_id=7')).toBe(1);
  });

  it('gives up on a page that does not finish in time, and tries it again only a day later', async () => {
    const started = Date.now();
    expect(await titles().fill([item('/slow', 'kepu:item:slow')], NOW)).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await stored('kepu:item:slow')).toEqual({ title: null, outcome: 'failed' });
    await titles().fill([item('/slow', 'kepu:item:slow')], new Date(NOW.getTime() + 3600_000));
    expect(site.hits.get('/slow')).toBe(1);
    await titles().fill([item('/slow', 'kepu:item:slow')], new Date(NOW.getTime() + 25 * 3600_000));
    expect(site.hits.get('/slow')).toBe(2);
  });

  it('reads at most CONTENT_TITLE_MAX_KB of a page, only HTML, and follows no redirect off Kepu China', async () => {
    await titles().fill(
      [item('/huge', 'kepu:item:huge'), item('/json', 'kepu:item:json'), item('/away', 'kepu:item:away'), item('/gone', 'kepu:item:gone')],
      NOW,
    );
    expect(await stored('kepu:item:huge')).toEqual({ title: null, outcome: 'none' });
    expect(await stored('kepu:item:json')).toEqual({ title: null, outcome: 'none' });
    expect(await stored('kepu:item:away')).toEqual({ title: null, outcome: 'none' });
    expect(await stored('kepu:item:gone')).toEqual({ title: null, outcome: 'none' });
  });

  it('fetches nothing when CONTENT_TITLE_FETCH is off, nor for items a card named or hosts not of Kepu China', async () => {
    expect(await titles(false).fill([item('/article/off', 'kepu:item:off')], NOW)).toBe(0);
    expect(await titles().fill([{ ...item('/article/named', 'kepu:item:named'), title: '卡片标题' }], NOW)).toBe(0);
    expect(await titles().fill([{ contentKey: 'kepu:item:x', url: 'https://evil.example.com/article/x', title: null }], NOW)).toBe(0);
    expect(site.hits.get('/article/off')).toBeUndefined();
    expect(site.hits.get('/article/named')).toBeUndefined();
    expect(
      await db.ds.query(`SELECT content_key FROM content_title WHERE content_key IN ('kepu:item:off', 'kepu:item:named', 'kepu:item:x')`),
    ).toEqual([]);
    expect(loadConfig({}).contentTitles.fetch).toBe(false);
  });

  describe('in the weekly digest', () => {
    let services: Services;
    beforeAll(async () => {
      services = createServices(db.ds, config);
      services.titles = titles();
      const station = await services.stations.add({ name: '标题站', county: '标题旗' });
      await db.ds.query(`UPDATE station SET counting_from = '2026-11-01' WHERE id = $1`, [station.id]);
      await db.ds.query(`INSERT INTO wechat_group (room_id, topic, station_id, bound_at) VALUES ('t@chatroom', '标题群', $1, now())`, [
        station.id,
      ]);
      const [{ id }] = await db.ds.query(
        `INSERT INTO informant (station_id, name, wechat_contact_id) VALUES ($1, '读者', 'tc-1') RETURNING id`,
        [station.id],
      );
      await joinRoster(db.ds, [id], '2026-11-01');
      const [link] = findKepuLinksInText('https://m.kepuchina.cn/tuwendetail?id=990001');
      await services.shares.record({
        messageId: 'm-title-1',
        roomId: 't@chatroom',
        talkerId: 'tc-1',
        talkerName: '读者',
        link,
        sentAt: new Date('2026-11-18T02:00:00Z'),
      });
      await services.shares.flush();
    });

    it('shows the page title, fetched before the digest is planned, not the bare URL', async () => {
      const runner = new JobRunner(db.ds, services, config, log);
      const [county] = await db.ds.query(`SELECT id FROM region WHERE name = '标题旗'`);
      const [run] = await runner.run('weekly-digest', parsePeriod('2026-W47')!, NOW, { countyIds: [county.id], dryRun: true });
      const text = run.waiting[0].message.payload.text;
      expect(text).toContain('1. 冬季防火 & 用电安全 - 科普中国网：1 人转发到 1 个群，有效转发 1 条');
      expect(text).not.toContain('https://m.kepuchina.cn');
      expect(site.hits.get('/tuwendetail?id=990001')).toBe(1);
    });
  });
});
