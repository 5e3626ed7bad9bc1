import { createHash } from 'node:crypto';
import { AuditLog } from '../../src/db/entities';
import { AuditService, fitText } from '../../src/services/audit.service';
import { createTestDatabase, type TestDatabase } from '../support/db';

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

describe('AuditService: recording never fails on long or odd input (real PostgreSQL)', () => {
  let db: TestDatabase;
  let audit: AuditService;

  beforeAll(async () => {
    db = await createTestDatabase();
    audit = new AuditService(db.ds);
  });
  afterAll(async () => {
    await db.close();
  });

  const last = async () => (await db.ds.getRepository(AuditLog).find({ order: { id: 'DESC' }, take: 1 }))[0];

  it('stores short input whole, without hashes', async () => {
    await audit.record({
      channel: 'wecom',
      senderId: 'zhangsan',
      senderName: '张三',
      listenerId: 'station.month',
      command: '本月',
      outcome: 'ok',
    });
    expect(await last()).toMatchObject({ senderId: 'zhangsan', command: '本月', senderIdSha256: null, commandSha256: null });
  });

  it('truncates a 300-character sender id and a long command to their columns and keeps the originals’ SHA-256', async () => {
    const senderId = `wxid_${'a'.repeat(295)}`;
    const command = `活动 ${'冬季防火😀'.repeat(1000)}`;
    await audit.record({
      channel: 'wechat-private-channel-with-a-long-name',
      senderId,
      senderName: '名'.repeat(500),
      listenerId: `listener.${'x'.repeat(100)}`,
      command,
      outcome: 'invalid',
      detail: 'd'.repeat(10_000),
    });
    const row = await last();
    expect(row.senderId).toBe(senderId.slice(0, 128));
    expect(row.senderIdSha256).toBe(sha256(senderId));
    expect([...row.command]).toHaveLength(2000);
    expect(command.startsWith(row.command)).toBe(true);
    expect(row.commandSha256).toBe(sha256(command));
    expect(row.senderName).toHaveLength(128);
    expect(row.listenerId).toHaveLength(64);
    expect(row.channel).toHaveLength(16);
    expect(row.detail).toHaveLength(2000);
  });

  it('drops NUL characters PostgreSQL text cannot hold, and hashes the original', async () => {
    const command = '本月\u0000\u0000';
    await audit.record({ channel: 'mp', senderId: 'o\u0000penid', listenerId: 'station.month', command, outcome: 'ok' });
    expect(await last()).toMatchObject({
      senderId: 'openid',
      command: '本月',
      commandSha256: sha256(command),
      senderIdSha256: sha256('o\u0000penid'),
    });
  });

  it('fitText counts characters as varchar does (a surrogate pair is one)', () => {
    expect(fitText('😀😀😀', 2)).toBe('😀😀');
    expect(fitText('abc', 5)).toBe('abc');
  });
});
