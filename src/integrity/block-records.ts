import crypto from 'node:crypto';
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';

/**
 * A block's chain records (evtrail-chain/2), as one COPY writes them to a file: whether they came
 * in seq order, and if not, the block's digest over them in seq order; at ingest, each event's
 * own hash (evtrail-event/1) read out of them. A record is `seq ":" form "\n"`, and the form's header line (its fields' byte lengths,
 * `-` for NULL) says where the form ends, whatever bytes its fields hold.
 *
 * The COPYs write blocks in the table's own order, without ORDER BY: the walk here reads every
 * record's seq anyway, so when they did not rise (a join in an ingest's INSERT moves a few rows
 * of a block: Message DB's causation join 14 of 16 blocks per 1M, a reject's as-of join 2) it
 * takes the digest over the records in seq order itself, re-reading the file's runs of records
 * that are already in order (when they rose, the file's own SHA-256 is the digest). Each form is hashed with OpenSSL (SHA instructions): ≈ 1 µs per
 * event, against ≈ 4 µs of CPU for DuckDB's sha256 over forms it would build a second time.
 */

/**
 * What a walk of a block file found: whether its records came in seq order (then the file's own
 * SHA-256, hashFile, is the block's digest), else the digest over them in seq order; and the
 * number of event hashes written.
 */
export interface BlockRecords {
  ordered: boolean;
  inSeqOrder?: string;
  hashed: number;
}

/** Event hashes to write: for the records with seq > above, `seq,hash\n` lines to the open file out. */
export interface EventHashesTo {
  above: number;
  out: number;
}

/** Walks a block's records file (a COPY of no rows may write none: no records, in order). */
export function readBlockRecords(file: string, hashes?: EventHashesTo, chunkBytes = CHUNK_BYTES): BlockRecords {
  if (!fs.existsSync(file)) return { ordered: true, hashed: 0 };
  const fd = fs.openSync(file, 'r');
  const walk = new RecordWalk(hashes);
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
      const used = walk.records(bytes, offset, file);
      bytes.copyWithin(0, used);
      carried = bytes.length - used;
      offset += used;
    }
    if (carried > 0) throw new Error(`chain records in ${file}: the last record is cut short`);
    const hashed = walk.finish();
    return walk.ordered ? { ordered: true, hashed } : { ordered: false, inSeqOrder: walk.digestInSeqOrder(fd), hashed };
  } finally {
    fs.closeSync(fd);
  }
}

/** The SHA-256 of a whole file, as it is: a block's digest when its records came in seq order. */
export function hashFile(file: string): string {
  return hashFileInto(file, crypto.createHash('sha256')).digest('hex');
}

/** Feeds a file's bytes to a hash (a block's running SHA-256, going on from the records before them). */
export function hashFileInto(file: string, hash: crypto.Hash): crypto.Hash {
  if (!fs.existsSync(file)) return hash;
  const buffer = chunkBuffer(CHUNK_BYTES);
  const fd = fs.openSync(file, 'r');
  try {
    for (let n: number; (n = fs.readSync(fd, buffer, 0, buffer.length, null)) > 0;) hash.update(buffer.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return hash;
}

/**
 * One pass over a block file: where each record is (to digest them in seq order when they did
 * not come so), and the event hashes.
 */
class RecordWalk {
  ordered = true;
  private seqs = new Float64Array(1024);
  private offsets = new Float64Array(1024);
  private lengths = new Float64Array(1024);
  private n = 0;
  private readonly lines: LineSink | undefined;

  constructor(private readonly hashes?: EventHashesTo) {
    this.lines = hashes ? new LineSink(hashes.out) : undefined;
  }

  /** Walks the whole records at the start of bytes (at `offset` in the file); returns where the first cut one begins. */
  records(bytes: Buffer, offset: number, file: string): number {
    const bad = (what: string) => new Error(`chain records in ${file}: ${what}`);
    let start = 0;
    while (start < bytes.length) {
      let p = start;
      let seq = 0;
      for (;;) {
        const c = bytes[p++];
        if (c === undefined) return start;
        if (c === 0x3a) break;
        if (c < 0x30 || c > 0x39) throw bad(`bad seq at byte ${offset + p - 1}`);
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
      this.add(seq, offset + start, end + 1 - start);
      if (this.hashes && seq > this.hashes.above) this.lines!.add(seq, crypto.hash('sha256', bytes.subarray(form, end), 'hex'));
      start = end + 1;
    }
    return start;
  }

  /** The digest over the records in seq order, read again from the file. */
  digestInSeqOrder(fd: number): string {
    const hash = crypto.createHash('sha256');
    // Consecutive records in seq order that are also consecutive in the file are read as one
    // run: a block with a few rows out of place is a few dozen reads, not one per record.
    const order = this.seqOrder();
    let buffer = Buffer.allocUnsafe(1 << 20);
    const read = (from: number, length: number) => {
      if (length > buffer.length) buffer = Buffer.allocUnsafe(length);
      for (let got = 0; got < length;) {
        const n = fs.readSync(fd, buffer, got, length - got, from + got);
        if (n === 0) throw new Error('chain records: the block file ended early');
        got += n;
      }
      hash.update(buffer.subarray(0, length));
    };
    let runStart = -1;
    let runEnd = -1;
    for (const i of order) {
      const at = this.offsets[i]!;
      if (at === runEnd && runEnd - runStart + this.lengths[i]! <= RUN_BYTES) {
        runEnd += this.lengths[i]!;
        continue;
      }
      if (runStart >= 0) read(runStart, runEnd - runStart);
      runStart = at;
      runEnd = at + this.lengths[i]!;
    }
    if (runStart >= 0) read(runStart, runEnd - runStart);
    return hash.digest('hex');
  }

  /** Writes what is left of the event hashes; returns how many were written. */
  finish(): number {
    this.lines?.flush();
    return this.lines?.count ?? 0;
  }

  private add(seq: number, offset: number, length: number): void {
    if (this.n > 0 && seq <= this.seqs[this.n - 1]!) this.ordered = false;
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
    // Repeated seqs (only in a store edited by hand): in seq order, ties as they came.
    return Array.from({ length: this.n }, (_, i) => i).sort((a, b) => this.seqs[a]! - this.seqs[b]! || a - b);
  }
}

/** The longest run read at once when re-reading records in seq order. */
const RUN_BYTES = 16 << 20;
const CHUNK_BYTES = 8 << 20;

let reusable: Buffer | undefined;
function chunkBuffer(bytes: number): Buffer {
  if (reusable?.length !== bytes) reusable = Buffer.allocUnsafe(bytes);
  return reusable;
}

/** `seq,hash\n` lines into a buffer, written to the file when full. */
class LineSink {
  count = 0;
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

/** A block file to walk (the worker's message); `job` names it in the answer. */
export interface BlockRequest {
  job: number;
  file: string;
  /** Write the hashes of the events with seq > this one (none when absent). */
  above?: number;
}

/**
 * Walks block files, one after another, for their order and into one `seq,hash` file (`out`):
 * in a worker thread, while DuckDB writes the next block on the other core and this thread
 * hashes the files as they are, when evtrail runs built (dist/) and there is enough to walk to
 * pay for starting one; else in this thread (the TypeScript sources, as the tests run them, have
 * no compiled worker). Each file is removed once walked. At most `AHEAD` blocks wait (each holds
 * a block's records on disk).
 */
export class BlockReader {
  private worker: Worker | undefined;
  private readonly fd: number;
  private readonly waiting: Promise<void>[] = [];
  private readonly replies: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  private failure: unknown;
  /** The digests, by job, of the blocks whose records did not come in seq order. */
  readonly inSeqOrder = new Map<number, string>();
  /** Whether any event hash was written to `out`. */
  hashed = false;

  constructor(readonly out: string, private readonly events: number) {
    this.fd = fs.openSync(out, 'wx', 0o600);
  }

  /** The worker, started with the first block (verify may walk none). */
  private start(): Worker | undefined {
    if (this.worker || this.events < WORKER_EVENTS) return this.worker;
    const script = new URL('./block-records-worker.js', import.meta.url);
    if (!fs.existsSync(script)) return undefined;
    const worker = new Worker(script, { workerData: { fd: this.fd } });
    worker.on('message', (m: { job: number; records?: BlockRecords; error?: string }) => {
      const reply = this.replies.shift();
      if (m.error !== undefined) {
        this.failure ??= new Error(m.error);
        reply?.reject(this.failure);
      } else {
        this.took(m.job, m.records!);
        reply?.resolve();
      }
    });
    const died = (error: unknown) => {
      this.failure ??= error;
      for (const reply of this.replies.splice(0)) reply.reject(this.failure);
    };
    worker.on('error', died);
    worker.on('exit', (code) => died(new Error(`block reader worker stopped (exit ${code})`)));
    this.worker = worker;
    return worker;
  }

  /** Queues a block file; waits while AHEAD blocks are queued already. */
  async add(request: BlockRequest): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    const worker = this.start();
    if (!worker) {
      this.took(request.job, readBlock(request, this.fd));
      return;
    }
    this.waiting.push(new Promise<void>((resolve, reject) => this.replies.push({ resolve, reject })));
    worker.postMessage(request);
    while (this.waiting.length > AHEAD) await this.waiting.shift();
  }

  private took(job: number, records: BlockRecords): void {
    if (!records.ordered) this.inSeqOrder.set(job, records.inSeqOrder!);
    if (records.hashed > 0) this.hashed = true;
  }

  /** Waits for every queued block: inSeqOrder and the hashes file are complete after this. */
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

/** One request, in whichever thread: the block walked, its file removed. */
export function readBlock(request: BlockRequest, out: number): BlockRecords {
  try {
    return readBlockRecords(request.file, request.above === undefined ? undefined : { above: request.above, out });
  } finally {
    fs.rmSync(request.file, { force: true });
  }
}

/**
 * Fewer events than this are read in this thread (a worker takes ≈ 30 ms to start).
 * EVTRAIL_HASH_WORKER_EVENTS sets it (the tests use the worker on small stores with 0).
 */
const WORKER_EVENTS = Number(process.env.EVTRAIL_HASH_WORKER_EVENTS ?? 100_000);
const AHEAD = 2;
