import type { Store } from '../store/store.js';
import { blockSize, insertBlocks, linkScopes, scopedDigests, storedBlocks, type ScopedDigest } from './chain-store.js';
import { MISMATCH_AT_MIGRATION, legacyDigests } from './chain-v1.js';
import { compareChains, firstBrokenLink, verifyWorkers } from './verify.js';

/**
 * Migration v4: chain_blocks rebuilt in evtrail-chain/2 from the events, event_hashes kept.
 * Rebuilding from the events alone would launder a change made before the upgrade (the new
 * chain would describe the changed events), so a store that had a chain/1 is checked against it
 * first, as the old verify did (a SHA-256 per event, once): a block whose events, or whose
 * stored links, no longer match keeps a digest that matches nothing, and a block that is gone
 * keeps its old bounds. A store migrating from before the chain (v2) got its chain/1 from these
 * same events a moment ago: nothing to check.
 */
export async function migrateChainToV2(store: Store, from: number): Promise<void> {
  const size = await blockSize(store);
  // The events are committed (the migration writes only chain_blocks): other connections see them.
  const marked: ScopedDigest[] = await scopedDigests(store, size, { workers: verifyWorkers() });
  if (from >= 3) {
    const old = await storedBlocks(store);
    const legacy = await legacyDigests(store, size);
    const scopes = new Set([...old, ...legacy].map((b) => b.scope));
    const bad = new Set<string>();
    for (const scope of scopes) {
      const theirs = old.filter((b) => b.scope === scope);
      for (const block of compareChains(legacy.filter((b) => b.scope === scope).map((b) => ({ ...b, link: '' })), theirs)) bad.add(`${scope}:${block}`);
      const broken = firstBrokenLink(theirs);
      if (broken) for (const b of theirs) if (b.block >= broken.block) bad.add(`${scope}:${b.block}`);
    }
    for (const d of marked) if (bad.has(`${d.scope}:${d.block}`)) d.digest = MISMATCH_AT_MIGRATION;
    // A block the old chain had and the events no longer have (all its events deleted).
    const have = new Set(marked.map((d) => `${d.scope}:${d.block}`));
    for (const b of old) {
      if (!have.has(`${b.scope}:${b.block}`)) marked.push({ scope: b.scope, block: b.block, firstSeq: b.firstSeq, lastSeq: b.lastSeq, events: b.events, digest: MISMATCH_AT_MIGRATION });
    }
  }
  await store.run('DELETE FROM chain_blocks');
  await insertBlocks(store, linkScopes(marked));
}
