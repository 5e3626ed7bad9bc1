import { connect } from 'node:net';
import { loadConfig } from '../../src/config';
import { startConsole, type ConsoleFixture } from '../support/console';

/**
 * Node's server timeouts, from configuration (small ones here): a request whose body or headers
 * never finish is answered 408 and its connection closed, instead of being held for minutes.
 */
describe('HTTP server timeouts (real Koa server, PostgreSQL)', () => {
  let fx: ConsoleFixture;

  beforeAll(async () => {
    fx = await startConsole(new Date('2026-11-25T04:00:00Z'), {
      HTTP_HEADERS_TIMEOUT_MS: '200',
      HTTP_REQUEST_TIMEOUT_MS: '300',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '200',
    });
  });

  afterAll(async () => {
    await fx?.stop();
  });

  /** Sends `head` and then nothing more; resolves with what the server answered once it closes the connection. */
  const holdOpen = (head: string): Promise<{ answer: string; closed: boolean }> =>
    new Promise((resolve) => {
      const socket = connect(Number(new URL(fx.base).port), '127.0.0.1');
      let answer = '';
      // Far beyond the configured deadlines: reaching it means the server kept the connection.
      const guard = setTimeout(() => {
        socket.destroy();
        resolve({ answer, closed: false });
      }, 10_000);
      socket.on('data', (d) => (answer += d.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearTimeout(guard);
        resolve({ answer, closed: true });
      });
      socket.write(head);
    });

  it('cuts a request whose body never finishes (408, connection closed)', async () => {
    const r = await holdOpen(
      'POST /api/v1/session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name":"it",',
    );
    expect(r.closed).toBe(true);
    expect(r.answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('cuts a request whose headers never finish', async () => {
    const r = await holdOpen('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    expect(r.closed).toBe(true);
    expect(r.answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('answers a whole request, then closes the idle keep-alive connection', async () => {
    const r = await holdOpen('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
    expect(r.closed).toBe(true);
    expect(r.answer).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('refuses headers that may take longer than the whole request, naming the variable', () => {
    expect(() => loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '5000', HTTP_REQUEST_TIMEOUT_MS: '1000' })).toThrow(/HTTP_HEADERS_TIMEOUT_MS/);
    expect(() => loadConfig({ HTTP_REQUEST_TIMEOUT_MS: 'soon' })).toThrow(/HTTP_REQUEST_TIMEOUT_MS/);
  });
});
