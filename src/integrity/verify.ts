import os from 'node:os';
import type { Store } from '../store/store.js';
import { eventHashSql } from './canonical.js';
import { CHAIN_FORMAT, linkBlocks, type ChainBlock } from './chain.js';
import { STORE_SCOPE, blockSize, linkScopes, scopedDigests, storedBlocks, type ScopedBlock } from './chain-store.js';
import { LEGACY_CHAIN_FORMAT, MISMATCH_AT_MIGRATION } from './chain-v1.js';
import { NOT_COVERED, REJECTS_FORMAT, checkCounts, checkRejects, rejectChainHead } from './records-check.js';

import type { IntegrityProblem } from './problem.js';

// In problem.ts, which the checks import (they and verify.ts would otherwise import each other).
export type { IntegrityProblem };

export interface VerifyResult {
  ok: boolean;
  events: number;
  /** The store's chain head (hex) recomputed from the events, null for an empty store. */
  head: string | null;
  problems: IntegrityProblem[];
  sources: { uri: string; events: number; head: string | null; sha256: string | null }[];
  /** Columns of events that verify does not cover (records-check.ts NOT_COVERED). */
  notCovered: readonly string[];
}

export interface VerifyDetails extends VerifyResult {
  /** The head the store recorded at its last ingest. */
  storedHead: string | null;
  lastSeq: number | null;
  blockSize: number;
  /** The store's chain recomputed from the events (scope 0), in block order. */
  blocks: ChainBlock[];
  /** Per source: id, uri, kind, bytes, and its recomputed chain head. */
  sourceRows: { sourceId: number; uri: string; kind: string; bytes: number; events: number; sha256: string | null; head: string | null }[];
  /** The rejects' chain as stored (checked against the rejects by checkRejects): what a seal records. */
  rejects: { format: string; groups: number; head: string };
  /** Problems found but not listed (the list stops at MAX_PROBLEMS). */
  more: number;
  ms: number;
}

export const MAX_PROBLEMS = 100;
/** Bad blocks searched event by event (each ≤ one block of seqs). */
const MAX_BLOCKS_SEARCHED = 8;

/**
 * Blocks digested side by side (one connection each): a block's COPY runs on one DuckDB thread
 * and its hashing on Node's main thread, so one per core.
 */
export function verifyWorkers(): number {
  return Math.max(1, Math.min(os.availableParallelism(), 8));
}

/**
 * Recomputes the block digests of the store and of each source from the events (chain-store.ts:
 * the canonical forms written by DuckDB, hashed per block in Node), links them, and compares
 * everything with what the ingests stored. A block that differs is searched event by event
 * against the stored event hashes, which names the event and says how it differs. Only reads:
 * works on a read-only store.
 */
export async function verifyStore(store: Store): Promise<VerifyDetails> {
  const started = Date.now();
  const size = await blockSize(store);
  const stored = await storedBlocks(store);
  // The stored digests let each block be written unsorted first (scopedDigests, `expected`).
  const expected = new Map(stored.map((b) => [`${b.scope}:${b.block}`, b.digest]));
  const digests = await scopedDigests(store, size, { workers: verifyWorkers(), expected });
  const recomputed = linkScopes(digests);
  const problems: IntegrityProblem[] = [];

  const scopeOf = (list: ScopedBlock[], scope: number) => list.filter((b) => b.scope === scope);
  const mine = scopeOf(recomputed, STORE_SCOPE);
  const theirs = scopeOf(stored, STORE_SCOPE);
  const bad = compareChains(mine, theirs);
  const brokenLink = firstBrokenLink(theirs);
  if (brokenLink) {
    problems.push({ kind: 'chain', seq: brokenLink.firstSeq, message: `block ${brokenLink.block} (seq ${brokenLink.firstSeq}–${brokenLink.lastSeq}): its stored link does not follow from the stored chain: the chain table was edited` });
  }
  const storedDigest = new Map(theirs.map((b) => [b.block, b.digest]));
  for (const block of bad.slice(0, MAX_BLOCKS_SEARCHED)) {
    const found = await searchBlock(store, block, size);
    // A block that the upgrade to chain/2 found already changed (chain-migrate.ts) says so.
    const since = storedDigest.get(block) === MISMATCH_AT_MIGRATION
      ? ` (the block already differed from its ${LEGACY_CHAIN_FORMAT} chain when the store was migrated to ${CHAIN_FORMAT})` : '';
    if (found.length > 0) problems.push(...found.map((p) => ({ ...p, message: p.message + since })));
    else {
      const lo = block * size + 1;
      const hi = (block + 1) * size;
      problems.push({
        kind: 'chain', seq: lo,
        message: `block ${block} (seq ${lo}–${hi}) differs from its chain${since}, yet every event in it matches its stored hash: the stored hashes were rewritten too, so the change (an event changed, removed, inserted or reordered) can only be placed in seq ${lo}–${hi}`,
      });
    }
  }
  if (bad.length > MAX_BLOCKS_SEARCHED) {
    problems.push({ kind: 'chain', message: `${bad.length - MAX_BLOCKS_SEARCHED} more block(s) differ (searched the first ${MAX_BLOCKS_SEARCHED})` });
  }

  // Earliest first: the first problem names the first event that differs.
  problems.sort((a, b) => (a.seq ?? Number.MAX_SAFE_INTEGER) - (b.seq ?? Number.MAX_SAFE_INTEGER));
  const storeOk = problems.length === 0;
  const sourceRows = (await store.all(`SELECT source_id, uri, kind, bytes, sha256 FROM sources ORDER BY source_id`)).map((r) => ({
    sourceId: Number(r.source_id), uri: String(r.uri), kind: String(r.kind), bytes: Number(r.bytes),
    sha256: r.sha256 === null ? null : String(r.sha256), events: 0, head: null as string | null,
  }));
  for (const s of sourceRows) {
    const chain = scopeOf(recomputed, s.sourceId);
    s.events = chain.reduce((n, b) => n + b.events, 0);
    s.head = chain.at(-1)?.link ?? null;
    // With the store's chain intact, a source's chain differs only when events were moved
    // between sources (source_id is provenance, outside the canonical form).
    if (storeOk && (compareChains(chain, scopeOf(stored, s.sourceId)).length > 0 || firstBrokenLink(scopeOf(stored, s.sourceId)))) {
      problems.push({ kind: 'source-chain', source: s.uri, message: `${s.uri}: its own chain differs from the one stored at ingest (events were moved to or from this source)` });
    }
  }
  // What the chain does not hold: the rejects, and the counts and positions the ingests recorded.
  const uris = new Map(sourceRows.map((s) => [s.sourceId, s.uri]));
  const uriOf = (id: number) => uris.get(id) ?? `source ${id} (no sources row)`;
  // The counts only when the chains found nothing: a bad block has named its events already.
  if (problems.length === 0) problems.push(...await checkCounts(store, uriOf));
  problems.push(...await checkRejects(store, uriOf));
  problems.sort((a, b) => (a.seq ?? Number.MAX_SAFE_INTEGER) - (b.seq ?? Number.MAX_SAFE_INTEGER));
  const events = mine.reduce((n, b) => n + b.events, 0);
  const listed = problems.slice(0, MAX_PROBLEMS);
  return {
    ok: problems.length === 0,
    events,
    head: mine.at(-1)?.link ?? null,
    storedHead: theirs.at(-1)?.link ?? null,
    lastSeq: mine.at(-1)?.lastSeq ?? null,
    blockSize: size,
    blocks: mine.map(({ scope: _scope, ...b }) => b),
    problems: listed,
    more: problems.length - listed.length,
    sources: sourceRows.map((s) => ({ uri: s.uri, events: s.events, head: s.head, sha256: s.sha256 })),
    sourceRows,
    notCovered: NOT_COVERED,
    rejects: { format: REJECTS_FORMAT, ...await rejectChainHead(store) },
    ms: Date.now() - started,
  };
}

/** Blocks whose content differs (digest, bounds or count; or on one side only), in block order. */
export function compareChains(mine: readonly ChainBlock[], theirs: readonly ChainBlock[]): number[] {
  const a = new Map(mine.map((b) => [b.block, b]));
  const b = new Map(theirs.map((x) => [x.block, x]));
  const bad: number[] = [];
  for (const k of [...new Set([...a.keys(), ...b.keys()])].sort((x, y) => x - y)) {
    const m = a.get(k);
    const t = b.get(k);
    if (!m || !t || m.digest !== t.digest || m.events !== t.events || m.firstSeq !== t.firstSeq || m.lastSeq !== t.lastSeq) bad.push(k);
  }
  return bad;
}

/** The first stored block whose link does not follow from the stored blocks before it. */
export function firstBrokenLink(stored: readonly ChainBlock[]): ChainBlock | undefined {
  const relinked = linkBlocks(stored);
  return stored.find((b, i) => relinked[i]!.link !== b.link);
}

/**
 * The events of one block whose hash now differs from the one stored at ingest, classified:
 * inserted (no stored hash for the seq, or a second event with one seq), removed (a stored
 * hash without its event), reordered (the content was hashed at another seq), changed.
 */
export async function searchBlock(store: Store, block: number, size: number, upTo?: number): Promise<IntegrityProblem[]> {
  const lo = block * size + 1;
  const hi = upTo ?? (block + 1) * size;
  const rows = await store.all(`
    WITH e AS (SELECT seq, id, ${eventHashSql()} AS h, count(*) OVER (PARTITION BY seq) AS copies FROM events WHERE seq BETWEEN ${lo} AND ${hi}),
    s AS (SELECT seq, hash FROM event_hashes WHERE seq BETWEEN ${lo} AND ${hi}),
    d AS (SELECT coalesce(e.seq, s.seq) AS seq, e.id, e.h, s.hash, e.copies FROM e FULL JOIN s ON e.seq = s.seq
          WHERE e.h IS DISTINCT FROM s.hash ORDER BY 1 LIMIT ${MAX_PROBLEMS})
    SELECT d.seq, d.id, d.h IS NULL AS gone, d.hash IS NULL AS fresh, d.copies,
      (SELECT min(x.seq) FROM event_hashes x WHERE x.hash = d.h AND x.seq <> d.seq) AS hashed_at
    FROM d ORDER BY d.seq, d.id`);
  return rows.map((r): IntegrityProblem => {
    const seq = Number(r.seq);
    const id = r.id === null ? undefined : String(r.id);
    const who = `seq ${seq}${id !== undefined ? ` (id ${id})` : ''}`;
    if (r.gone) return { kind: 'removed', seq, message: `${who}: removed (the chain has a hash for this seq, the store no event)` };
    if (r.fresh) return { kind: 'inserted', seq, ...(id !== undefined ? { id } : {}), message: `${who}: inserted (not in the chain)` };
    if (Number(r.copies) > 1) return { kind: 'inserted', seq, ...(id !== undefined ? { id } : {}), message: `${who}: inserted (a second event with this seq, not in the chain)` };
    if (r.hashed_at !== null) {
      return { kind: 'reordered', seq, ...(id !== undefined ? { id } : {}), message: `${who}: reordered (this content was at seq ${r.hashed_at} when it was ingested)` };
    }
    return { kind: 'changed', seq, ...(id !== undefined ? { id } : {}), message: `${who}: changed since it was ingested (its hash differs)` };
  });
}
