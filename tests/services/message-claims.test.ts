import { MessageClaims } from '../../src/services/message-claims';
import { createTestDatabase, type TestDatabase } from '../support/db';

describe('MessageClaims: a group message is acted on once (real PostgreSQL)', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.close();
  });

  const now = new Date('2026-11-22T02:00:00Z');

  it('gives a key to the first of many claimants at once (two processes: two services on one database)', async () => {
    const a = new MessageClaims(db.ds);
    const b = new MessageClaims(db.ds);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).claim('mk1-same', 'command', now)));
    expect(results.filter(Boolean)).toHaveLength(1);
    // The prompt of the same message is another claim; another message is another key.
    expect(await a.claim('mk1-same', 'prompt', now)).toBe(true);
    expect(await b.claim('mk1-same', 'prompt', now)).toBe(false);
    expect(await b.claim('mk1-other', 'command', now)).toBe(true);
  });

  it('forgets claims after a day, and prunes by itself at most every ten minutes', async () => {
    const claims = new MessageClaims(db.ds);
    await db.ds.query('DELETE FROM message_claim');
    await claims.claim('mk1-old', 'command', now);
    const later = new Date(now.getTime() + 24 * 3600_000 + 1000);
    expect(await claims.claim('mk1-new', 'command', later)).toBe(true);
    const keys: Array<{ key: string }> = await db.ds.query('SELECT key FROM message_claim ORDER BY key');
    expect(keys.map((k) => k.key)).toEqual(['mk1-new:command']);
    expect(await claims.prune(later)).toBe(0);
  });
});
