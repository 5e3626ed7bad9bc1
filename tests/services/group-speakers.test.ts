import { runCli } from '../../src/cli';
import { UserError } from '../../src/errors';
import { GroupSpeakers } from '../../src/services/group-speakers.service';
import { createTestDatabase, type TestDatabase } from '../support/db';

/**
 * The speaker election in SQL, on a real PostgreSQL: accounts and leases as the pool writes them,
 * group memberships as the channel records them.
 */
describe('GroupSpeakers: one speaker per group, failover, pin (real PostgreSQL)', () => {
  let db: TestDatabase;
  let speakers: GroupSpeakers;
  const ids: Record<string, number> = {};

  const speakerOf = async (room: string) => {
    const id = await speakers.speakerOf(room);
    return Object.entries(ids).find(([, v]) => v === id)?.[0] ?? null;
  };
  const set = (name: string, sql: string) => db.ds.query(`UPDATE bot_account SET ${sql} WHERE id = $1`, [ids[name]]);
  const heartbeat = (name: string, secondsAgo: number) =>
    db.ds.query(`UPDATE bot_account_lease SET heartbeat_at = now() - make_interval(secs => $2) WHERE account_id = $1`, [
      ids[name],
      secondsAgo,
    ]);

  beforeAll(async () => {
    db = await createTestDatabase();
    speakers = new GroupSpeakers(db.ds, 7);
    for (const name of ['a1', 'a2', 'a3']) {
      const [row]: Array<{ id: number }> = await db.ds.query(
        `INSERT INTO bot_account (name, source, logged_in, state) VALUES ($1, 'test', true, 'online') RETURNING id`,
        [name],
      );
      ids[name] = row.id;
      await db.ds.query(
        `INSERT INTO bot_account_lease (account_id, holder, fencing_token, heartbeat_at, acquired_at) VALUES ($1, 'p1', 1, now(), now())`,
        [row.id],
      );
    }
    await db.ds.query(
      `INSERT INTO wechat_group (room_id, topic) VALUES ('r1@chatroom', '一群'), ('r2@chatroom', '二群'), ('r3@chatroom', '三群'), ('r4@chatroom', '同名'), ('r5@chatroom', '同名')`,
    );
  });
  afterAll(async () => {
    await db.close();
  });
  // The pool heartbeats every few seconds; on a slow machine a test may take longer than the stale limit.
  const beatAll = () => db.ds.query(`UPDATE bot_account_lease SET heartbeat_at = now()`);
  beforeEach(beatAll);

  it('gives each group with a healthy account one speaker (the lowest id), and none where no account is', async () => {
    await speakers.listed(ids.a2, ['r1@chatroom', 'r2@chatroom']);
    await speakers.listed(ids.a1, ['r1@chatroom']);
    const changes = await speakers.elect();
    expect(changes.map((c) => c.roomId).sort()).toEqual(['r1@chatroom', 'r2@chatroom']);
    expect([await speakerOf('r1@chatroom'), await speakerOf('r2@chatroom'), await speakerOf('r3@chatroom')]).toEqual(['a1', 'a2', null]);
    // Idempotent: nothing moves on a second run.
    expect(await speakers.elect()).toEqual([]);
  });

  it('moves the speaker when it logs out, and keeps the new one when the old comes back', async () => {
    await set('a1', 'logged_in = false');
    await speakers.elect();
    expect(await speakerOf('r1@chatroom')).toBe('a2');
    await set('a1', 'logged_in = true');
    await speakers.elect();
    expect(await speakerOf('r1@chatroom')).toBe('a2');
  });

  it('moves it when its process stops heartbeating for longer than the stale limit, or it is paused or removed', async () => {
    await heartbeat('a2', 8);
    await speakers.elect();
    expect([await speakerOf('r1@chatroom'), await speakerOf('r2@chatroom')]).toEqual(['a1', null]);
    await heartbeat('a2', 0);
    await speakers.elect();
    expect([await speakerOf('r1@chatroom'), await speakerOf('r2@chatroom')]).toEqual(['a1', 'a2']);
    await set('a1', 'paused = true');
    await speakers.elect();
    expect(await speakerOf('r1@chatroom')).toBe('a2');
    await set('a1', 'paused = false');
    // Reconnecting to the puppet service (the gRPC stream is down): it cannot speak.
    await set('a2', `state = 'reconnecting'`);
    await speakers.elect();
    expect(await speakerOf('r1@chatroom')).toBe('a1');
    await set('a2', `state = 'online'`);
  });

  it('lets the operator pin a speaker: it speaks whenever it is healthy, another stands in meanwhile', async () => {
    await speakers.listed(ids.a3, ['r1@chatroom']);
    const pinned = await speakers.pin('一群', 'a3');
    expect(pinned.topic).toBe('一群');
    expect(await speakerOf('r1@chatroom')).toBe('a3');
    await speakers.restrict(ids.a3, new Date(Date.now() + 3600_000));
    expect(await speakerOf('r1@chatroom')).toBe('a1');
    await speakers.restrict(ids.a3, null);
    expect(await speakerOf('r1@chatroom')).toBe('a3');
    await speakers.pin('r1@chatroom', null);
    expect(await speakerOf('r1@chatroom')).toBe('a3');
    const [g]: Array<{ speaker_pinned_account_id: number | null }> = await db.ds.query(
      `SELECT speaker_pinned_account_id FROM wechat_group WHERE room_id = 'r1@chatroom'`,
    );
    expect(g.speaker_pinned_account_id).toBeNull();
  });

  it('refuses a pin to an unknown account, an account not in the group, an unknown or ambiguous group', async () => {
    await expect(speakers.pin('一群', 'nobody')).rejects.toThrow(UserError);
    await expect(speakers.pin('二群', 'a3')).rejects.toThrow('不在群');
    await expect(speakers.pin('没有的群', 'a1')).rejects.toThrow('没有群');
    await expect(speakers.pin('同名', 'a1')).rejects.toThrow('r4@chatroom、r5@chatroom');
  });

  it('records leaving: an account that left (or no longer lists the room) speaks there no more', async () => {
    await speakers.left('r1@chatroom', ids.a3);
    await speakers.elect();
    expect(await speakerOf('r1@chatroom')).toBe('a1');
    // a2 now lists r2 only: it has left r1.
    await speakers.listed(ids.a2, ['r2@chatroom']);
    const rows: Array<{ account_id: number; present: boolean; left: boolean }> = await db.ds.query(
      `SELECT account_id, present, left_at IS NOT NULL AS left FROM group_account WHERE room_id = 'r1@chatroom' ORDER BY account_id`,
    );
    expect(rows).toEqual([
      { account_id: ids.a1, present: true, left: false },
      { account_id: ids.a2, present: false, left: true },
      { account_id: ids.a3, present: false, left: true },
    ]);
    // Heard again: present again.
    await speakers.heard('r1@chatroom', ids.a3, new Date());
    const views = (
      await speakers.accountsOf([(await db.ds.query(`SELECT id FROM wechat_group WHERE room_id = 'r1@chatroom'`))[0].id])
    ).values();
    expect([...views][0].map((v) => [v.accountName, v.present, v.speaker, v.healthy, v.lastHeardAt !== null])).toEqual([
      ['a1', true, true, true, false],
      ['a3', true, false, true, true],
      ['a2', false, false, true, false],
    ]);
  });

  it('agrees with itself when several processes run the election at once', async () => {
    await set('a1', 'logged_in = false');
    const other = new GroupSpeakers(db.ds, 7);
    const runs = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? speakers : other).elect()));
    const moved = runs.flat().filter((c) => c.roomId === 'r1@chatroom');
    expect(moved).toEqual([expect.objectContaining({ roomId: 'r1@chatroom', accountId: ids.a3 })]);
    expect(await speakerOf('r1@chatroom')).toBe('a3');
  });
  it('kepubot group speaker pins and unpins, and says who speaks now', async () => {
    const cli = async (...argv: string[]) => {
      await beatAll();
      const out: string[] = [];
      const code = await runCli(argv, { DATABASE_URL: db.url, LOG_LEVEL: 'silent' }, { out: (l) => out.push(l), err: (l) => out.push(l) });
      return { code, out: out.join('\n') };
    };
    // a1 is logged out: pinned, it waits; a3 goes on speaking meanwhile.
    expect(await cli('group', 'speaker', '一群', 'a1')).toEqual({ code: 0, out: '已指定“a1”在群“一群”发言，现在由“a3”发言' });
    await set('a1', 'logged_in = true');
    await beatAll();
    await speakers.elect();
    expect(await speakerOf('r1@chatroom')).toBe('a1');
    expect(await cli('group', 'speaker', 'r1@chatroom', '--unpin')).toEqual({ code: 0, out: '已取消群“一群”的指定发言号，现在由“a1”发言' });
    expect((await cli('group', 'speaker', '一群')).out).toContain('请给出微信号名称');
    expect((await cli('group', 'speaker', '一群', 'a1', '--unpin')).code).not.toBe(0);
    expect((await cli('group', 'speaker', '二群', 'a3')).out).toContain('微信号“a3”不在群“二群”里');
  });
});
