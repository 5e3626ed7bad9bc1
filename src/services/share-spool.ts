import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import lockfile from 'proper-lockfile';
import type { Logger } from '../logger';
import type { ShareInput } from '../domain/shares';

/**
 * One spooled share, as one JSON line: an array in a fixed order (message id, room, sender id,
 * sender name, content key, url, title, kind, sent at in epoch ms). An array serialises about
 * twice as fast as an object with names. The spool lives under the data directory next to the
 * database files and holds the same data (mode 0600).
 */
type SpoolRecord = [string, string, string, string, string, string, string | null, ShareInput['link']['kind'], number];

function toLine(s: ShareInput): string {
  const r: SpoolRecord = [
    s.messageId,
    s.roomId,
    s.talkerId,
    s.talkerName,
    s.link.contentKey,
    s.link.url,
    s.link.title ?? null,
    s.link.kind,
    s.sentAt.getTime(),
  ];
  return JSON.stringify(r);
}

function fromRecord(r: SpoolRecord): ShareInput {
  return {
    messageId: r[0],
    roomId: r[1],
    talkerId: r[2],
    talkerName: r[3],
    link: { contentKey: r[4], url: r[5], title: r[6] ?? undefined, kind: r[7] } as ShareInput['link'],
    sentAt: new Date(r[8]),
  };
}

/** The spool is over its size cap: the share cannot be kept. */
export class SpoolFullError extends Error {}

interface PendingAppend {
  bytes: Buffer;
  count: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

const SEGMENT = /^segment-(\d{12})\.jsonl$/;

/**
 * A durable, append-only spool for shares that could not be written to PostgreSQL.
 *
 * Why a plain file: an append followed by fdatasync is the cheapest durable write there is,
 * needs no native module, and a crash can at worst leave one torn last line, which is
 * detectable (no trailing newline / not JSON) and was never acknowledged. Concurrent appends are
 * group-committed: everything queued while one fdatasync runs goes out in the next write.
 *
 * Segments (`segment-000000000001.jsonl`, ...) are drained oldest first and deleted only after
 * every record in them was committed to PostgreSQL; a crash mid-drain replays the segment,
 * which the share_event unique message id makes harmless.
 */
function lockRetries(waitMs: number): { retries: number; minTimeout: number; maxTimeout: number; factor: number } | number {
  if (waitMs <= 0) return 0;
  const step = Math.min(1000, waitMs);
  return { retries: Math.ceil(waitMs / step), minTimeout: step, maxTimeout: step, factor: 1 };
}

export class ShareSpool {
  private current: FileHandle | null = null;
  private currentSeq = 0;
  private currentBytes = 0;
  private writing: Promise<void> | null = null;
  private queue: PendingAppend[] = [];
  /** Records and bytes in segments not yet drained (including the open one). */
  private records = 0;
  private bytes = 0;
  private opened = false;
  private unlock: (() => Promise<void>) | null = null;
  /** Writes and fdatasyncs done (group commits), for the benchmark. */
  syncs = 0;

  constructor(
    readonly dir: string,
    private readonly options: { maxBytes: number; segmentBytes?: number; lockWaitMs?: number },
    private readonly log?: Logger,
  ) {}

  /** Opens the spool directory and counts what an earlier run left in it. */
  async open(): Promise<void> {
    if (this.opened) return;
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    // One kepubot server per spool: another one draining would delete segments this one appends to.
    try {
      this.unlock = await lockfile.lock(this.dir, {
        lockfilePath: path.join(this.dir, 'spool.lock'),
        // A server killed hard leaves its lock behind; it goes stale 15 s after the last refresh,
        // and a restart waits that long instead of failing (systemd/Docker restart at once).
        stale: 15_000,
        retries: lockRetries(this.options.lockWaitMs ?? 20_000),
        // proper-lockfile throws from a timer by default, which would kill the server (or a test
        // run whose directory was removed). A lost lock is worth an error line, not a crash: the
        // spool's own files are still intact and appends go on.
        onCompromised: (err) => {
          this.unlock = null;
          this.log?.error({ err }, 'the share spool lock was lost; another process may now take the spool');
        },
      });
    } catch (err) {
      if ((err as { code?: string }).code === 'ELOCKED') {
        throw new Error(`another kepubot server uses the share spool in ${this.dir}: give each server its own KEPUBOT_DATA_DIR`);
      }
      throw err;
    }
    let records = 0;
    let bytes = 0;
    for (const seg of await this.segments()) {
      const file = path.join(this.dir, seg.name);
      bytes += (await stat(file)).size;
      for await (const _ of this.readSegment(file)) records++;
      this.currentSeq = Math.max(this.currentSeq, seg.seq);
    }
    this.records = records;
    this.bytes = bytes;
    this.opened = true;
    if (records > 0) this.log?.warn({ records, bytes }, 'spooled shares from an earlier run wait to be written');
  }

  /** Shares waiting in the spool (in its files, and appends not yet written). */
  get depth(): number {
    return this.records + this.queuedRecords;
  }

  get sizeBytes(): number {
    return this.bytes + this.queuedBytes;
  }

  /** Appends queued or being written: not in `records`/`bytes` until they are on disk. */
  private queuedRecords = 0;
  private queuedBytes = 0;
  /** Serialises file operations: a group's write + fdatasync, and the drain's rotation and recount. */
  private fileOp: Promise<unknown> = Promise.resolve();

  private withFile<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.fileOp.then(fn);
    this.fileOp = run.catch(() => undefined);
    return run;
  }

  /** Appends shares durably (resolves after fdatasync). Throws SpoolFullError past the cap. */
  append(shares: ShareInput[]): Promise<void> {
    if (!this.opened) return Promise.reject(new Error('the spool is not open'));
    if (shares.length === 0) return Promise.resolve();
    const bytes = Buffer.from(shares.map(toLine).join('\n') + '\n', 'utf8');
    if (this.sizeBytes + bytes.length > this.options.maxBytes) {
      return Promise.reject(new SpoolFullError(`the share spool is full (${this.sizeBytes} of ${this.options.maxBytes} bytes)`));
    }
    this.queuedBytes += bytes.length;
    this.queuedRecords += shares.length;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ bytes, count: shares.length, resolve, reject });
      if (!this.writing) this.writing = this.writeLoop();
    });
  }

  private async writeLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const group = this.queue.splice(0, this.queue.length);
        const count = group.reduce((n, g) => n + g.count, 0);
        const buf = group.length === 1 ? group[0].bytes : Buffer.concat(group.map((g) => g.bytes));
        try {
          await this.withFile(async () => {
            const fh = await this.handle();
            await fh.write(buf, 0, buf.length, null);
            await fh.datasync();
          });
          this.syncs++;
          this.currentBytes += buf.length;
          this.records += count;
          this.bytes += buf.length;
          for (const g of group) g.resolve();
        } catch (err) {
          // Not acknowledged. Part of it may be in the file: the drain's recount sees it.
          for (const g of group) g.reject(err);
          await this.withFile(() => this.closeCurrent());
        } finally {
          this.queuedRecords -= count;
          this.queuedBytes -= buf.length;
        }
      }
    } finally {
      this.writing = null;
    }
  }

  private async handle(): Promise<FileHandle> {
    const limit = this.options.segmentBytes ?? 16 * 1024 * 1024;
    if (this.current && this.currentBytes >= limit) await this.closeCurrent();
    if (!this.current) {
      this.currentSeq++;
      this.current = await open(this.segmentPath(this.currentSeq), 'a', 0o600);
      this.currentBytes = 0;
    }
    return this.current;
  }

  private async closeCurrent(): Promise<void> {
    const fh = this.current;
    this.current = null;
    if (fh) await fh.close().catch(() => undefined);
  }

  private segmentPath(seq: number): string {
    return path.join(this.dir, `segment-${String(seq).padStart(12, '0')}.jsonl`);
  }

  private async segments(): Promise<Array<{ name: string; seq: number }>> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    return names
      .map((name) => ({ name, m: SEGMENT.exec(name) }))
      .filter((x): x is { name: string; m: RegExpExecArray } => x.m !== null)
      .map((x) => ({ name: x.name, seq: Number(x.m[1]) }))
      .sort((a, b) => a.seq - b.seq);
  }

  private async *readSegment(file: string, warn = true): AsyncGenerator<ShareInput> {
    const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
    for await (const line of lines) {
      if (line.length === 0) continue;
      let record: SpoolRecord;
      try {
        record = JSON.parse(line) as SpoolRecord;
        if (!Array.isArray(record) || record.length !== 9) throw new Error('not a spool record');
      } catch {
        // A torn last line from a crash during a write that was never acknowledged.
        if (warn) this.log?.warn({ file: path.basename(file) }, 'skipped an unreadable line in the share spool');
        continue;
      }
      yield fromRecord(record);
    }
  }

  /**
   * Writes everything spooled, oldest first, in batches through `write`; a segment is deleted
   * once all its batches committed. Stops (leaving the rest) when `write` throws or `shouldStop`
   * says so. Returns how many shares were written.
   */
  async drain(write: (batch: ShareInput[]) => Promise<void>, batchSize: number, shouldStop: () => boolean = () => false): Promise<number> {
    // New appends go to a new segment while the older ones drain (rotated between two group writes).
    const upTo = await this.withFile(async () => {
      await this.closeCurrent();
      return this.currentSeq;
    });
    let written = 0;
    try {
      written = await this.drainSegments(upTo, write, batchSize, shouldStop);
    } finally {
      await this.recount();
    }
    return written;
  }

  /** Counts what the segment files hold now (between two group writes). */
  private recount(): Promise<void> {
    return this.withFile(async () => {
      let records = 0;
      let bytes = 0;
      for (const seg of await this.segments()) {
        const file = path.join(this.dir, seg.name);
        bytes += (await stat(file).catch(() => ({ size: 0 }))).size;
        for await (const _ of this.readSegment(file, false)) records++;
      }
      this.records = records;
      this.bytes = bytes;
    });
  }

  private async drainSegments(
    upTo: number,
    write: (batch: ShareInput[]) => Promise<void>,
    batchSize: number,
    shouldStop: () => boolean,
  ): Promise<number> {
    let written = 0;
    for (const seg of await this.segments()) {
      if (seg.seq > upTo) break;
      const file = path.join(this.dir, seg.name);
      const size = (await stat(file)).size;
      let batch: ShareInput[] = [];
      let inSegment = 0;
      for await (const share of this.readSegment(file)) {
        batch.push(share);
        if (batch.length >= batchSize) {
          if (shouldStop()) return written;
          await write(batch);
          written += batch.length;
          inSegment += batch.length;
          batch = [];
        }
      }
      if (batch.length > 0) {
        if (shouldStop()) return written;
        await write(batch);
        written += batch.length;
        inSegment += batch.length;
      }
      await rm(file, { force: true });
      this.records = Math.max(0, this.records - inSegment);
      this.bytes = Math.max(0, this.bytes - size);
    }
    return written;
  }

  /** Waits for appends in flight, closes the open segment and lets another process take the spool. */
  async close(): Promise<void> {
    while (this.writing) await this.writing;
    await this.withFile(() => this.closeCurrent());
    await this.unlock?.().catch(() => undefined);
    this.unlock = null;
  }
}
