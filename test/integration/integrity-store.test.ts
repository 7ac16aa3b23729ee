import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ingestFiles } from '../../src/ingest/ingest.js';
import { canonicalHash, eventHashSql, type CanonicalFields } from '../../src/integrity/canonical.js';
import { blockOf, digestOf, linkBlocks } from '../../src/integrity/chain.js';
import { blockSize, insertBlocks, linkScopes, scopedDigests } from '../../src/integrity/chain-store.js';
import { legacyDigests } from '../../src/integrity/chain-v1.js';
import { verifyStore } from '../../src/integrity/verify.js';
import { Store } from '../../src/store/store.js';
import { event, ndjson, tmpDir } from '../helpers.js';

/**
 * The chain on real DuckDB stores: the SQL canonical form against the JavaScript reference,
 * deterministic heads, appends across block boundaries, the v2 → v3 migration, and each kind
 * of tampering found at its seq.
 */
const dir = tmpDir('evtrail-integrity-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let n = 0;
function events(count: number, from = 1): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => event({
    id: `evt-${from + i}`, stream: `order-${(from + i) % 3}`, rev: from + i, ts: `2025-08-26T09:30:${String((from + i) % 60).padStart(2, '0')}.123456789Z`,
    data: { orderId: `ord-${from + i}`, qty: from + i, note: (from + i) % 4 === 0 ? 'é ✓' : '' },
    ...((from + i) % 5 === 0 ? { correlation_id: 'c-1', causation_id: `evt-${from + i - 1}`, meta: { user: 'u' } } : {}),
  }));
}

/** A new store; blockSize shrinks the chain's blocks so a few events span several. */
async function newStore(blockSize?: number): Promise<{ store: Store; db: string }> {
  const db = path.join(dir, `s${++n}.duckdb`);
  const store = await Store.open(db, { create: true });
  if (blockSize) await store.run(`UPDATE evtrail_meta SET value = '${blockSize}' WHERE key = 'chain_block_size'`);
  return { store, db };
}

async function ingest(store: Store, name: string, lines: Record<string, unknown>[], append = false): Promise<void> {
  const file = path.join(dir, name);
  if (append) fs.appendFileSync(file, ndjson(lines));
  else fs.writeFileSync(file, ndjson(lines));
  await ingestFiles(store, { sources: [file] });
}

async function tampered(sql: string, blockSize = 4): Promise<Awaited<ReturnType<typeof verifyStore>>> {
  const { store } = await newStore(blockSize);
  try {
    await ingest(store, `t${n}.ndjson`, events(20));
    expect((await verifyStore(store)).ok).toBe(true);
    await store.run(sql);
    return await verifyStore(store);
  } finally {
    store.close();
  }
}

describe('event hashes', () => {
  it('are the SHA-256 of the canonical form as the JavaScript reference builds it', async () => {
    const { store } = await newStore();
    try {
      await ingest(store, 'ref.ndjson', [...events(6), event({ id: 'evt-null', stream: null, rev: null, ts: '2025-08-26T09:30:00Z', data: { s: '' } })]);
      const rows = await store.all(`SELECT h.hash, e.id, e.type, e.stream, e.rev::VARCHAR AS rev, e.schema_version::VARCHAR AS schema_version,
          epoch_ns(e.ts)::VARCHAR AS ts, epoch_ns(e.recorded_ts)::VARCHAR AS recorded_ts, e.correlation_id, e.causation_id, e.source,
          e.data::VARCHAR AS data, e.meta::VARCHAR AS meta
        FROM events e JOIN event_hashes h USING (seq) ORDER BY seq`);
      expect(rows).toHaveLength(7);
      for (const r of rows) {
        const { hash, ...fields } = r;
        expect(canonicalHash(fields as never)).toBe(hash);
      }
      // NULL fields (no stream, no revision) are in the form too.
      expect(rows[6]!.stream).toBeNull();
      expect(rows[6]!.rev).toBeNull();
    } finally {
      store.close();
    }
  });
});

describe('chain', () => {
  it('gives the same head for the same events, ingested at once or in two appends across blocks', async () => {
    const heads: (string | null)[] = [];
    for (const split of [0, 7, 8]) {
      const { store } = await newStore(4);
      try {
        const all = events(22);
        if (split === 0) await ingest(store, `one${n}.ndjson`, all);
        else {
          await ingest(store, `two${n}.ndjson`, all.slice(0, split));
          await ingest(store, `two${n}.ndjson`, all.slice(split), true);
        }
        const v = await verifyStore(store);
        expect(v.ok, JSON.stringify(v.problems)).toBe(true);
        expect(v.blocks.map((b) => b.events)).toEqual([4, 4, 4, 4, 4, 2]);
        expect(v.head).toBe(v.storedHead);
        heads.push(v.head);
      } finally {
        store.close();
      }
    }
    expect(new Set(heads).size).toBe(1);
    expect(heads[0]).toMatch(/^[0-9a-f]{64}$/);
  });

  it('an ingest whose new rows are not in seq order in the table still digests them in seq order', async () => {
    const { store } = await newStore(4);
    try {
      await ingest(store, 'order-in.ndjson', events(10));
      const stored = await store.all(`SELECT block, digest FROM chain_blocks WHERE source_id = 0 ORDER BY block`);
      // The chain's ingest step again (extendChain: the blocks written in the table's own order,
      // their digests taken in seq order and the event hashes read out of them), over rows
      // physically in reverse seq order.
      await store.run(`CREATE TEMP TABLE rev AS SELECT * FROM events ORDER BY seq DESC; DELETE FROM events; INSERT INTO events SELECT * FROM rev ORDER BY seq DESC;
        CREATE TEMP TABLE hashes AS SELECT * FROM event_hashes; DELETE FROM event_hashes`);
      const digests = await scopedDigests(store, 4, { eventHashesAbove: 0 });
      expect(digests.filter((d) => d.scope === 0).map((d) => ({ block: String(d.block), digest: d.digest }))).toEqual(stored.map((r) => ({ block: String(r.block), digest: r.digest })));
      // Every event hashed once, as at the ingest.
      const diff = await store.all(`SELECT count(*) AS n FROM (SELECT * FROM event_hashes EXCEPT ALL SELECT * FROM hashes UNION ALL (SELECT * FROM hashes EXCEPT ALL SELECT * FROM event_hashes))`);
      expect(Number(diff[0]!.n)).toBe(0);
      expect(Number((await store.all(`SELECT count(*) AS n FROM event_hashes`))[0]!.n)).toBe(10);
    } finally {
      store.close();
    }
  });

  it('keeps a head per source, and the store head over both', async () => {
    const { store } = await newStore(4);
    try {
      await ingest(store, 'a.ndjson', events(5));
      await ingest(store, 'b.ndjson', events(6, 100));
      await ingest(store, 'a.ndjson', events(3, 50), true);
      const v = await verifyStore(store);
      expect(v.ok, JSON.stringify(v.problems)).toBe(true);
      expect(v.sources.map((s) => s.events)).toEqual([8, 6]);
      expect(new Set([v.head, ...v.sources.map((s) => s.head)]).size).toBe(3);
      const stored = await store.all(`SELECT source_id, arg_max(link, block) AS head FROM chain_blocks GROUP BY source_id ORDER BY source_id`);
      expect(stored.map((r) => r.head)).toEqual([v.head, ...v.sources.map((s) => s.head)]);
    } finally {
      store.close();
    }
  });

  it('over more blocks than one digest query takes (16): the chains the JavaScript reference computes', async () => {
    const { store } = await newStore(2);
    try {
      // 23 blocks of 2 over two sources, appended in three ingests (blocks mixing sources).
      await ingest(store, 'many-a.ndjson', events(17));
      await ingest(store, 'many-b.ndjson', events(12, 300));
      await ingest(store, 'many-a.ndjson', events(16, 100), true);
      const v = await verifyStore(store);
      expect(v.ok, JSON.stringify(v.problems)).toBe(true);
      expect(v.blocks).toHaveLength(23);
      expect(v.head).toBe(v.storedHead);

      const rows = await store.all(`SELECT seq, source_id, id, type, stream, rev::VARCHAR AS rev, schema_version::VARCHAR AS schema_version,
          epoch_ns(ts)::VARCHAR AS ts, epoch_ns(recorded_ts)::VARCHAR AS recorded_ts, correlation_id, causation_id, source,
          data::VARCHAR AS data, meta::VARCHAR AS meta FROM events ORDER BY seq`);
      const chainOf = (list: typeof rows): string | null => {
        const byBlock = new Map<number, { seq: number; fields: CanonicalFields }[]>();
        for (const { seq, source_id: _source, ...fields } of list) {
          const block = blockOf(Number(seq), 2);
          const b = byBlock.get(block) ?? [];
          b.push({ seq: Number(seq), fields: fields as unknown as CanonicalFields });
          byBlock.set(block, b);
        }
        const linked = linkBlocks([...byBlock].map(([block, b]) => ({
          block, firstSeq: b[0]!.seq, lastSeq: b.at(-1)!.seq, events: b.length, digest: digestOf(b),
        })));
        return linked.at(-1)?.link ?? null;
      };
      expect(v.head).toBe(chainOf(rows));
      expect(v.sources.map((x) => x.head)).toEqual([1, 2].map((id) => chainOf(rows.filter((r) => Number(r.source_id) === id))));
    } finally {
      store.close();
    }
  });

  it('is built for a store written before it existed (migration v3)', async () => {
    const { store, db } = await newStore();
    await ingest(store, 'old.ndjson', events(30));
    await ingest(store, 'old2.ndjson', events(10, 200));
    const { head: before, sources } = await verifyStore(store);
    // Back to what a v2 store is: no hashes, no chain.
    await store.run(`DROP TABLE event_hashes; DROP TABLE chain_blocks; DROP TABLE source_gaps; DROP TABLE reject_digests; DELETE FROM evtrail_meta WHERE key LIKE 'chain_%' OR key = 'rejects_format';
      UPDATE evtrail_meta SET value = '2' WHERE key = 'schema_version'`);
    store.close();
    const reopened = await Store.open(db, { readOnly: true });
    try {
      const v = await verifyStore(reopened);
      expect(v.ok, JSON.stringify(v.problems)).toBe(true);
      expect(v.head).toBe(before);
      expect(v.storedHead).toBe(before);
      // Two sources in one block: their chains as the ingest hook builds them.
      expect(v.sources).toEqual(sources);
    } finally {
      reopened.close();
    }
  });
});

/** Turns a store back into what evtrail wrote before evtrail-chain/2 (store schema 3): chain/1 blocks. */
async function toChainV1(store: Store): Promise<void> {
  const size = await blockSize(store);
  const blocks = linkScopes(await legacyDigests(store, size));
  await store.run(`DELETE FROM chain_blocks; DELETE FROM evtrail_meta WHERE key = 'chain_format'; DROP TABLE source_gaps;
    DROP TABLE reject_digests; DELETE FROM evtrail_meta WHERE key = 'rejects_format';
    UPDATE evtrail_meta SET value = '3' WHERE key = 'schema_version'`);
  await insertBlocks(store, blocks);
}

describe('migration v4 (evtrail-chain/1 → evtrail-chain/2)', () => {
  it('rebuilds the blocks of a chain/1 store: the head a new ingest gives, the event hashes kept', async () => {
    const { store, db } = await newStore(4);
    await ingest(store, 'v1a.ndjson', events(13));
    await ingest(store, 'v1b.ndjson', events(6, 100));
    const before = await verifyStore(store);
    const hashes = await store.all(`SELECT seq, hash FROM event_hashes ORDER BY seq`);
    await toChainV1(store);
    const v1Head = (await store.all(`SELECT arg_max(link, block) AS head FROM chain_blocks WHERE source_id = 0`))[0]!.head;
    expect(v1Head).not.toBe(before.head);
    store.close();
    const reopened = await Store.open(db, { readOnly: true });
    try {
      const v = await verifyStore(reopened);
      expect(v.ok, JSON.stringify(v.problems)).toBe(true);
      expect(v.head).toBe(before.head);
      expect(v.storedHead).toBe(before.head);
      expect(v.sources).toEqual(before.sources);
      expect(await reopened.all(`SELECT seq, hash FROM event_hashes ORDER BY seq`)).toEqual(hashes);
      expect(await reopened.all(`SELECT value FROM evtrail_meta WHERE key = 'chain_format'`)).toEqual([{ value: 'evtrail-chain/2' }]);
    } finally {
      reopened.close();
    }
  });

  it('does not launder a change made before the upgrade: verify still names the event', async () => {
    for (const [sql, expected] of [
      [`UPDATE events SET data = '{"x":1}' WHERE seq = 7`, [['changed', 7]]],
      // Every event of the last block gone: the block stays in the chain, its events are named.
      [`DELETE FROM events WHERE seq > 20`, [['removed', 21], ['removed', 22]]],
      // The event's stored hash rewritten too: the old chain still tells, for its block.
      [`UPDATE events SET data = '{"x":1}' WHERE seq = 9; UPDATE event_hashes SET hash = (SELECT ${eventHashSql()} FROM events WHERE seq = 9) WHERE seq = 9`, [['chain', 9]]],
    ] as const) {
      const { store, db } = await newStore(4);
      await ingest(store, `pre${n}.ndjson`, events(22));
      await toChainV1(store);
      await store.run(sql);
      store.close();
      const reopened = await Store.open(db, { readOnly: true });
      try {
        const v = await verifyStore(reopened);
        expect(v.ok).toBe(false);
        expect(v.problems.map((p) => [p.kind, p.seq])).toEqual(expected);
        expect(v.problems[0]!.message).toMatch(/already differed from its evtrail-chain\/1 chain when the store was migrated to evtrail-chain\/2/);
      } finally {
        reopened.close();
      }
    }
  });
});

describe('tampering is found at its seq', () => {
  it('a payload edited', async () => {
    const v = await tampered(`UPDATE events SET data = '{"orderId":"ord-7","qty":1}' WHERE seq = 7`);
    expect(v.ok).toBe(false);
    expect(v.problems[0]).toMatchObject({ kind: 'changed', seq: 7, id: 'evt-7' });
    expect(v.head).not.toBe(v.storedHead);
  });

  it('an event deleted', async () => {
    const v = await tampered(`DELETE FROM events WHERE seq = 10`);
    expect(v.problems).toEqual([expect.objectContaining({ kind: 'removed', seq: 10 })]);
  });

  it('the last event deleted', async () => {
    const v = await tampered(`DELETE FROM events WHERE seq = 20`);
    expect(v.problems).toEqual([expect.objectContaining({ kind: 'removed', seq: 20 })]);
  });

  it('an event inserted, at the end or with a seq already taken', async () => {
    const atEnd = await tampered(`INSERT INTO events SELECT * REPLACE (21 AS seq, 'evil' AS id) FROM events WHERE seq = 3`);
    expect(atEnd.problems).toEqual([expect.objectContaining({ kind: 'inserted', seq: 21, id: 'evil' })]);
    const twice = await tampered(`INSERT INTO events SELECT * REPLACE ('evil' AS id) FROM events WHERE seq = 6`);
    expect(twice.problems).toEqual([expect.objectContaining({ kind: 'inserted', seq: 6, id: 'evil' })]);
  });

  it('an event moved to a far seq: named at both ends, without a query per empty block', async () => {
    const started = Date.now();
    const v = await tampered(`UPDATE events SET seq = 4000000000000 WHERE seq = 12`);
    expect(v.problems.map((p) => [p.kind, p.seq])).toEqual([['removed', 12], ['inserted', 4000000000000]]);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('two events swapped', async () => {
    const v = await tampered(`UPDATE events SET seq = CASE seq WHEN 5 THEN 14 ELSE 5 END WHERE seq IN (5, 14)`);
    expect(v.problems.map((p) => [p.kind, p.seq, p.id])).toEqual([['reordered', 5, 'evt-14'], ['reordered', 14, 'evt-5']]);
    expect(v.problems[0]!.message).toMatch(/was at seq 14/);
  });

  it('an event edited and its stored hash replaced by another: still named', async () => {
    const v = await tampered(`UPDATE events SET data = '{"x":1}' WHERE seq = 9;
      UPDATE event_hashes SET hash = (SELECT sha256('x')) WHERE seq = 9`);
    expect(v.ok).toBe(false);
    // The replaced hash is not the edited event's, so the event is still named; a hash
    // rewritten to the right value is the next case.
    expect(v.problems[0]).toMatchObject({ seq: 9 });
  });

  it('events stored out of seq order but unchanged: ok (a block is written again sorted before it counts as different)', async () => {
    const { store } = await newStore(4);
    try {
      await ingest(store, 'order.ndjson', events(20));
      const before = await verifyStore(store);
      // The same rows, physically in reverse seq order.
      await store.run(`CREATE TEMP TABLE rev AS SELECT * FROM events ORDER BY seq DESC; DELETE FROM events; INSERT INTO events SELECT * FROM rev ORDER BY seq DESC`);
      expect((await store.all(`SELECT seq FROM events LIMIT 1`))[0]!.seq).toBe('20');
      const v = await verifyStore(store);
      expect(v.ok, JSON.stringify(v.problems)).toBe(true);
      expect(v.head).toBe(before.head);
    } finally {
      store.close();
    }
  });

  it('an event and its stored hash both rewritten consistently: the block range is named', async () => {
    const { store } = await newStore(4);
    try {
      await ingest(store, 'rw.ndjson', events(20));
      await store.run(`UPDATE events SET data = '{"x":1}' WHERE seq = 9`);
      const { eventHashSql } = await import('../../src/integrity/canonical.js');
      await store.run(`UPDATE event_hashes SET hash = (SELECT ${eventHashSql()} FROM events WHERE seq = 9) WHERE seq = 9`);
      const v = await verifyStore(store);
      expect(v.problems).toEqual([expect.objectContaining({ kind: 'chain', seq: 9 })]);
      expect(v.problems[0]!.message).toMatch(/seq 9–12/);
    } finally {
      store.close();
    }
  });

  it('an event moved to another source: the sources\' chains tell', async () => {
    const { store } = await newStore(4);
    try {
      await ingest(store, 'm1.ndjson', events(6));
      await ingest(store, 'm2.ndjson', events(6, 100));
      await store.run(`UPDATE events SET source_id = 2 WHERE seq = 3`);
      const v = await verifyStore(store);
      expect(v.problems.map((p) => p.kind)).toEqual(['source-chain', 'source-chain']);
    } finally {
      store.close();
    }
  });
});
