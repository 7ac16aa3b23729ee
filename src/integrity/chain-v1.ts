import crypto from 'node:crypto';
import type { Store } from '../store/store.js';
import { eventHashSql } from './canonical.js';
import { toBlockDigest, type ScopedDigest } from './chain-store.js';

/**
 * evtrail-chain/1, the chain format before chain/2 (docs/integrity.md, §7): a block's digest was the
 * SHA-256 of its events' hashes (hex, concatenated in seq order). Recomputing it from the events
 * needs a SHA-256 per event in DuckDB (≈ 2.4 s of CPU per 1M events, the cost chain/2 removed
 * from verify), so it is used only where the old format must be read: migration v4 checks the
 * events against the chain/1 blocks it replaces, and `verify --manifest` checks a seal made
 * with chain/1.
 */
export const LEGACY_CHAIN_FORMAT = 'evtrail-chain/1';

/**
 * What migration v4 (chain-migrate.ts) sets a block's digest to when its events no longer
 * matched the chain/1 block it replaces: no recomputed digest equals it, so verify reports the
 * block and searches it event by event against the stored event hashes (which are kept).
 */
export const MISMATCH_AT_MIGRATION = 'differed-from-evtrail-chain/1-at-migration';

/** chain/1 digests of the store's blocks and each source's, over the events with seq ≤ upTo (default all). */
export async function legacyDigests(store: Store, size: number, range: { upTo?: number } = {}): Promise<ScopedDigest[]> {
  const upTo = range.upTo === undefined ? '' : ` AND seq <= ${range.upTo}`;
  const rows = (cond: string) => `SELECT seq, source_id, ${eventHashSql()} AS hash FROM events WHERE ${cond}${upTo}`;
  // Ranges of 16 blocks: the ordered string_agg holds every hash of the blocks it groups.
  const blocks = (await store.all(`SELECT DISTINCT (seq - 1) // ${size} AS block FROM events WHERE TRUE${upTo} ORDER BY block`)).map((r) => Number(r.block));
  const out: ScopedDigest[] = [];
  const mixed: number[] = [];
  for (let i = 0; i < blocks.length; i += 16) {
    const last = blocks[Math.min(i + 16, blocks.length) - 1]!;
    for (const r of await store.all(legacySql(rows(`seq > ${blocks[i]! * size} AND seq <= ${(last + 1) * size}`), size, false))) {
      const d = legacyDigest(r);
      out.push(d);
      if (Number(r.min_source) === Number(r.max_source)) out.push({ ...d, scope: Number(r.min_source) });
      else mixed.push(d.block);
    }
  }
  if (mixed.length > 0) {
    out.push(...(await store.all(legacySql(rows(`(seq - 1) // ${size} IN (${mixed.join(', ')})`), size, true))).map(legacyDigest));
  }
  return out;
}

function legacySql(rows: string, size: number, bySource: boolean): string {
  return `SELECT ${bySource ? 'source_id' : '0'}::INTEGER AS scope, block, min(seq) AS first_seq, max(seq) AS last_seq, count(*) AS events,
      string_agg(hash, '' ORDER BY seq) AS hashes, min(source_id) AS min_source, max(source_id) AS max_source
    FROM (SELECT seq, source_id, (seq - 1) // ${size} AS block, hash FROM (${rows}))
    GROUP BY block${bySource ? ', source_id' : ''}`;
}

function legacyDigest(row: Record<string, unknown>): ScopedDigest {
  return { ...toBlockDigest(row), digest: crypto.createHash('sha256').update(String(row.hashes), 'utf8').digest('hex') };
}
