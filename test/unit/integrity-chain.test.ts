import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalBytes, canonicalHash, type CanonicalFields } from '../../src/integrity/canonical.js';
import { BLOCK_SIZE, GENESIS, blockOf, digestOf, legacyDigestOf, linkBlocks, linkOf } from '../../src/integrity/chain.js';
import { generateKeyPair } from '../../src/integrity/keys.js';
import { canonicalJson, checkSignature, manifestLinksConsistent, type SealManifest } from '../../src/integrity/manifest.js';
import { compareChains, firstBrokenLink } from '../../src/integrity/verify.js';

const base: CanonicalFields = {
  id: 'evt-1', type: 'OrderPlaced', stream: 'order-1', rev: '1', schema_version: '1', ts: '1756200600123456789', recorded_ts: null,
  correlation_id: null, causation_id: null, source: null, data: '{"qty":100}', meta: null,
};
const sha = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

describe('canonical form', () => {
  it('is a header of byte lengths (- for NULL) and the texts', () => {
    expect(canonicalBytes({ ...base, stream: 'é' }).toString('utf8')).toBe('5,11,2,1,1,19,-,-,-,-,11,-\nevt-1OrderPlacedé111756200600123456789{"qty":100}');
  });

  it('tells NULL from the empty string', () => {
    expect(canonicalHash({ ...base, source: null })).not.toBe(canonicalHash({ ...base, source: '' }));
  });

  it('does not let text move across a field boundary', () => {
    // Same concatenated text, another split between two fields.
    expect(canonicalHash({ ...base, correlation_id: 'ab', causation_id: 'c' })).not.toBe(canonicalHash({ ...base, correlation_id: 'a', causation_id: 'bc' }));
  });

  it('changes with any field', () => {
    const seen = new Set([canonicalHash(base)]);
    for (const k of Object.keys(base) as (keyof CanonicalFields)[]) seen.add(canonicalHash({ ...base, [k]: k === 'id' || k === 'type' || k === 'schema_version' ? 'x' : base[k] === null ? 'x' : null } as CanonicalFields));
    expect(seen.size).toBe(13);
  });
});

describe('block digest (evtrail-chain/2)', () => {
  const e = (seq: number, id: string) => ({ seq, fields: { ...base, id } });

  it('is the SHA-256 of "<seq>:<canonical form>\\n" per event, in the order given', () => {
    const text = `7:${canonicalBytes({ ...base, id: 'a' }).toString('utf8')}\n8:${canonicalBytes({ ...base, id: 'b' }).toString('utf8')}\n`;
    expect(digestOf([e(7, 'a'), e(8, 'b')])).toBe(sha(text));
    expect(text.startsWith('7:1,11,7,1,1,19,-,-,-,-,11,-\naOrderPlacedorder-1')).toBe(true);
  });

  it('depends on the order of the events and on their seqs', () => {
    expect(digestOf([e(1, 'a'), e(2, 'b')])).not.toBe(digestOf([e(1, 'b'), e(2, 'a')]));
    // Same forms in the same order, one seq renumbered inside the block's bounds.
    expect(digestOf([e(1, 'a'), e(2, 'b'), e(3, 'c')])).not.toBe(digestOf([e(1, 'a'), e(1, 'b'), e(3, 'c')]));
  });

  it('is not chain/1\'s digest over the event hashes', () => {
    expect(digestOf([e(1, 'a')])).not.toBe(legacyDigestOf([canonicalHash({ ...base, id: 'a' })]));
    expect(legacyDigestOf([sha('a'), sha('b')])).toBe(sha(sha('a') + sha('b')));
  });
});

describe('chain', () => {
  const blocks = [
    { block: 0, firstSeq: 1, lastSeq: 4, events: 4, digest: sha('block 0') },
    { block: 1, firstSeq: 5, lastSeq: 6, events: 2, digest: sha('block 1') },
  ];

  it('links each block onto the previous link, from 64 zeros', () => {
    const chain = linkBlocks(blocks);
    expect(chain[0]!.link).toBe(sha(`${GENESIS}${blocks[0]!.digest}:0:1:4:4`));
    expect(chain[1]!.link).toBe(sha(`${chain[0]!.link}${blocks[1]!.digest}:1:5:6:2`));
    expect(linkOf(chain[0]!.link, blocks[1]!)).toBe(chain[1]!.link);
  });

  it('depends on the block bounds', () => {
    expect(linkBlocks([{ ...blocks[0]!, lastSeq: 5 }])[0]!.link).not.toBe(linkBlocks([blocks[0]!])[0]!.link);
  });

  it('cuts blocks by seq alone', () => {
    expect([1, BLOCK_SIZE, BLOCK_SIZE + 1].map((s) => blockOf(s))).toEqual([0, 0, 1]);
    expect([1, 4, 5, 9].map((s) => blockOf(s, 4))).toEqual([0, 0, 1, 2]);
  });

  it('compareChains names the blocks whose content differs; firstBrokenLink a stored link that does not follow', () => {
    const mine = linkBlocks(blocks);
    expect(compareChains(mine, mine)).toEqual([]);
    expect(compareChains(mine, linkBlocks([blocks[0]!, { ...blocks[1]!, digest: sha('x') }]))).toEqual([1]);
    expect(compareChains(mine, mine.slice(0, 1))).toEqual([1]);
    expect(firstBrokenLink(mine)).toBeUndefined();
    expect(firstBrokenLink([mine[0]!, { ...mine[1]!, link: sha('y') }])).toEqual({ ...mine[1]!, link: sha('y') });
  });
});

describe('seal manifest', () => {
  const { privatePem, publicPem } = generateKeyPair();
  const other = generateKeyPair();
  const chain = linkBlocks([{ block: 0, firstSeq: 1, lastSeq: 2, events: 2, digest: sha('d') }]);
  const unsigned = {
    format: 'evtrail-seal/1', canonical: 'evtrail-event/1', evtrailVersion: '0', store: '/s.duckdb', sealedAt: '2026-01-01T00:00:00.000Z',
    blockSize: 4, events: 2, lastSeq: 2, head: chain[0]!.link, blocks: chain, sources: [],
    key: { algorithm: 'ed25519' as const, fingerprint: 'f' },
  };
  const signed: SealManifest = { ...unsigned, signature: crypto.sign(null, Buffer.from(canonicalJson(unsigned)), crypto.createPrivateKey(privatePem)).toString('base64') };

  it('serialises with sorted keys and no whitespace', () => {
    expect(canonicalJson({ b: [1, { d: null, c: 'x' }], a: true })).toBe('{"a":true,"b":[1,{"c":"x","d":null}]}');
  });

  it('checks the signature with the right key only, and fails once edited', () => {
    expect(checkSignature(signed, crypto.createPublicKey(publicPem))).toBe(true);
    expect(checkSignature(signed, crypto.createPublicKey(other.publicPem))).toBe(false);
    expect(checkSignature({ ...signed, events: 3 }, crypto.createPublicKey(publicPem))).toBe(false);
  });

  it('checks that the links follow from the digests', () => {
    expect(manifestLinksConsistent(signed)).toBe(true);
    expect(manifestLinksConsistent({ ...signed, head: sha('z') })).toBe(false);
  });
});
