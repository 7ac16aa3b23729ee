import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { UserError, firstLine } from '../core/errors.js';
import type { Store, StoreConnection } from '../store/store.js';
import { makeTempDir } from '../store/temp-dir.js';
import { chainRecordSql } from './canonical.js';
import { BlockReader, hashFile, hashFileInto } from './block-records.js';
import { BLOCK_SIZE, GENESIS, linkBlocks, type BlockDigest, type ChainBlock } from './chain.js';
import { sqlString } from '../store/sql.js';

/**
 * The chain in the store: event_hashes (seq, hash) and chain_blocks (one row per block and
 * scope; scope 0 is the whole store, scope n the events of source n). Written by the ingest
 * transactions through extendChain; read by verify and seal.
 */

/** Scope 0: the chain over every event; a source's chain has its source_id as scope. */
export const STORE_SCOPE = 0;

export interface ScopedBlock extends ChainBlock {
  scope: number;
}

export type ScopedDigest = BlockDigest & { scope: number };

export async function blockSize(store: Store): Promise<number> {
  const row = (await store.all(`SELECT value FROM evtrail_meta WHERE key = 'chain_block_size'`))[0];
  return row ? Number(row.value) : BLOCK_SIZE;
}

/** Which events the digests are over: seq > above (default all), and seq ≤ upTo when given. */
export interface DigestRange {
  above?: number;
  upTo?: number;
  /**
   * Connections digesting blocks side by side (default 1, the store's own). More only outside a
   * transaction: another connection does not see an ingest's uncommitted events.
   */
  workers?: number;
  /**
   * The digests the blocks should have (verify: the stored ones), by `${scope}:${block}`. A block
   * whose file hashes to it as written is done (the records carry their seq, so bytes that hash
   * to the digest of the seq-ordered records are those records in seq order); only one that does
   * not is walked record by record for its digest in seq order (block-records.ts).
   */
  expected?: ReadonlyMap<string, string>;
  /**
   * Also hash each event with seq > this one (its canonical form, read back out of its chain
   * record) into event_hashes (the ingest: extendChain). Without it no event hash is computed.
   */
  eventHashesAbove?: number;
  /**
   * The store's last partial block as hashed by the previous batch (RunningBlock): its records up
   * to lastSeq are not read again, the new ones go on from its SHA-256 state. Used only when
   * the block still has one source.
   */
  resume?: RunningBlock;
  /** Set to the store's last block's SHA-256 state (its records in seq order), for the next batch. */
  keepLast?: { block?: RunningBlock };
}

/** A block's SHA-256 state after its records up to lastSeq, in seq order (not finalized). */
export interface RunningBlock {
  block: number;
  lastSeq: number;
  hash: crypto.Hash;
}

/**
 * The digests (evtrail-chain/2) of the store's blocks and of each source's. A block whose events
 * all come from one source has the same digest in that source's chain, so only the few blocks
 * that mix sources (where one ingest ends and the next begins) are digested per source.
 */
export async function scopedDigests(store: Store, size: number, range: DigestRange = {}): Promise<ScopedDigest[]> {
  const inRange = `seq > ${range.above ?? 0}${range.upTo !== undefined ? ` AND seq <= ${range.upTo}` : ''}`;
  const inBlock = (block: number) => `${inRange} AND seq > ${block * size} AND seq <= ${(block + 1) * size}`;
  // Bounds and counts read seq and source_id alone (no canonical form is built here).
  const rows = await store.all(`SELECT (seq - 1) // ${size} AS block, min(seq) AS first_seq, max(seq) AS last_seq, count(*) AS events,
      min(source_id) AS min_source, max(source_id) AS max_source
    FROM events WHERE ${inRange} GROUP BY block ORDER BY block`);
  const units: { digest: ScopedDigest; where: string; sameFor?: number; seed?: crypto.Hash; keep?: boolean }[] = [];
  const mixed: number[] = [];
  const lastBlock = rows.length > 0 ? Number(rows[rows.length - 1]!.block) : -1;
  for (const r of rows) {
    const d = toBlockDigest({ ...r, scope: STORE_SCOPE, digest: '' });
    const single = Number(r.min_source) === Number(r.max_source);
    // A block whose earlier records were hashed by the last batch: only the records after them.
    const resume = range.resume && single && range.resume.block === d.block && range.resume.lastSeq >= d.firstSeq ? range.resume : undefined;
    units.push({
      digest: d, where: resume ? `${inBlock(d.block)} AND seq > ${resume.lastSeq}` : inBlock(d.block),
      ...(single ? { sameFor: Number(r.min_source) } : {}),
      ...(resume ? { seed: resume.hash } : {}),
      ...(range.keepLast && d.block === lastBlock ? { keep: true } : {}),
    });
    if (!single) mixed.push(d.block);
  }
  if (mixed.length > 0) {
    const perSource = await store.all(`SELECT source_id AS scope, (seq - 1) // ${size} AS block, min(seq) AS first_seq, max(seq) AS last_seq, count(*) AS events
      FROM events WHERE ${inRange} AND (seq - 1) // ${size} IN (${mixed.join(', ')}) GROUP BY ALL ORDER BY block, scope`);
    for (const r of perSource) {
      const d = toBlockDigest({ ...r, digest: '' });
      units.push({ digest: d, where: `${inBlock(d.block)} AND source_id = ${d.scope}` });
    }
  }
  // Event hashes come from the store's blocks only (a source's mixed block repeats its records).
  const hashAbove = range.eventHashesAbove;
  const jobs = units.map((u): DigestJob => ({
    where: u.where,
    hashAbove: hashAbove !== undefined && u.digest.scope === STORE_SCOPE ? hashAbove : undefined,
    expect: range.expected?.get(`${u.digest.scope}:${u.digest.block}`),
    ...(u.seed || u.keep ? { running: { seed: u.seed } } : {}),
  }));
  // The records read (a resumed block's new ones only): whether a worker thread walks them.
  const events = units.reduce((n, u) => n + (u.seed && range.resume ? u.digest.lastSeq - range.resume.lastSeq : u.digest.events), 0);
  const digests = await digestRecords(store, jobs, range.workers ?? 1, events);
  const out: ScopedDigest[] = [];
  units.forEach((u, i) => {
    const d = { ...u.digest, digest: digests[i]! };
    out.push(d);
    if (u.sameFor !== undefined) out.push({ ...d, scope: u.sameFor });
    const state = jobs[i]!.running?.state;
    if (u.keep && state && range.keepLast) range.keepLast.block = { block: d.block, lastSeq: d.lastSeq, hash: state };
  });
  return out;
}

/** COPY options that write each record as it is, one per line: no quotes, no escapes. */
const RECORDS_CSV = `FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\\x01'`;

/**
 * One block's COPY of chain records: which events; the hashes of those with seq > hashAbove to
 * write too (an ingest's store blocks); the digest it should have (verify).
 */
interface DigestJob {
  where: string;
  hashAbove?: number;
  expect?: string;
  /**
   * A block hashed with a running SHA-256 (RunningBlock): its records written in seq order (ORDER
   * BY: the digest is of that order, and the state goes on from it), from `seed` when given; the
   * state after them is left in `state`.
   */
  running?: { seed?: crypto.Hash; state?: crypto.Hash };
}

/**
 * SHA-256 (hex) of the chain records of the events matching each condition, in seq order. DuckDB
 * writes each block's records to a file with one COPY, in the table's own order (no ORDER BY:
 * bytes as they are); Node hashes the file with OpenSSL, which uses the CPU's SHA instructions
 * (≈ 1.7 GB/s against ≈ 0.2 GB/s per core for DuckDB's sha256). Unless it matches the digest
 * verify expects, the file is also walked record by record (block-records.ts BlockReader, in a
 * worker thread): when the records did not come in seq order, the digest is taken over them in
 * seq order instead, and a job with `hashAbove` gets its events' own hashes, appended to
 * event_hashes in one INSERT at the end. A block is one COPY of ≈ 19–28 MB on one DuckDB thread,
 * so `workers` connections run blocks side by side, and each file is hashed and walked while
 * DuckDB writes the next ones.
 */
async function digestRecords(store: Store, jobs: readonly DigestJob[], workers: number, events: number): Promise<string[]> {
  if (jobs.length === 0) return [];
  // Private (0700) and removed at the end: the records are the events' content. It holds up to
  // two blocks' records per worker (≈ 19 MB each for the generated trading events), and up to
  // two more waiting for the block reader.
  const dir = makeTempDir('evtrail-chain-', 'the hash chain');
  const extra: StoreConnection[] = [];
  const reader = new BlockReader(path.join(dir, 'event-hashes.csv'), events);
  // Each block's query on one DuckDB thread: with more, DuckDB spreads each small COPY over them
  // for nothing (measured per 1M events: verify 2.3–2.8 s of CPU against 1.5–1.6 s; the COPYs
  // inside an ingest's transaction 2.4 s against 1.3 s).
  const threads = Number((await store.all(`SELECT current_setting('threads') AS n`))[0]?.n ?? 1);
  if (threads > 1) await store.run('SET threads = 1');
  // Set when the work failed: the finally's own statements must not replace that error (in an
  // aborted transaction, `SET threads` fails with "Current transaction is aborted").
  let failing = false;
  try {
    const runners: ((sql: string) => Promise<unknown>)[] = [(sql) => store.run(sql)];
    for (let i = 1; i < Math.min(workers, jobs.length); i++) {
      const conn = await store.openConnection();
      extra.push(conn);
      runners.push((sql) => conn.run(sql));
    }
    const out: string[] = new Array<string>(jobs.length);
    let next = 0;
    const settled = await Promise.allSettled(runners.map(async (run, w) => {
      let done: { i: number; file: string } | undefined;
      for (;;) {
        const i = next < jobs.length ? next++ : -1;
        const file = path.join(dir, `${w}-${i}.txt`);
        const copy = i < 0 ? undefined
          : run(`COPY (SELECT ${chainRecordSql()} FROM events WHERE ${jobs[i]!.where}${jobs[i]!.running ? ' ORDER BY seq' : ''}) TO ${sqlString(file)} (${RECORDS_CSV})`);
        if (done) {
          // The file as it is; a block that matches what verify expects is done, the others
          // are walked (their order, their event hashes).
          const { expect, hashAbove, running } = jobs[done.i]!;
          if (running) {
            running.state = hashFileInto(done.file, running.seed ? running.seed.copy() : crypto.createHash('sha256'));
            out[done.i] = running.state.copy().digest('hex');
          } else out[done.i] = hashFile(done.file);
          if (out[done.i] === expect) fs.rmSync(done.file, { force: true });
          else await reader.add({ job: done.i, file: done.file, above: hashAbove });
        }
        if (!copy) return;
        await copy;
        done = { i, file };
      }
    }));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw tempWriteError(failed.reason, dir);
    await reader.finish().catch((error: unknown) => {
      throw tempWriteError(error, dir);
    });
    for (const [job, digest] of reader.inSeqOrder) out[job] = digest;
    if (reader.hashed) {
      if (threads > 1) await store.run(`SET threads = ${threads}`);
      await store.run(`INSERT INTO event_hashes SELECT seq, hash FROM read_csv(${sqlString(reader.out)},
        columns={'seq': 'BIGINT', 'hash': 'VARCHAR'}, header=false, auto_detect=false, delim=',', quote='', escape='')`);
    }
    return out;
  } catch (error) {
    failing = true;
    throw error;
  } finally {
    await reader.close();
    for (const conn of extra) conn.close();
    fs.rmSync(dir, { recursive: true, force: true });
    if (threads > 1) {
      await store.run(`SET threads = ${threads}`).catch((error: unknown) => {
        if (!failing) throw error;
      });
    }
  }
}

/** A full or unwritable temporary folder is the user's to fix; anything else stays a bug. */
function tempWriteError(error: unknown, dir: string): unknown {
  const text = firstLine(error);
  if (/No space left|Disk quota|Permission denied|Read-only file system|ENOSPC|EACCES|EROFS/i.test(text)) {
    return new UserError(`cannot write the hash chain's records to ${dir}: ${text}`, 'free some space in TMPDIR, or point TMPDIR at another folder');
  }
  return error;
}

export function toBlockDigest(row: Record<string, unknown>): ScopedDigest {
  return {
    scope: Number(row.scope), block: Number(row.block), firstSeq: Number(row.first_seq), lastSeq: Number(row.last_seq),
    events: Number(row.events), digest: String(row.digest),
  };
}

/** Links digests of several scopes onto the given previous links (GENESIS where none). */
export function linkScopes(digests: readonly ScopedDigest[], prev: ReadonlyMap<number, string> = new Map()): ScopedBlock[] {
  const byScope = new Map<number, ScopedDigest[]>();
  for (const d of digests) {
    const list = byScope.get(d.scope) ?? [];
    list.push(d);
    byScope.set(d.scope, list);
  }
  const out: ScopedBlock[] = [];
  for (const [scope, list] of [...byScope].sort((a, b) => a[0] - b[0])) {
    list.sort((a, b) => a.block - b.block);
    for (const b of linkBlocks(list, prev.get(scope) ?? GENESIS)) out.push({ ...b, scope });
  }
  return out;
}

/** The stored blocks; `where` narrows them (e.g. `WHERE source_id = 0`, used by export). */
export async function storedBlocks(store: Store, where = ''): Promise<ScopedBlock[]> {
  const rows = await store.all(`SELECT source_id AS scope, block, first_seq, last_seq, events, digest, link FROM chain_blocks ${where} ORDER BY source_id, block`);
  return rows.map((r) => ({ ...toBlockDigest(r), link: String(r.link) }));
}

/**
 * The ingest hook, inside the ingest's transaction once the new events (seq > seqStart) are in:
 * recomputes the blocks from the one holding seqStart + 1 (the last partial block of before and
 * the new ones) for the store and the sources that have events there, and appends the new
 * events' hashes to event_hashes, read out of the same records.
 * EVTRAIL_BENCH_NO_CHAIN=1 skips it (only for the bench's baseline).
 */
export async function extendChain(store: Store, seqStart: number): Promise<void> {
  if (process.env.EVTRAIL_BENCH_NO_CHAIN === '1') return;
  const size = await blockSize(store);
  const first = Math.floor(seqStart / size);
  // A process that extends the chain batch after batch (watch: keepRunningBlocks) keeps the
  // last partial block's SHA-256 state, so its earlier records are not read and hashed again.
  // The state is used only when it is the block's stored digest as of seqStart (a batch rolled
  // back, or another writer, and it is not: the block is hashed whole, as without it).
  let resume: RunningBlock | undefined;
  const kept = running.get(store.path);
  if (kept && kept.lastSeq === seqStart && kept.block === first) {
    const stored = (await store.all(`SELECT digest, last_seq FROM chain_blocks WHERE source_id = ${STORE_SCOPE} AND block = ${first}`))[0];
    if (stored && Number(stored.last_seq) === seqStart && String(stored.digest) === kept.hash.copy().digest('hex')) resume = kept;
  }
  running.delete(store.path);
  await store.run(`DELETE FROM chain_blocks WHERE block >= ${first}`);
  const keepLast: { block?: RunningBlock } | undefined = keepRunning ? {} : undefined;
  // One connection: the new events are this transaction's own.
  const digests = await scopedDigests(store, size, { above: first * size, eventHashesAbove: seqStart, ...(resume ? { resume } : {}), ...(keepLast ? { keepLast } : {}) });
  if (keepLast?.block) running.set(store.path, keepLast.block);
  const prev = new Map<number, string>();
  for (const row of await store.all(`SELECT source_id, arg_max(link, block) AS link FROM chain_blocks WHERE block < ${first} GROUP BY source_id`)) {
    prev.set(Number(row.source_id), String(row.link));
  }
  await insertBlocks(store, linkScopes(digests, prev));
}

/** The last partial block's running state per store (extendChain), when keepRunningBlocks() asked for it. */
const running = new Map<string, RunningBlock>();
let keepRunning = false;

/** For a process that appends to a store batch after batch (watch): keep the last block's hash state between batches. */
export function keepRunningBlocks(on = true): void {
  keepRunning = on;
  if (!on) running.clear();
}

/** Writes chain blocks (few rows: one per block and scope, 154 blocks per 10M events). */
export async function insertBlocks(store: Store, blocks: readonly ScopedBlock[]): Promise<void> {
  for (let i = 0; i < blocks.length; i += 500) {
    const part = blocks.slice(i, i + 500);
    await store.run(`INSERT INTO chain_blocks VALUES ${part.map((b) =>
      `(${b.scope}, ${b.block}, ${b.firstSeq}, ${b.lastSeq}, ${b.events}, ${sqlString(b.digest)}, ${sqlString(b.link)})`).join(', ')}`);
  }
}
