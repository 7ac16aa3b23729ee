import crypto from 'node:crypto';

/**
 * The chain over event hashes (pure; README.md here has the picture). Events are cut into
 * blocks of BLOCK_SIZE consecutive seqs fixed by the seq alone (block k holds seq
 * k·B+1 … (k+1)·B), so an append only touches the last, partial block. A block's digest is
 * the SHA-256 of its events' hashes (lowercase hex, concatenated in seq order); its link is
 *
 *   link_k = SHA-256(link_prev ‖ digest_k ‖ ":" k ":" first_seq ":" last_seq ":" events)
 *
 * in hex text, with link_prev = 64 zeros for the first block. The head is the last link.
 * DuckDB computes the digests (parallel, in SQL); the few links are computed here.
 */
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

/** SHA-256 (hex) of event hashes concatenated: a block digest computed outside DuckDB. */
export function digestOf(eventHashes: readonly string[]): string {
  return crypto.createHash('sha256').update(eventHashes.join('')).digest('hex');
}
