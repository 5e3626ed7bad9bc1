import { formatScope, parseScope, scopeIds } from '../../src/domain/job-scope';

describe('job scopes: one text per scope, read back the same', () => {
  it('formats each kind as the stored text', () => {
    expect(formatScope({ kind: 'county', countyId: 3 })).toBe('county:3');
    expect(formatScope({ kind: 'station', stationId: 17 })).toBe('station:17');
    expect(formatScope({ kind: 'room', roomId: '2093@chatroom' })).toBe('room:2093@chatroom');
  });

  it('parses the stored texts, a room id keeping its colons', () => {
    expect(parseScope('county:3')).toEqual({ kind: 'county', countyId: 3 });
    expect(parseScope('station:17')).toEqual({ kind: 'station', stationId: 17 });
    expect(parseScope('room:R:1@chatroom')).toEqual({ kind: 'room', roomId: 'R:1@chatroom' });
  });

  it('names no scope for an alert, an unknown kind or an id that is no positive integer', () => {
    for (const text of [
      'alert:wechat-logout:7',
      'county:',
      'county:03',
      'county:-1',
      'county:1.5',
      'station:x',
      'room:',
      'county',
      '',
      'county:99999999999',
    ]) {
      expect([text, parseScope(text)]).toEqual([text, null]);
    }
  });

  it('groups the ids of stored texts by kind, each once', () => {
    expect(scopeIds(['county:3', 'room:a@chatroom', 'county:3', 'station:9', 'alert:x', 'county:4'])).toEqual({
      county: [3, 4],
      station: [9],
      room: ['a@chatroom'],
    });
  });
});
