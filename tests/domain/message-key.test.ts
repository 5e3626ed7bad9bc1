import { messageKeyOf, RecentKeys, type MessageFacts } from '../../src/domain/message-key';

const base: MessageFacts = {
  roomId: 'room-a@chatroom',
  senderId: 'wx-zhang',
  sentAt: new Date('2026-11-22T02:00:05.120Z'),
  kind: 'text',
  content: 'https://m.kepuchina.cn/tuwendetail?id=7',
};

describe('message key', () => {
  it('is the same for what two accounts see alike, down to the second', () => {
    const a = messageKeyOf(base);
    expect(a).toMatch(/^mk1-[A-Za-z0-9_-]{43}$/);
    expect(messageKeyOf({ ...base, sentAt: new Date('2026-11-22T02:00:05.999Z') })).toBe(a);
    expect(messageKeyOf({ ...base, sentAt: new Date('2026-11-22T02:00:05.000Z') })).toBe(a);
  });

  it('differs when any fact differs', () => {
    const a = messageKeyOf(base);
    const others = [
      { ...base, roomId: 'room-b@chatroom' },
      { ...base, senderId: 'wx-li' },
      { ...base, sentAt: new Date('2026-11-22T02:00:06.000Z') },
      { ...base, kind: 'url' as const },
      { ...base, content: 'https://m.kepuchina.cn/tuwendetail?id=8' },
    ].map(messageKeyOf);
    expect(new Set([a, ...others]).size).toBe(6);
  });

  it('cannot be made to collide by moving text between fields', () => {
    const x = messageKeyOf({ ...base, roomId: 'r', senderId: 'ab' });
    const y = messageKeyOf({ ...base, roomId: 'ra', senderId: 'b' });
    expect(x).not.toBe(y);
  });

  it('keeps a share id (key#n) within share_event.message_id (128)', () => {
    expect(`${messageKeyOf({ ...base, content: 'x'.repeat(100_000) })}#10`.length).toBeLessThanOrEqual(128);
  });
});

describe('recent keys', () => {
  it('forgets the least recently used beyond its capacity', () => {
    const r = new RecentKeys<number>(2);
    r.set('a', 1);
    r.set('b', 2);
    expect(r.get('a')).toBe(1); // a is now the most recent
    r.set('c', 3);
    expect(r.get('b')).toBeUndefined();
    expect(r.get('a')).toBe(1);
    expect(r.get('c')).toBe(3);
    expect(r.size).toBe(2);
  });
});
