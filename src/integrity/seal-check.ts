import type { Store } from '../store/store.js';
import { GENESIS, type BlockDigest, type ChainBlock } from './chain.js';
import { linkRejectGroups, storedRejectGroups } from './records-check.js';
import { STORE_SCOPE, linkScopes, scopedDigests } from './chain-store.js';
import { LEGACY_CHAIN_FORMAT, legacyDigests } from './chain-v1.js';
import { sealChainFormat, type SealManifest } from './manifest.js';
import type { IntegrityProblem, VerifyDetails } from './verify.js';

export interface SealComparison {
  problems: IntegrityProblem[];
  /** What was added since the seal (checked by the store's own chain), or null. */
  grown: { events: number; firstSeq: number; lastSeq: number } | null;
  sealedEvents: number;
  sealedHead: string | null;
}

/**
 * The store now against a (signature-checked) seal. Every sealed block must be as sealed: the
 * full ones as they are now, the last one (partial when sealed, maybe filled since) digested
 * again over seq ≤ the sealed last seq. What came after is the store's own chain, recomputed
 * by verify, continuing from the sealed blocks. A block that differs names its events when the
 * store's per-event hashes still tell (verify found them); otherwise only its seq range.
 */
export async function compareWithSeal(store: Store, m: SealManifest, details: VerifyDetails): Promise<SealComparison> {
  const problems: IntegrityProblem[] = [];
  const size = m.blockSize;
  if (size !== details.blockSize) {
    problems.push({ kind: 'seal', message: `the seal was made with blocks of ${size} events, the store uses ${details.blockSize}` });
    return { problems, grown: null, sealedEvents: m.events, sealedHead: m.head };
  }
  // A seal made before evtrail-chain/2 (evtrail-seal/1) holds chain/1 digests: the store's blocks
  // up to the sealed last seq are recomputed in that format for it (a SHA-256 per event, as slow
  // as verify was before chain/2); the comparison is the same.
  const legacy = sealChainFormat(m) === LEGACY_CHAIN_FORMAT;
  const blocksNow: ChainBlock[] = legacy
    ? linkScopes((await legacyDigests(store, size, { upTo: m.lastSeq ?? 0 })).filter((d) => d.scope === STORE_SCOPE))
    : details.blocks;
  const headNow = legacy ? blocksNow.at(-1)?.link ?? null : details.head;
  const now = new Map(blocksNow.map((b) => [b.block, b]));
  const lastSealed = m.blocks.at(-1);
  for (const sealed of m.blocks) {
    let current: BlockDigest | undefined = now.get(sealed.block);
    // (chain/1 blocks were recomputed up to the sealed last seq already.)
    if (!legacy && sealed === lastSealed && current && current.lastSeq > sealed.lastSeq) current = await prefixDigest(store, sealed.block, size, sealed.lastSeq);
    const same = current && current.digest === sealed.digest && current.events === sealed.events && current.firstSeq === sealed.firstSeq && current.lastSeq === sealed.lastSeq;
    if (same) continue;
    const lo = sealed.block * size + 1;
    const hi = sealed === lastSealed ? sealed.lastSeq : (sealed.block + 1) * size;
    const named = details.problems.filter((p) => p.seq !== undefined && p.seq >= lo && p.seq <= hi && p.kind !== 'chain');
    const count = !current ? 0 : current.events;
    const what = !current
      ? `all ${sealed.events} sealed events in it are gone (removed)`
      : count < sealed.events ? `${sealed.events - count} event(s) fewer than sealed (removed)`
      : count > sealed.events ? `${count - sealed.events} event(s) more than sealed (inserted)`
      : 'same number of events, other content (changed or reordered)';
    problems.push({
      kind: 'seal', seq: named[0]?.seq ?? lo,
      message: `block ${sealed.block} (seq ${lo}–${hi}) differs from the seal: ${what}; ` +
        (named.length > 0 ? `first event concerned: ${named[0]!.message}` : `the store's own hashes were rewritten to match, so the change can only be placed in seq ${lo}–${hi}`),
    });
  }
  for (const s of m.sources) {
    const current = details.sourceRows.find((r) => r.uri === s.uri);
    if (!current) {
      problems.push({ kind: 'seal', source: s.uri, message: `${s.uri} was in the store when sealed, it is not now` });
    } else if (current.bytes === s.bytes && current.sha256 !== s.sha256) {
      // Same bytes, another hash: the sources row was rewritten (with its file, to pass --source).
      problems.push({ kind: 'seal', source: s.uri, message: `${s.uri}: the store records another SHA-256 of its ${s.bytes} bytes than the seal (${short(current.sha256)} against ${short(s.sha256)}): the sources row was changed` });
    } else if (current.bytes < s.bytes || current.events < s.events) {
      problems.push({ kind: 'seal', source: s.uri, message: `${s.uri}: the store records ${current.bytes} bytes and ${current.events} events of it, fewer than the ${s.bytes} bytes and ${s.events} events sealed` });
    }
  }
  const sealedLast = m.lastSeq ?? 0;
  const grown = details.lastSeq !== null && details.lastSeq > sealedLast
    ? { events: Math.max(0, details.events - m.events), firstSeq: sealedLast + 1, lastSeq: details.lastSeq }
    : null;
  if (problems.length === 0 && !grown && headNow !== m.head) {
    problems.push({ kind: 'seal', message: `the chain head ${short(headNow)} differs from the sealed head ${short(m.head)}` });
  }
  problems.push(...await compareRejectsWithSeal(store, m));
  return { problems, grown, sealedEvents: m.events, sealedHead: m.head };
}

/**
 * The rejects against the seal: the store's reject chain, relinked from its digests, must pass
 * through the sealed head at the sealed count (later ingests add to it). verify checks those
 * digests against the rejects themselves, so rejects rewritten together with their digests,
 * ingests and sources rows are caught here.
 */
async function compareRejectsWithSeal(store: Store, m: SealManifest): Promise<IntegrityProblem[]> {
  if (!m.rejects) return [];
  const chain = linkRejectGroups(await storedRejectGroups(store));
  if (chain.length < m.rejects.groups) {
    return [{ kind: 'rejects-since-seal', message: `the seal records the rejects of ${m.rejects.groups} ingest(s) and source(s), the store has ${chain.length}: reject digests were deleted since the seal` }];
  }
  const at = m.rejects.groups === 0 ? GENESIS : chain[m.rejects.groups - 1]!.link;
  if (at !== m.rejects.head) {
    return [{ kind: 'rejects-since-seal', message: `the rejects of the first ${m.rejects.groups} ingest(s) and source(s) differ from the seal: they were rewritten together with their digests since the seal` }];
  }
  return [];
}

/** The digest of a block's events up to a seq, recomputed from the events. */
async function prefixDigest(store: Store, block: number, size: number, upTo: number): Promise<BlockDigest | undefined> {
  return (await scopedDigests(store, size, { above: block * size, upTo })).find((d) => d.scope === STORE_SCOPE && d.block === block);
}

function short(hash: string | null): string {
  return hash === null ? '(none)' : hash.slice(0, 16);
}
