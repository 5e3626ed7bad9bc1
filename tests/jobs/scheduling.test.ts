import { createDeliver } from '../../src/channels/outbound';
import { OutboxMessage } from '../../src/db/entities';
import { parsePeriod } from '../../src/domain/periods';
import { createLogger } from '../../src/logger';
import { createServices } from '../../src/services';
import { openDataSource } from '../../src/db/data-source';
import { JobRunner } from '../../src/jobs/runner';
import { OutboxWorker } from '../../src/jobs/outbox';
import { startHarness, type BotHarness } from '../support/harness';

const log = createLogger('silent');
const ROOM = 'room-sched@chatroom';
const A = { id: 'wx-a', name: '阿明' };
const B = { id: 'wx-b', name: '白雪' };
const C = { id: 'wx-c', name: '陈刚' };
// 2026-11-25 19:30 in Asia/Shanghai
const EVENING = new Date('2026-11-25T11:30:00Z');
const throttle = { intervalMs: 1500, jitterMs: 0, dailyCap: 100, quiet: { start: 22 * 60 + 30, end: 7 * 60 + 30 }, zone: 'Asia/Shanghai' };

describe('scheduled jobs, exactly once (injected clock, real PostgreSQL, Wechaty on the mock puppet)', () => {
  let h: BotHarness;
  let runner: JobRunner;
  let stationId: number;

  beforeEach(async () => {
    h = await startHarness({}, EVENING);
    h.world(ROOM, '城关科普群', [A, B, C]);
    const seeded = await h.seedStation({
      station: '城关社区e站',
      roomId: ROOM,
      informants: [
        { name: A.name, contactId: A.id },
        { name: B.name, contactId: B.id },
        { name: C.name, contactId: C.id },
        { name: '丁未绑' },
      ],
    });
    stationId = seeded.stationId;
    const [a, b] = seeded.informants;
    await h.db.ds.query(
      `INSERT INTO daily_rollup (informant_id, day, station_id, raw_shares, effective_shares) VALUES ($1, '2026-11-25', $3, 4, 3), ($2, '2026-11-25', $3, 1, 1)`,
      [a.id, b.id, stationId],
    );
    runner = new JobRunner(h.db.ds, h.services, h.config, log);
  });
  afterEach(async () => {
    await h.stop();
  });

  const outbox = () => h.db.ds.getRepository(OutboxMessage).find({ order: { id: 'ASC' } });
  const worker = (random = () => 0) => new OutboxWorker(h.db.ds, createDeliver({ bot: h.bot }), throttle, log, random);

  it('the evening reminder @-mentions the bound informants under quota with how many more each needs', async () => {
    const [run] = await runner.fire('group-reminder', await allCounties(h), EVENING);
    expect(run).toMatchObject({ job: 'group-reminder', scope: `room:${ROOM}`, period: '2026-11-25', state: 'planned' });
    const [msg] = await outbox();
    expect(msg.payload.mentions).toEqual([C.id, B.id]);
    expect(msg.payload.text).toContain('陈刚 还差 3 条');
    expect(msg.payload.text).toContain('白雪 还差 2 条');
    expect(msg.payload.text).not.toContain('阿明');
    expect(msg.payload.text).not.toContain('丁未绑');

    expect(await worker().tick(EVENING)).toBe('sent');
    await h.settle();
    const said = h.sent.filter((s) => s.conversationId === ROOM);
    expect(said).toHaveLength(1);
    expect(said[0].mentions).toEqual([C.id, B.id]);
    expect(said[0].text).toContain('陈刚 还差 3 条');
  });

  it('sends nothing to a group where everyone met the quota', async () => {
    await h.db.ds.query(
      `INSERT INTO daily_rollup (county_id, informant_id, day, station_id, raw_shares, effective_shares)
       SELECT county_id, id, '2026-11-25', station_id, 3, 3 FROM informant WHERE wechat_contact_id IN ($1, $2)
       ON CONFLICT (county_id, informant_id, day) DO UPDATE SET effective_shares = 3`,
      [B.id, C.id],
    );
    const [run] = await runner.fire('group-reminder', await allCounties(h), EVENING);
    expect(run.messages).toEqual([]);
    expect(await outbox()).toEqual([]);
  });

  it('runs once per (job, scope, period): again, and from a second instance at the same time', async () => {
    const other = await openDataSource({ url: h.db.url, poolSize: 2 });
    try {
      const second = new JobRunner(other, createServices(other, h.config), h.config, log);
      const counties = await allCounties(h);
      const [r1, r2] = await Promise.all([
        runner.fire('group-reminder', counties, EVENING),
        second.fire('group-reminder', counties, EVENING),
      ]);
      expect([r1[0].state, r2[0].state].sort()).toEqual(['already', 'planned']);
      expect((await runner.fire('group-reminder', counties, EVENING))[0].state).toBe('already');
      expect(await outbox()).toHaveLength(1);
      const runs = await runner.listRuns();
      expect(runs).toEqual([expect.objectContaining({ job: 'group-reminder', period: '2026-11-25', queued: 1, sent: 0 })]);
    } finally {
      await other.destroy();
    }
  });

  it('a run whose sending died half way resumes after a restart and sends the rest once', async () => {
    h.world('room-2@chatroom', '二群', [A]);
    h.world('room-3@chatroom', '三群', [A]);
    await h.db.ds.query(
      `INSERT INTO wechat_group (room_id, topic, station_id) VALUES ('room-2@chatroom', '二群', $1), ('room-3@chatroom', '三群', $1)`,
      [stationId],
    );
    await runner.fire('group-reminder', await allCounties(h), EVENING);
    expect(await outbox()).toHaveLength(3);
    const first = worker();
    expect(await first.tick(EVENING)).toBe('sent');
    // The process dies while sending the second message: the row is left 'sending'.
    await h.db.ds.query(
      `UPDATE outbox_message SET state = 'sending', sent_at = $1, attempts = 1 WHERE id = (SELECT min(id) FROM outbox_message WHERE state = 'queued')`,
      [new Date(EVENING.getTime() + 1600)],
    );
    // Restart: a new worker recovers, then drains.
    const restarted = worker();
    expect(await restarted.recover()).toBe(1);
    const later = new Date(EVENING.getTime() + 60_000);
    expect(await restarted.tick(later)).toBe('sent');
    expect(await restarted.tick(new Date(later.getTime() + 5000))).toBe('idle');
    await h.settle();
    const rooms = h.sent.filter((s) => s.mentions).map((s) => s.conversationId);
    expect(rooms).toHaveLength(2);
    expect(new Set(rooms).size).toBe(2);
    expect((await outbox()).map((o) => o.state).sort()).toEqual(['sent', 'sent', 'uncertain']);
    // And planning again (a restarted scheduler firing late) queues nothing new.
    await runner.fire('group-reminder', await allCounties(h), later);
    expect(await outbox()).toHaveLength(3);
  });

  it('spaces WeChat sends by the interval, also across a restart, holds them in quiet hours and expires stale reminders', async () => {
    h.world('room-2@chatroom', '二群', [A]);
    await h.db.ds.query(`INSERT INTO wechat_group (room_id, topic, station_id) VALUES ('room-2@chatroom', '二群', $1)`, [stationId]);
    await runner.fire('group-reminder', await allCounties(h), EVENING);
    const w = worker();
    const t = EVENING.getTime();
    expect(await w.tick(new Date(t))).toBe('sent');
    expect(await w.tick(new Date(t + 500))).toBe('throttled');
    const held = (await outbox()).find((o) => o.state === 'queued')!;
    expect(held.dueAt.getTime()).toBe(t + 1500);
    // A restarted worker reads the last send from PostgreSQL and keeps the spacing.
    expect(await worker().tick(new Date(t + 1000))).toBe('idle');
    expect(await worker().tick(new Date(t + 1500))).toBe('sent');

    // Quiet hours: a ranking queued at 22:40 waits until 07:30 and then is no longer worth sending.
    await h.db.ds.query(`DELETE FROM outbox_message`);
    const late = new Date('2026-11-25T14:40:00Z'); // 22:40
    await runner.run('group-ranking', parsePeriod('2026-11-25')!, late);
    expect(await w.tick(late)).toBe('expired');
  });

  it('the ranking lists the day’s top informants and how many met the quota, with a PNG card', async () => {
    const [run] = await runner.run('group-ranking', parsePeriod('2026-11-25')!, EVENING);
    const [msg] = run.messages;
    expect(msg.payload.text).toContain('城关社区e站 11月25日科普转发排行');
    expect(msg.payload.text).toContain('1. 阿明 3 条');
    expect(msg.payload.text).toContain('2. 白雪 1 条');
    expect(msg.payload.text).toContain('今天 1 / 4 人完成每天 3 条');
    const png = Buffer.from(msg.payload.file!.base64, 'base64');
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(720); // width from the IHDR chunk
    // The text and the card are two WeChat messages, spaced by the interval. The card fails once:
    // it is retried alone, the text is not said again.
    const sendFile = h.puppet.messageSendFile;
    let failures = 1;
    h.puppet.messageSendFile = async (...args) => {
      if (failures-- > 0) throw new Error('upload failed');
      return sendFile(...args);
    };
    const w = worker();
    const t = EVENING.getTime();
    expect(await w.tick(new Date(t))).toBe('sent');
    expect(await w.tick(new Date(t))).toBe('throttled');
    expect(await w.tick(new Date(t + 1500))).toBe('retry');
    expect(await w.tick(new Date(t + 1500 + 30_000))).toBe('sent');
    expect(await w.tick(new Date(t + 1500 + 60_000))).toBe('idle');
    await h.settle();
    expect(h.sent.filter((s) => s.conversationId === ROOM).map((s) => s.file ?? 'text')).toEqual(['text', 'ranking-2026-11-25.png']);
  });

  it('catches up missed runs that are still useful, and skips those that are not', async () => {
    // Down from Monday morning to 10:00: the weekly digest and the monthly check of the 25th (both still
    // useful) run; last evening's reminder and ranking do not.
    const monday = new Date('2026-11-30T02:00:00Z'); // Monday 10:00
    await h.db.ds.query(
      `UPDATE region SET digest_webhook_url = 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k' WHERE name = '测试旗'`,
    );
    const caught = await runner.catchUp(monday);
    // The station has no manager yet: its activity check waits for one (pending) instead of being used up.
    expect(caught.map((r) => `${r.job} ${r.period} ${r.state}`)).toEqual([
      'weekly-digest 2026-W48 planned',
      'monthly-check 2026-11 pending',
    ]);
    expect(await runner.catchUp(monday)).toEqual([]);
    // Down over 19:30 but back at 20:10 the same evening: the reminder is still useful (and so is
    // the digest of the week before, which this fresh database never sent).
    const evening = new Date('2026-11-25T12:10:00Z');
    expect((await runner.catchUp(evening)).map((r) => `${r.job} ${r.period}`)).toEqual([
      'group-reminder 2026-11-25',
      'weekly-digest 2026-W47',
    ]);
  });
});

async function allCounties(h: BotHarness): Promise<number[]> {
  const rows: Array<{ id: number }> = await h.db.ds.query(`SELECT id FROM region WHERE level = 'county'`);
  return rows.map((r) => r.id);
}
