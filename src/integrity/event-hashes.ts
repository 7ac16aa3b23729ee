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
  /**
   * When not ordered: the block's digest over its records taken in seq order (each record read
   * again where the walk found it), the digest a COPY … ORDER BY seq would have given.
   */
  digest?: string;
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
    let offset = 0; // the file offset of buffer[0]
    for (;;) {
      if (carried === buffer.length) buffer = Buffer.concat([buffer, Buffer.allocUnsafe(buffer.length)]); // one record larger than the buffer
      const n = fs.readSync(fd, buffer, carried, buffer.length - carried, null);
      if (n === 0) break;
      const bytes = buffer.subarray(0, carried + n);
      const used = hashWholeRecords(bytes, offset, above, sink, file);
      bytes.copyWithin(0, used);
      carried = bytes.length - used;
      offset += used;
    }
    if (carried > 0) throw new Error(`chain records in ${file}: the last record is cut short`);
    sink.flush();
    if (sink.ordered) return { count: sink.count, ordered: true };
    return { count: sink.count, ordered: false, digest: sink.records.digestInSeqOrder(fd, offset) };
  } finally {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  }
}

/**
 * Where each record of a block file is (seq, offset, length with its newline), to digest the
 * records in seq order when the file did not hold them so: the COPYs of an ingest write blocks
 * in the table's order, and a join in the ingest's INSERT (Message DB's causation) leaves a few
 * rows of most blocks out of place. Taking the digest in seq order here (the file read once
 * more from the page cache, one hash update per record) costs less than DuckDB writing the
 * block again sorted; sorting every ingest's rows by seq in the INSERT ran out of memory at 10M.
 */
class RecordIndex {
  private seqs = new Float64Array(1024);
  private offsets = new Float64Array(1024);
  private lengths = new Float64Array(1024);
  private n = 0;

  add(seq: number, offset: number, length: number): void {
    if (this.n === this.seqs.length) {
      const grow = (a: Float64Array) => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.seqs = grow(this.seqs);
      this.offsets = grow(this.offsets);
      this.lengths = grow(this.lengths);
    }
    this.seqs[this.n] = seq;
    this.offsets[this.n] = offset;
    this.lengths[this.n] = length;
    this.n++;
  }

  digestInSeqOrder(fd: number, size: number): string {
    const hash = crypto.createHash('sha256');
    const order = this.seqOrder();
    if (size <= WHOLE_FILE_BYTES) {
      // The block's file in one buffer (it is in the page cache), hashed record by record.
      const bytes = wholeFileBuffer(size);
      for (let got = 0; got < size;) {
        const n = fs.readSync(fd, bytes, got, size - got, got);
        if (n === 0) throw new Error('chain records: the block file ended early');
        got += n;
      }
      for (const i of order) hash.update(bytes.subarray(this.offsets[i]!, this.offsets[i]! + this.lengths[i]!));
      return hash.digest('hex');
    }
    let buffer = Buffer.allocUnsafe(1 << 16);
    for (const i of order) {
      const length = this.lengths[i]!;
      if (length > buffer.length) buffer = Buffer.allocUnsafe(length);
      for (let got = 0; got < length;) {
        const n = fs.readSync(fd, buffer, got, length - got, this.offsets[i]! + got);
        if (n === 0) throw new Error('chain records: the block file ended early');
        got += n;
      }
      hash.update(buffer.subarray(0, length));
    }
    return hash.digest('hex');
  }

  /** The records' indexes in seq order: placed by seq when the seqs are a run without repeats. */
  private seqOrder(): ArrayLike<number> & Iterable<number> {
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < this.n; i++) {
      min = Math.min(min, this.seqs[i]!);
      max = Math.max(max, this.seqs[i]!);
    }
    if (max - min + 1 === this.n) {
      const order = new Int32Array(this.n).fill(-1);
      let run = true;
      for (let i = 0; i < this.n && run; i++) {
        const at = this.seqs[i]! - min;
        if (order[at] !== -1) run = false;
        else order[at] = i;
      }
      if (run) return order;
    }
    return Array.from({ length: this.n }, (_, i) => i).sort((a, b) => this.seqs[a]! - this.seqs[b]! || a - b);
  }
}

/** Block files up to this size are read whole to be hashed in seq order (the typical is ≈ 28 MB). */
const WHOLE_FILE_BYTES = 256 << 20;
let wholeFile: Buffer | undefined;
function wholeFileBuffer(size: number): Buffer {
  if (!wholeFile || wholeFile.length < size) wholeFile = Buffer.allocUnsafe(Math.max(size, 32 << 20));
  return wholeFile;
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
  readonly records = new RecordIndex();
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

/**
 * Hashes the whole records at the start of bytes (at `offset` in the file); returns where the
 * first cut one begins.
 */
function hashWholeRecords(bytes: Buffer, offset: number, above: number, sink: LineSink, file: string): number {
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
    sink.records.add(seq, offset + start, end + 1 - start);
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
  /** The jobs whose records were not in seq order: their digest over the records in seq order. */
  readonly reordered = new Map<number, string>();

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
    if (!hashed.ordered) this.reordered.set(job, hashed.digest!);
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
