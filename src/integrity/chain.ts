import crypto from 'node:crypto';
import { chainRecordBytes, type CanonicalFields } from './canonical.js';

/**
 * The chain (pure; docs/integrity.md has the picture). Events are cut into blocks of BLOCK_SIZE
 * consecutive seqs fixed by the seq alone (block k holds seq k·B+1 … (k+1)·B), so an append
 * only touches the last, partial block. A block's digest (evtrail-chain/2) is the SHA-256 of
 * its events' chain records in seq order, one record per event:
 *
 *   <seq> ":" <canonical form> "\n"
 *
 * (canonical.ts; the form's length header makes it self-delimiting) — one streaming hash per
 * block, which Node computes with the CPU's SHA instructions over a file DuckDB writes, instead
 * of a SHA-256 per event in DuckDB (evtrail-chain/1 took the digest over the per-event hashes,
 * chain-v1.ts). Each event's own hash is still kept (event_hashes), to name the event in a
 * block that differs. Its link is
 *
 *   link_k = SHA-256(link_prev ‖ digest_k ‖ ":" k ":" first_seq ":" last_seq ":" events)
 *
 * in hex text, with link_prev = 64 zeros for the first block. The head is the last link.
 * The digests are computed in chain-store.ts; the few links here.
 */
export const CHAIN_FORMAT = 'evtrail-chain/2';
export const BLOCK_SIZE = 65536;
export const GENESIS = '0'.repeat(64);

export interface BlockDigest {
  block: number;
  firstSeq: number;
  lastSeq: number;
  events: number;
  digest: string;
}

export interface ChainBlock extends BlockDigest {
  link: string;
}

export function linkOf(prev: string, b: BlockDigest): string {
  return crypto.createHash('sha256').update(`${prev}${b.digest}:${b.block}:${b.firstSeq}:${b.lastSeq}:${b.events}`).digest('hex');
}

/** Links blocks (sorted by block) onto prev: the chain of one scope. */
export function linkBlocks(blocks: readonly BlockDigest[], prev: string = GENESIS): ChainBlock[] {
  const out: ChainBlock[] = [];
  let link = prev;
  for (const b of blocks) {
    link = linkOf(link, b);
    out.push({ ...b, link });
  }
  return out;
}

/** The block of a seq. */
export function blockOf(seq: number, blockSize: number = BLOCK_SIZE): number {
  return Math.floor((seq - 1) / blockSize);
}

/** A block's digest computed in JavaScript from its events in seq order (the reference for the store's). */
export function digestOf(events: readonly { seq: number; fields: CanonicalFields }[]): string {
  const h = crypto.createHash('sha256');
  for (const e of events) h.update(chainRecordBytes(e.seq, e.fields));
  return h.digest('hex');
}

/** evtrail-chain/1's digest: SHA-256 of the events' hashes (hex) concatenated (old seals, migration v4). */
export function legacyDigestOf(eventHashes: readonly string[]): string {
  return crypto.createHash('sha256').update(eventHashes.join('')).digest('hex');
}
