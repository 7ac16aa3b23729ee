import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalHash, chainRecordBytes, type CanonicalFields } from '../../src/integrity/canonical.js';
import { hashRecordsFile } from '../../src/integrity/event-hashes.js';
import { tmpDir } from '../helpers.js';

/**
 * The events' hashes read back out of a block's chain records (the bytes DuckDB writes for the
 * block digest): every form found where its header says it ends, whatever its fields hold, and
 * whatever chunk boundary cuts it.
 */
const dir = tmpDir('evtrail-event-hashes-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const base: CanonicalFields = {
  id: 'evt-1', type: 'OrderPlaced', stream: 'order-1', rev: '1', schema_version: '1', ts: '1756200600123456789',
  recorded_ts: null, correlation_id: null, causation_id: null, source: 'gw', data: '{"qty":100}', meta: '{}',
};
// Fields that look like the record's own syntax: newlines, colons, commas, digits, NUL, U+0001,
// multibyte text, empty and NULL values, and one payload larger than the chunks below.
const awkward: CanonicalFields[] = [
  base,
  { ...base, id: '12:34', stream: 'a,b\nc', data: '{"note":"line\\nbreak","x":"1,2,3"}' },
  { ...base, id: 'nul\u0000and\u0001', type: 'é ✓ 注文', stream: null, rev: null, meta: null },
  { ...base, id: '', source: '', correlation_id: '\n', causation_id: '-' },
  { ...base, id: 'big', data: JSON.stringify({ blob: 'x'.repeat(5000) }) },
  { ...base, id: 'last\n' },
];

function writeRecords(name: string, fields: CanonicalFields[], firstSeq = 1): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, Buffer.concat(fields.map((f, i) => chainRecordBytes(firstSeq + i, f))));
  return file;
}

function hashes(file: string, above: number, chunkBytes?: number): { count: number; ordered: boolean; digest?: string; lines: string[] } {
  const out = path.join(dir, `${path.basename(file)}.out`);
  const fd = fs.openSync(out, 'w');
  try {
    const got = hashRecordsFile(file, above, fd, chunkBytes);
    return { ...got, lines: fs.readFileSync(out, 'utf8').split('\n').filter(Boolean) };
  } finally {
    fs.closeSync(fd);
  }
}

describe('hashRecordsFile', () => {
  const expected = awkward.map((f, i) => `${101 + i},${canonicalHash(f)}`);

  it('hashes each record\'s canonical form, whatever bytes the fields hold', () => {
    const file = writeRecords('a.txt', awkward, 101);
    expect(hashes(file, 0)).toEqual({ count: awkward.length, ordered: true, lines: expected });
    // The block file is the hasher's to remove.
    expect(fs.existsSync(file)).toBe(false);
  });

  it('gives the same hashes when chunk boundaries cut seqs, headers and bodies', () => {
    for (const chunk of [1, 2, 7, 64, 1000]) {
      expect(hashes(writeRecords(`c${chunk}.txt`, awkward, 101), 0, chunk).lines).toEqual(expected);
    }
  });

  it('skips the records at or below the seq it is given (the last block of an earlier ingest)', () => {
    expect(hashes(writeRecords('s.txt', awkward, 101), 103).lines).toEqual(expected.slice(3));
  });

  it('refuses records cut short or whose form does not end where its header says', () => {
    const whole = Buffer.concat(awkward.map((f, i) => chainRecordBytes(1 + i, f)));
    fs.writeFileSync(path.join(dir, 'cut.txt'), whole.subarray(0, whole.length - 3));
    expect(() => hashes(path.join(dir, 'cut.txt'), 0)).toThrow(/cut short/);
    const wrong = Buffer.from(whole);
    wrong[wrong.indexOf('\n')! - 1] = 0x39; // the first form's last length, made 9
    fs.writeFileSync(path.join(dir, 'wrong.txt'), wrong);
    expect(() => hashes(path.join(dir, 'wrong.txt'), 0)).toThrow(/does not end where its header says|bad/);
  });

  it('gives nothing for a block without records (a COPY of no rows may write no file)', () => {
    expect(hashes(path.join(dir, 'none.txt'), 0)).toEqual({ count: 0, ordered: true, lines: [] });
  });

  it('out of seq order: says so, and gives the digest of the records in seq order', () => {
    const records = [chainRecordBytes(3, awkward[1]!), chainRecordBytes(1, awkward[4]!), chainRecordBytes(2, base), chainRecordBytes(4, awkward[2]!)];
    const inOrder = crypto.createHash('sha256').update(Buffer.concat([records[1]!, records[2]!, records[0]!, records[3]!])).digest('hex');
    for (const chunk of [undefined, 3, 100]) {
      const file = path.join(dir, `unordered-${chunk}.txt`);
      fs.writeFileSync(file, Buffer.concat(records));
      const got = hashes(file, 0, chunk);
      expect(got.ordered).toBe(false);
      expect(got.digest).toBe(inOrder);
      expect(got.lines.map((l) => l.split(',')[0])).toEqual(['3', '1', '2', '4']);
    }
    const file = path.join(dir, 'twice.txt');
    fs.writeFileSync(file, Buffer.concat([chainRecordBytes(1, base), chainRecordBytes(1, base)]));
    expect(hashes(file, 0).ordered).toBe(false); // a seq twice is not rising either
    // In order, the digest is the caller's (the file hashed as it is).
    fs.writeFileSync(file, Buffer.concat([records[1]!, records[2]!]));
    const ordered = hashes(file, 0);
    expect(ordered.ordered).toBe(true);
    expect(ordered.digest).toBeUndefined();
  });
});
