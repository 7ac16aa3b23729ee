import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ingestFiles } from '../../src/ingest/ingest.js';
import { verifyStore } from '../../src/integrity/verify.js';
import { Store } from '../../src/store/store.js';
import { event, ndjson, tmpDir } from '../helpers.js';

/**
 * Every kind of tampering, in one table: each is caught by verify (no seal) and located: the
 * seq, or the ingest, source and lines of the rejects. The store: blocks of 4 seqs, two ingests
 * of one file (20 events, then 4 more), with rejects in both, and an incomplete last line held
 * back.
 */
const dir = tmpDir('evtrail-tamper-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let n = 0;
const good = (from: number, count: number) => ndjson(Array.from({ length: count }, (_, i) => event({ id: `evt-${from + i}`, rev: from + i, data: { qty: from + i } })));

async function tamperedStore(sql: string): Promise<Awaited<ReturnType<typeof verifyStore>>> {
  const db = path.join(dir, `s${++n}.duckdb`);
  const file = path.join(dir, `log${n}.ndjson`);
  const store = await Store.open(db, { create: true });
  try {
    await store.run(`UPDATE evtrail_meta SET value = '4' WHERE key = 'chain_block_size'`);
    // Lines 3 and 9 are not JSON: rejects of ingest 1.
    const first = good(1, 20).split('\n');
    first.splice(2, 0, '{not json');
    first.splice(8, 0, 'nope');
    fs.writeFileSync(file, first.join('\n'));
    await ingestFiles(store, { sources: [file] });
    // Ingest 2: four more events and one bad line, then an incomplete last line (held back).
    fs.appendFileSync(file, good(21, 2) + '[1,\n' + good(23, 2) + '{"id":"half');
    await ingestFiles(store, { sources: [file] });
    const before = await verifyStore(store);
    expect(before.problems).toEqual([]);
    expect(before.events).toBe(24);
    expect(Number((await store.all(`SELECT count(*) AS n FROM rejects`))[0]!.n)).toBe(4);
    await store.run(sql);
    return await verifyStore(store);
  } finally {
    store.close();
  }
}

const lastBlock = `DELETE FROM events WHERE seq > 20; DELETE FROM event_hashes WHERE seq > 20; DELETE FROM chain_blocks WHERE block >= 5`;

describe('tampering, each caught by verify and located', () => {
  it.each([
    ['an event changed', `UPDATE events SET data = '{"qty":0}' WHERE seq = 6`, { kind: 'changed', seq: 6 }],
    ['an event deleted', `DELETE FROM events WHERE seq = 7`, { kind: 'removed', seq: 7 }],
    ['an event inserted', `INSERT INTO events SELECT * REPLACE (25 AS seq, 'evil' AS id) FROM events WHERE seq = 3`, { kind: 'inserted', seq: 25, id: 'evil' }],
    ['two events reordered', `UPDATE events SET seq = CASE seq WHEN 3 THEN 4 ELSE 3 END WHERE seq IN (3, 4)`, { kind: 'reordered', seq: 3 }],
    ['the tail truncated: the last block with its hashes and chain rows', lastBlock, { kind: 'truncated', seq: 21, message: expect.stringMatching(/seq 21–24 are missing/) }],
    ['the tail truncated and the sources row lowered', `${lastBlock}; UPDATE sources SET events = 20`, { kind: 'truncated', seq: 21 }],
    ['the rejects deleted and the source\'s count set to 0', `DELETE FROM rejects; UPDATE sources SET rejects = 0`,
      { kind: 'rejects', message: expect.stringMatching(/ingest 1 of .*log\d+\.ndjson: 2 of its 2 reject\(s\) \(lines\/positions 3–9\) are missing/) }],
    ['the rejects deleted with their digests', `DELETE FROM rejects; DELETE FROM reject_digests; UPDATE sources SET rejects = 0`,
      { kind: 'rejects', message: expect.stringMatching(/ingest 1 of .*: its reject digest is missing/) }],
    ['a reject changed', `UPDATE rejects SET raw = 'harmless' WHERE source_pos = 9`, { kind: 'rejects', message: expect.stringMatching(/ingest 1 of .*lines\/positions 3–9\) were changed/) }],
    ['a reject inserted', `INSERT INTO rejects VALUES (1, 99, 'x', 'made up', 2); UPDATE sources SET rejects = rejects + 1`, { kind: 'rejects', message: expect.stringMatching(/ingest 2 of .*1 reject\(s\) more than it wrote/) }],
    ['the held-back last line deleted', `DELETE FROM rejects WHERE reason LIKE 'incomplete last line%'; UPDATE sources SET rejects = rejects - 1`,
      { kind: 'rejects', message: expect.stringMatching(/ingest 2 of .*held-back incomplete last line .* is missing/) }],
  ])('%s', async (_name, sql, expected) => {
    const v = await tamperedStore(sql);
    expect(v.ok).toBe(false);
    expect(v.problems).toContainEqual(expect.objectContaining(expected));
  });

  it('says which columns it does not cover', async () => {
    const v = await tamperedStore(`UPDATE events SET source_pos = 1000, dup_kind = 'conflict' WHERE seq = 2`);
    expect(v.ok).toBe(true);
    expect(v.notCovered).toEqual(expect.arrayContaining(['source_pos', 'dup_kind']));
  });
});

describe('migration v6 (the rejects under a chain)', () => {
  it('a store written before it gets its reject digests, verifies, and then catches deleted rejects', async () => {
    const db = path.join(dir, `m${++n}.duckdb`);
    const file = path.join(dir, `m${n}.ndjson`);
    fs.writeFileSync(file, good(1, 5) + 'bad line\n' + good(6, 5));
    let store = await Store.open(db, { create: true });
    await ingestFiles(store, { sources: [file] });
    // Back to what a schema 5 store is.
    await store.run(`DROP TABLE reject_digests; DELETE FROM evtrail_meta WHERE key = 'rejects_format'; UPDATE evtrail_meta SET value = '5' WHERE key = 'schema_version'`);
    store.close();
    store = await Store.open(db);
    try {
      expect((await verifyStore(store)).problems).toEqual([]);
      expect(await store.all(`SELECT ingest_id, source_id, rejects, first_pos FROM reject_digests`)).toEqual([{ ingest_id: 1, source_id: 1, rejects: '1', first_pos: '6' }]);
      await store.run(`DELETE FROM rejects; UPDATE sources SET rejects = 0`);
      expect((await verifyStore(store)).problems).toContainEqual(expect.objectContaining({ kind: 'rejects', message: expect.stringMatching(/1 of its 1 reject\(s\) \(line\/position 6\) are missing/) }));
    } finally {
      store.close();
    }
  });
});

describe('the rejects against a seal', () => {
  it('rejects rewritten with their digests, ingests and sources rows pass verify alone, not the seal', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { buildManifest } = await import('../../src/integrity/manifest.js');
    const { compareWithSeal } = await import('../../src/integrity/seal-check.js');
    const { buildRejectChain } = await import('../../src/integrity/records-check.js');
    const db = path.join(dir, `seal${++n}.duckdb`);
    const file = path.join(dir, `seal${n}.ndjson`);
    fs.writeFileSync(file, good(1, 5) + 'bad line\n' + good(6, 5));
    const store = await Store.open(db, { create: true });
    try {
      await ingestFiles(store, { sources: [file] });
      const { privateKey } = generateKeyPairSync('ed25519');
      const sealed = buildManifest(await verifyStore(store), db, privateKey);
      expect(sealed.rejects).toMatchObject({ format: 'evtrail-rejects/1', groups: 1 });
      expect((await compareWithSeal(store, sealed, await verifyStore(store))).problems).toEqual([]);
      // A careful forger: the reject gone, and every record of it rewritten to match.
      await store.run(`DELETE FROM rejects; UPDATE sources SET rejects = 0; UPDATE ingests SET rejects = 0; DELETE FROM reject_digests`);
      await buildRejectChain(store);
      const now = await verifyStore(store);
      expect(now.problems).toEqual([]);
      expect((await compareWithSeal(store, sealed, now)).problems).toEqual([expect.objectContaining({ kind: 'rejects-since-seal' })]);
    } finally {
      store.close();
    }
  });
});
