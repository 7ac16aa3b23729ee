/**
 * scanFile (src/ingest/sources.ts) resumed from a kept hash state: the SHA-256 of a file's first
 * n bytes is the same whether the scan starts at byte 0 or goes on from an earlier scan's state,
 * so a watch that hashes only each batch's new bytes stores the hash an ingest stores.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scanFile } from '../../src/ingest/sources.js';
import { tmpDir } from '../helpers.js';

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

describe('scanFile resumed', () => {
  const dir = tmpDir('evtrail-scan-');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('goes on from a kept state and gives the hash of the whole prefix', async () => {
    const file = path.join(dir, 'grow.ndjson');
    // Larger than the scan's 1 MB chunks, so the resumed read starts inside a chunk.
    const bytes = Buffer.from(Array.from({ length: 60_000 }, (_, i) => `{"id":"e${i}","n":${i},"pad":"0123456789"}\n`).join(''));
    const cuts = [1_000_003, bytes.length - 7, bytes.length];
    fs.writeFileSync(file, bytes.subarray(0, cuts[0]));
    let { hashes, state } = await scanFile(file, [0, cuts[0]!]);
    expect(hashes.get(cuts[0]!)).toBe(sha(bytes.subarray(0, cuts[0])));
    for (const [i, cut] of cuts.slice(1).entries()) {
      fs.writeFileSync(file, bytes.subarray(0, cut));
      const prev = cuts[i]!;
      ({ hashes, state } = await scanFile(file, [prev, cut], prev, state));
      expect(hashes.get(prev)).toBe(sha(bytes.subarray(0, prev)));
      expect(hashes.get(cut)).toBe(sha(bytes.subarray(0, cut)));
      expect(state?.offset).toBe(cut);
    }
    // Only the bytes after the state are read: a first byte changed behind it is not seen
    // (a fresh scan sees it), and the state given back is a copy, good for another use.
    const changed = Buffer.from(bytes);
    changed[0] = 0x20;
    fs.writeFileSync(file, changed);
    expect((await scanFile(file, [bytes.length], undefined, state)).hashes.get(bytes.length)).toBe(sha(bytes));
    expect((await scanFile(file, [bytes.length])).hashes.get(bytes.length)).toBe(sha(changed));
  });
});
