import crypto from 'node:crypto';
import type { Store } from '../store/store.js';
import { eventHashSql } from './canonical.js';
import { BLOCK_SIZE, GENESIS, linkBlocks, type BlockDigest, type ChainBlock } from './chain.js';

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

export async function blockSize(store: Store): Promise<number> {
  const row = (await store.all(`SELECT value FROM evtrail_meta WHERE key = 'chain_block_size'`))[0];
  return row ? Number(row.value) : BLOCK_SIZE;
}

/**
 * SQL for the blocks per (block, source) over rows (seq, source_id, hash): bounds, count and
 * either the digest (DuckDB's sha256) or the block's hashes concatenated in seq order, for
 * blockDigest to hash in Node.
 */
export function blockDigestsSql(rows: string, size: number, bySource = false, inNode = false): string {
  const hashes = `string_agg(hash, '' ORDER BY seq)`;
  return `SELECT ${bySource ? 'source_id' : '0'}::INTEGER AS scope, block, min(seq) AS first_seq, max(seq) AS last_seq, count(*) AS events,
      ${inNode ? `${hashes} AS hashes` : `sha256(${hashes}) AS digest`}, min(source_id) AS min_source, max(source_id) AS max_source
    FROM (SELECT seq, source_id, (seq - 1) // ${size} AS block, hash FROM (${rows}))
    GROUP BY block${bySource ? ', source_id' : ''}`;
}

/**
 * A block's digest, from DuckDB or from its concatenated hashes in Node: OpenSSL's SHA-256 uses
 * the CPU's SHA instructions (≈ 1.6 GB/s here) where DuckDB's runs ≈ 0.2 GB/s per core, and it
 * runs on the main thread while DuckDB computes the next range (0.38 s against 0.54 s of CPU
 * per 1M events).
 */
function blockDigest(row: Record<string, unknown>): BlockDigest & { scope: number } {
  if (row.hashes === undefined) return toBlockDigest(row);
  return { ...toBlockDigest(row), digest: crypto.createHash('sha256').update(String(row.hashes), 'utf8').digest('hex') };
}

/**
 * How scopedDigests splits the work. verify: ranges of 16 blocks (1M events), digests in Node:
 * the ordered string_agg holds every hash of the blocks it groups until it sorts them, so
 * ranges keep the memory flat on any store (one query over 10M events holds them all). An
 * ingest: one query with the digests in DuckDB, because its new rows are the transaction's
 * own, which DuckDB scans whole (and with one thread) for every query, ranged or not, and the
 * concatenated hashes of 10M events would be 640 MB of strings in Node.
 */
export interface DigestPlan {
  blocksPerQuery: number;
  inNode: boolean;
}

export const VERIFY_PLAN: DigestPlan = { blocksPerQuery: 16, inNode: true };
const INGEST_PLAN: DigestPlan = { blocksPerQuery: Number.POSITIVE_INFINITY, inNode: false };

/**
 * The digests of the store's blocks and of each source's, over rows (seq, source_id, hash)
 * given as SQL with a condition on seq. A block whose events all come from one source has the
 * same digest in that source's chain, so only the few blocks that mix sources (where one
 * ingest ends and the next begins) are digested per source: half the hashing of grouping both
 * ways. With ranges, the next range's query runs while the last one's digests are computed.
 */
export async function scopedDigests(store: Store, rows: (seqCondition: string) => string, size: number, plan: DigestPlan = VERIFY_PLAN): Promise<(BlockDigest & { scope: number })[]> {
  const ranges: string[] = [];
  if (plan.blocksPerQuery === Number.POSITIVE_INFINITY) ranges.push('TRUE');
  else {
    // The blocks that have events (a seq far out, say an edited one, makes no run of empty
    // ranges). Only seq is read: DuckDB drops the unused hash expression (no hashing here).
    const blocks = (await store.all(`SELECT DISTINCT (seq - 1) // ${size} AS block FROM (${rows('TRUE')}) ORDER BY block`)).map((r) => Number(r.block));
    for (let i = 0; i < blocks.length; i += plan.blocksPerQuery) {
      const last = blocks[Math.min(i + plan.blocksPerQuery, blocks.length) - 1]!;
      ranges.push(`seq > ${blocks[i]! * size} AND seq <= ${(last + 1) * size}`);
    }
    if (ranges.length === 0) return [];
  }

  const out: (BlockDigest & { scope: number })[] = [];
  const mixed: number[] = [];
  const query = (cond: string) => store.all(blockDigestsSql(rows(cond), size, false, plan.inNode));
  let pending: Promise<Record<string, unknown>[]> | undefined = query(ranges[0]!);
  for (let i = 0; pending; i++) {
    const got: Record<string, unknown>[] = await pending;
    pending = i + 1 < ranges.length ? query(ranges[i + 1]!) : undefined;
    for (const r of got) {
      const d = blockDigest(r);
      out.push(d);
      if (Number(r.min_source) === Number(r.max_source)) out.push({ ...d, scope: Number(r.min_source) });
      else mixed.push(d.block);
    }
  }
  if (mixed.length > 0) {
    const perSource = await store.all(blockDigestsSql(rows(`(seq - 1) // ${size} IN (${mixed.join(', ')})`), size, true, plan.inNode));
    out.push(...perSource.map(blockDigest));
  }
  return out;
}

export function toBlockDigest(row: Record<string, unknown>): BlockDigest & { scope: number } {
  return {
    scope: Number(row.scope), block: Number(row.block), firstSeq: Number(row.first_seq), lastSeq: Number(row.last_seq),
    events: Number(row.events), digest: String(row.digest),
  };
}

/** Links digests of several scopes onto the given previous links (GENESIS where none). */
export function linkScopes(digests: readonly (BlockDigest & { scope: number })[], prev: ReadonlyMap<number, string> = new Map()): ScopedBlock[] {
  const byScope = new Map<number, (BlockDigest & { scope: number })[]>();
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
 * Hashes events being appended, from the rows they are inserted from (columns named as in
 * events, plus seq), cast as the INSERT casts them; called right after that INSERT. Why not
 * from events: rows the transaction itself wrote are scanned by one thread, the staged table
 * they come from by all (1M events: 1.2 s instead of 2.4 s).
 */
export async function hashEvents(store: Store, rows: string): Promise<void> {
  if (process.env.EVTRAIL_BENCH_NO_CHAIN === '1') return;
  await store.run(`INSERT INTO event_hashes SELECT seq, ${eventHashSql()} FROM (
    SELECT seq::BIGINT AS seq, id::VARCHAR AS id, type::VARCHAR AS type, stream::VARCHAR AS stream, rev::BIGINT AS rev,
      schema_version::INTEGER AS schema_version, ts::TIMESTAMP_NS AS ts, recorded_ts::TIMESTAMP_NS AS recorded_ts,
      correlation_id::VARCHAR AS correlation_id, causation_id::VARCHAR AS causation_id, source::VARCHAR AS source,
      data::JSON AS data, meta::JSON AS meta
    FROM (${rows}))`);
}

/**
 * The ingest hook, inside the ingest's transaction once the new events (seq > seqStart) are in:
 * hashes those hashEvents did not (event stores' ingest), then recomputes the blocks from the
 * one holding seqStart + 1 (the last partial block of before, re-digested from its stored
 * hashes, and the new ones) for the store and the sources that have events there.
 * EVTRAIL_BENCH_NO_CHAIN=1 skips it (only for the bench's baseline).
 */
export async function extendChain(store: Store, seqStart: number): Promise<void> {
  if (process.env.EVTRAIL_BENCH_NO_CHAIN === '1') return;
  const counts = (await store.all(`SELECT (SELECT count(*) FROM events WHERE seq > ${seqStart}) AS events,
    (SELECT count(*) FROM event_hashes WHERE seq > ${seqStart}) AS hashed`))[0]!;
  if (Number(counts.hashed) === 0) {
    await store.run(`INSERT INTO event_hashes SELECT seq, ${eventHashSql()} FROM events WHERE seq > ${seqStart}`);
  } else if (Number(counts.hashed) < Number(counts.events)) {
    await store.run(`INSERT INTO event_hashes SELECT seq, ${eventHashSql()} FROM events
      WHERE seq > ${seqStart} AND seq NOT IN (SELECT seq FROM event_hashes WHERE seq > ${seqStart})`);
  }
  const size = await blockSize(store);
  const first = Math.floor(seqStart / size);
  const lo = first * size;
  await store.run(`DELETE FROM chain_blocks WHERE block >= ${first}`);
  const digests = await scopedDigests(store, (cond) =>
    `SELECT * FROM (SELECT h.seq, e.source_id, h.hash FROM event_hashes h JOIN events e ON e.seq = h.seq WHERE h.seq > ${lo} AND e.seq > ${lo}) WHERE ${cond}`, size, INGEST_PLAN);
  const prev = new Map<number, string>();
  for (const row of await store.all(`SELECT source_id, arg_max(link, block) AS link FROM chain_blocks WHERE block < ${first} GROUP BY source_id`)) {
    prev.set(Number(row.source_id), String(row.link));
  }
  const blocks = linkScopes(digests, prev);
  // Few rows (one per block and scope, 153 blocks per 10M events): multi-row VALUES.
  for (let i = 0; i < blocks.length; i += 500) {
    const part = blocks.slice(i, i + 500);
    await store.run(`INSERT INTO chain_blocks VALUES ${part.map((b) =>
      `(${b.scope}, ${b.block}, ${b.firstSeq}, ${b.lastSeq}, ${b.events}, '${b.digest}', '${b.link}')`).join(', ')}`);
  }
}
