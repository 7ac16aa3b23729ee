import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalHash, chainRecordBytes, type CanonicalFields } from '../../src/integrity/canonical.js';
import { readBlock, readBlockRecords } from '../../src/integrity/block-records.js';
import { tmpDir } from '../helpers.js';

/**
 * The events' hashes read back out of a block's chain records (the bytes DuckDB writes for the
 * block digest): every form found where its header says it ends, whatever its fields hold, and
 * whatever chunk boundary cuts it.
 */
const dir = tmpDir('evtrail-block-records-');
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

function hashes(file: string, above: number, chunkBytes?: number): { hashed: number; digest: string; lines: string[] } {
  const asItIs = fs.existsSync(file) ? sha(fs.readFileSync(file)) : sha(Buffer.alloc(0));
  const out = path.join(dir, `${path.basename(file)}.out`);
  const fd = fs.openSync(out, 'w');
  try {
    const got = readBlockRecords(file, { above, out: fd }, chunkBytes);
    // The block's digest: the file as it is when its records came in seq order.
    return { hashed: got.hashed, digest: got.ordered ? asItIs : got.inSeqOrder!, lines: fs.readFileSync(out, 'utf8').split('\n').filter(Boolean) };
  } finally {
    fs.closeSync(fd);
  }
}

const sha = (bytes: Buffer) => crypto.createHash('sha256').update(bytes).digest('hex');

describe('readBlockRecords', () => {
  const expected = awkward.map((f, i) => `${101 + i},${canonicalHash(f)}`);

  it('hashes each record\'s canonical form, whatever bytes the fields hold; in order, the digest is the file\'s', () => {
    const file = writeRecords('a.txt', awkward, 101);
    const bytes = fs.readFileSync(file);
    expect(hashes(file, 0)).toEqual({ hashed: awkward.length, digest: sha(bytes), lines: expected });
    // Without event hashes, the digest alone; readBlock removes the file once read.
    const fd = fs.openSync(path.join(dir, 'unused.out'), 'w');
    try {
      expect(readBlock({ job: 0, file }, fd)).toEqual({ ordered: true, hashed: 0 });
    } finally {
      fs.closeSync(fd);
    }
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.statSync(path.join(dir, 'unused.out')).size).toBe(0);
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
    expect(hashes(path.join(dir, 'none.txt'), 0)).toEqual({ hashed: 0, digest: sha(Buffer.alloc(0)), lines: [] });
  });

  it('out of seq order: the digest of the records in seq order, whatever cuts the file', () => {
    const records = [chainRecordBytes(3, awkward[1]!), chainRecordBytes(1, awkward[4]!), chainRecordBytes(2, base), chainRecordBytes(4, awkward[2]!)];
    const inOrder = sha(Buffer.concat([records[1]!, records[2]!, records[0]!, records[3]!]));
    expect(inOrder).not.toBe(sha(Buffer.concat(records)));
    for (const chunk of [undefined, 3, 100]) {
      const file = path.join(dir, `unordered-${chunk}.txt`);
      fs.writeFileSync(file, Buffer.concat(records));
      const got = hashes(file, 0, chunk);
      expect(got.digest).toBe(inOrder);
      expect(got.lines.map((l) => l.split(',')[0])).toEqual(['3', '1', '2', '4']);
    }
    // Mostly in order (the runs read back as one): a block of 200 with two records swapped.
    const many = Array.from({ length: 200 }, (_, i) => chainRecordBytes(i + 1, { ...base, id: `evt-${i + 1}` }));
    const swapped = [...many];
    [swapped[50], swapped[150]] = [swapped[150]!, swapped[50]!];
    const file = path.join(dir, 'swapped.txt');
    fs.writeFileSync(file, Buffer.concat(swapped));
    expect(hashes(file, 0).digest).toBe(sha(Buffer.concat(many)));
    // A seq twice (a store edited by hand): both records, in the order they came.
    fs.writeFileSync(file, Buffer.concat([records[2]!, records[1]!, records[2]!]));
    expect(hashes(file, 0).digest).toBe(sha(Buffer.concat([records[1]!, records[2]!, records[2]!])));
  });
});
