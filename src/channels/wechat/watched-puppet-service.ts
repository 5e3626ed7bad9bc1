import { connect } from 'node:net';
import { PuppetService } from 'wechaty-puppet-service';

/** The part of wechaty-puppet-service's GrpcManager (not exported) that carries the event stream's fate. */
interface GrpcEventSource {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the shape of the library's own EventEmitter signature
  on(event: string, listener: (...args: any[]) => void): unknown;
}

/** A puppet that can tell the moment its connection to the puppet service is lost. */
export interface ConnectionWatchable {
  /** Calls `listener` once per connection when it is lost; returns a function that stops listening. */
  onConnectionLost(listener: (reason: string) => void): () => void;
}

export function isConnectionWatchable(x: unknown): x is ConnectionWatchable {
  return typeof (x as Partial<ConnectionWatchable>)?.onConnectionLost === 'function';
}

/** A short, non-personal description of a gRPC stream error or status (its code only). */
function describeGrpc(x: unknown): string {
  const code = (x as { code?: unknown })?.code;
  return typeof code === 'number' ? `gRPC code ${code}` : 'no code';
}

/**
 * The puppet-service client, plus a signal the moment its gRPC event stream ends, fails or
 * closes with a non-OK status. The stock client only forwards the stream's errors as `error`
 * events and otherwise waits for the puppet watchdog (60 s without a heartbeat) to reset it;
 * kepubot reconnects on this signal instead (see WechatRuntime).
 */
export class WatchedPuppetService extends PuppetService implements ConnectionWatchable {
  private readonly lostListeners = new Set<(reason: string) => void>();

  onConnectionLost(listener: (reason: string) => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  protected override bridgeGrpcEventStream(client: GrpcEventSource): void {
    super.bridgeGrpcEventStream(client as never);
    let reported = false;
    const lost = (reason: string): void => {
      if (reported) return;
      reported = true;
      for (const listener of [...this.lostListeners]) listener(reason);
    };
    client.on('end', () => lost('event stream ended'));
    client.on('cancel', () => lost('event stream cancelled'));
    client.on('error', (err: unknown) => lost(`event stream error (${describeGrpc(err)})`));
    client.on('status', (status: unknown) => {
      if ((status as { code?: number })?.code !== 0) lost(`event stream closed (${describeGrpc(status)})`);
    });
  }
}

/**
 * A quick TCP check of a puppet service endpoint (host:port). Starting the puppet-service client
 * against a dead endpoint costs about 5 s (its start/stop state machine waits that long before
 * giving up), so each reconnection attempt probes first and backs off cheaply while it is down.
 */
export function tcpProbe(endpoint: string, timeoutMs = 2000): () => Promise<void> {
  const i = endpoint.lastIndexOf(':');
  const host = endpoint.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(endpoint.slice(i + 1));
  return () =>
    new Promise<void>((resolve, reject) => {
      const socket = connect({ host, port });
      const done = (err?: Error): void => {
        socket.destroy();
        if (err) reject(err);
        else resolve();
      };
      socket.setTimeout(timeoutMs, () => done(new Error(`puppet service ${endpoint}: no answer within ${timeoutMs} ms`)));
      socket.once('connect', () => done());
      socket.once('error', (err) => done(new Error(`puppet service ${endpoint}: ${(err as NodeJS.ErrnoException).code ?? err.message}`)));
    });
}
