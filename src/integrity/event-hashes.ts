import crypto from 'node:crypto';
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';

/**
 * The events' own hashes (evtrail-event/1), read out of the chain records an ingest writes for
 * its blocks anyway (chain-store.ts): a record is `seq ":" form "\n"`, and the form's header
 * line (its fields' byte lengths, `-` for NULL) says where the form ends, whatever bytes its
 * fields hold. Each form is hashed with OpenSSL (SHA instructions): ≈ 1 µs per event here,
 * against ≈ 4 µs of CPU for DuckDB's sha256 over forms it would build a second time. Blocks are
 * hashed in a worker thread while DuckDB writes the next block's records on the other core.
 */

/** What hashing a block's records found: hashes written, and whether the seqs rose throughout. */
export interface HashedRecords {
  count: number;
  /** Every record's seq above the one before: the file was in seq order (its digest stands). */
  ordered: boolean;
}

/**
 * Appends `seq,hash\n` to `out` (an open file) for each record of `file` with seq > above, then
 * removes `file`. Reads in chunks (a record cut by a chunk's end is carried over).
 */
export function hashRecordsFile(file: string, above: number, out: number, chunkBytes = CHUNK_BYTES): HashedRecords {
  if (!fs.existsSync(file)) return { count: 0, ordered: true }; // a COPY of no rows may write no file
  const fd = fs.openSync(file, 'r');
  const sink = new LineSink(out);
  try {
    // One buffer for the whole file (and the next: fresh pages cost a fault each): each read
    // goes after the bytes of a record the last chunk cut, moved to its start.
    let buffer = chunkBuffer(chunkBytes);
    let carried = 0;
    for (;;) {
      if (carried === buffer.length) buffer = Buffer.concat([buffer, Buffer.allocUnsafe(buffer.length)]); // one record larger than the buffer
      const n = fs.readSync(fd, buffer, carried, buffer.length - carried, null);
      if (n === 0) break;
      const bytes = buffer.subarray(0, carried + n);
      const used = hashWholeRecords(bytes, above, sink, file);
      bytes.copyWithin(0, used);
      carried = bytes.length - used;
    }
    if (carried > 0) throw new Error(`chain records in ${file}: the last record is cut short`);
    sink.flush();
  } finally {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  }
  return { count: sink.count, ordered: sink.ordered };
}

let reusable: Buffer | undefined;
function chunkBuffer(bytes: number): Buffer {
  if (reusable?.length !== bytes) reusable = Buffer.allocUnsafe(bytes);
  return reusable;
}

const CHUNK_BYTES = 8 << 20;

/** `seq,hash\n` lines into a buffer, written to the file when full; and the records' order. */
class LineSink {
  count = 0;
  ordered = true;
  lastSeq = -1;
  private readonly buffer = Buffer.allocUnsafe(1 << 20);
  private offset = 0;

  constructor(private readonly fd: number) {}

  add(seq: number, hash: string): void {
    // ≤ 16 digits, a comma, 64 hex digits, a newline.
    if (this.offset + 82 > this.buffer.length) this.flush();
    this.offset += this.buffer.write(`${seq},${hash}\n`, this.offset, 'latin1');
    this.count++;
  }

  flush(): void {
    for (let done = 0; done < this.offset;) done += fs.writeSync(this.fd, this.buffer, done, this.offset - done);
    this.offset = 0;
  }
}

/** Hashes the whole records at the start of bytes; returns where the first cut one begins. */
function hashWholeRecords(bytes: Buffer, above: number, sink: LineSink, file: string): number {
  const bad = (what: string) => new Error(`chain records in ${file}: ${what}`);
  let start = 0;
  while (start < bytes.length) {
    let p = start;
    let seq = 0;
    for (;;) {
      const c = bytes[p++];
      if (c === undefined) return start;
      if (c === 0x3a) break;
      if (c < 0x30 || c > 0x39) throw bad(`bad seq at byte ${p - 1}`);
      seq = seq * 10 + (c - 0x30);
    }
    const form = p;
    let body = 0;
    let field = 0;
    for (;;) {
      const c = bytes[p++];
      if (c === undefined) return start;
      if (c === 0x0a) break;
      if (c === 0x2c) {
        body += field;
        field = 0;
      } else if (c !== 0x2d) {
        if (c < 0x30 || c > 0x39) throw bad(`bad form header in the record of seq ${seq}`);
        field = field * 10 + (c - 0x30);
      }
    }
    const end = p + body + field;
    if (end >= bytes.length) return start;
    if (bytes[end] !== 0x0a) throw bad(`the record of seq ${seq} does not end where its header says`);
    if (seq <= sink.lastSeq) sink.ordered = false;
    sink.lastSeq = seq;
    if (seq > above) sink.add(seq, crypto.hash('sha256', bytes.subarray(form, end), 'hex'));
    start = end + 1;
  }
  return start;
}

/** A block's records to hash (the worker's message); `job` names it in the answer. */
export interface HashRequest {
  job: number;
  file: string;
  above: number;
}

/**
 * Hashes block files into one `seq,hash` file, one block after another: in a worker thread when
 * evtrail runs built (dist/) and there is enough to hash to pay for starting one, else in this
 * thread (the TypeScript sources, as the tests run them, have no compiled worker). At most
 * `AHEAD` blocks wait for it (each holds a block's records on disk).
 */
export class EventHasher {
  private readonly worker: Worker | undefined;
  private readonly fd: number;
  private readonly waiting: Promise<void>[] = [];
  private readonly replies: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  private failure: unknown;
  count = 0;
  /** The jobs whose records were not in seq order (their digests must be taken again, sorted). */
  readonly unordered: number[] = [];

  constructor(readonly out: string, events: number) {
    this.fd = fs.openSync(out, 'wx', 0o600);
    const script = new URL('./event-hash-worker.js', import.meta.url);
    if (events < WORKER_EVENTS || !fs.existsSync(script)) return;
    this.worker = new Worker(script, { workerData: { fd: this.fd } });
    this.worker.on('message', (m: { job: number; hashed?: HashedRecords; error?: string }) => {
      const reply = this.replies.shift();
      if (m.error !== undefined) {
        this.failure ??= new Error(m.error);
        reply?.reject(this.failure);
      } else {
        this.took(m.job, m.hashed!);
        reply?.resolve();
      }
    });
    const died = (error: unknown) => {
      this.failure ??= error;
      for (const reply of this.replies.splice(0)) reply.reject(this.failure);
    };
    this.worker.on('error', died);
    this.worker.on('exit', (code) => died(new Error(`event hash worker stopped (exit ${code})`)));
  }

  /** Queues a block file (removed once hashed); waits while AHEAD blocks are queued already. */
  async add(request: HashRequest): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (!this.worker) {
      this.took(request.job, hashRecordsFile(request.file, request.above, this.fd));
      return;
    }
    this.waiting.push(new Promise<void>((resolve, reject) => this.replies.push({ resolve, reject })));
    this.worker.postMessage(request);
    while (this.waiting.length > AHEAD) await this.waiting.shift();
  }

  private took(job: number, hashed: HashedRecords): void {
    this.count += hashed.count;
    if (!hashed.ordered) this.unordered.push(job);
  }

  /** Waits for every queued block; the hashes file is complete after this. */
  async finish(): Promise<void> {
    for (let next = this.waiting.shift(); next; next = this.waiting.shift()) await next;
    if (this.failure !== undefined) throw this.failure;
  }

  async close(): Promise<void> {
    // Rejections of blocks nobody waits for any more (an earlier failure) are not news.
    for (const w of this.waiting.splice(0)) w.catch(() => undefined);
    if (this.worker) {
      this.worker.removeAllListeners('exit');
      await this.worker.terminate();
    }
    fs.closeSync(this.fd);
  }
}

/**
 * Fewer new events than this are hashed in this thread (a worker takes ≈ 30 ms to start).
 * EVTRAIL_HASH_WORKER_EVENTS sets it (the tests use the worker on small stores with 0).
 */
const WORKER_EVENTS = Number(process.env.EVTRAIL_HASH_WORKER_EVENTS ?? 100_000);
const AHEAD = 2;
