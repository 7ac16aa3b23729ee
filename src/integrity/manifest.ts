import fs from 'node:fs';
import type crypto from 'node:crypto';
import { UserError } from '../core/errors.js';
import { dateIso } from '../core/time.js';
import { VERSION } from '../version.js';
import { CANONICAL_VERSION } from './canonical.js';
import { CHAIN_FORMAT, linkBlocks, type ChainBlock } from './chain.js';
import { LEGACY_CHAIN_FORMAT } from './chain-v1.js';
import { keyFingerprint, sign, verifySignature } from './keys.js';
import type { VerifyDetails } from './verify.js';

/**
 * A seal: what the store held when it was sealed (counts, the chain's block links and head,
 * each source's hash and head), signed with Ed25519 over a canonical serialisation: the
 * manifest without "signature" as JSON with keys sorted at every level and no whitespace.
 */
export const SEAL_FORMAT = 'evtrail-seal/2';
/** Seals made before evtrail-chain/2: no chain field, their digests are chain/1's. */
const SEAL_FORMAT_V1 = 'evtrail-seal/1';

export interface SealManifest {
  format: string;
  canonical: string;
  /** The chain format of the digests and links (absent in evtrail-seal/1: evtrail-chain/1). */
  chain?: string;
  evtrailVersion: string;
  store: string;
  /**
   * When it was sealed, RFC 3339 UTC with nine digits (seals made before had three: the text is
   * signed as written and never re-parsed, so they verify as they are).
   */
  sealedAt: string;
  blockSize: number;
  events: number;
  lastSeq: number | null;
  head: string | null;
  blocks: ChainBlock[];
  sources: { uri: string; kind: string; sha256: string | null; bytes: number; events: number; head: string | null }[];
  /** The rejects' chain (records-check.ts): how many reject digests, and the last link (absent in older seals). */
  rejects?: { format: string; groups: number; head: string };
  key: { algorithm: 'ed25519'; fingerprint: string };
  signature?: string;
}

/** JSON with object keys sorted at every level and no whitespace: the bytes that are signed. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function buildManifest(details: VerifyDetails, storePath: string, key: crypto.KeyObject, now: Date = new Date()): SealManifest {
  const unsigned: SealManifest = {
    format: SEAL_FORMAT,
    canonical: CANONICAL_VERSION,
    chain: CHAIN_FORMAT,
    evtrailVersion: VERSION,
    store: storePath,
    sealedAt: dateIso(now),
    blockSize: details.blockSize,
    events: details.events,
    lastSeq: details.lastSeq,
    head: details.head,
    blocks: details.blocks,
    sources: details.sourceRows.map((s) => ({ uri: s.uri, kind: s.kind, sha256: s.sha256, bytes: s.bytes, events: s.events, head: s.head })),
    rejects: details.rejects,
    key: { algorithm: 'ed25519', fingerprint: keyFingerprint(key) },
  };
  return { ...unsigned, signature: sign(canonicalJson(unsigned), key) };
}

/** Whether the manifest was signed by this key (and not edited since). */
export function checkSignature(manifest: SealManifest, key: crypto.KeyObject): boolean {
  const { signature, ...unsigned } = manifest;
  return typeof signature === 'string' && verifySignature(canonicalJson(unsigned), signature, key);
}

export function readManifest(file: string): SealManifest {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new UserError(`cannot read seal ${file}`, 'pass the manifest written by evtrail seal --out FILE');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UserError(`${file} is not JSON`, 'pass the manifest written by evtrail seal --out FILE');
  }
  const m = value as Partial<SealManifest> | null;
  if (!m || typeof m !== 'object' || (m.format !== SEAL_FORMAT && m.format !== SEAL_FORMAT_V1)) {
    throw new UserError(`${file} is not an evtrail seal (format ${SEAL_FORMAT} or ${SEAL_FORMAT_V1})`, 'pass the manifest written by evtrail seal --out FILE');
  }
  if (m.format === SEAL_FORMAT && m.chain !== CHAIN_FORMAT) {
    throw new UserError(`${file}: chain format ${String(m.chain)} is not one this evtrail knows (${CHAIN_FORMAT})`, 'check it with the evtrail version that sealed it');
  }
  if (!Array.isArray(m.blocks) || !Array.isArray(m.sources) || typeof m.blockSize !== 'number' || typeof m.events !== 'number') {
    throw new UserError(`${file}: the seal is incomplete (blocks, sources, blockSize or events missing)`, 'seal the store again');
  }
  return m as SealManifest;
}

/** The chain format a seal's digests are in. */
export function sealChainFormat(m: SealManifest): string {
  return m.format === SEAL_FORMAT_V1 ? LEGACY_CHAIN_FORMAT : m.chain ?? CHAIN_FORMAT;
}

/** Whether the manifest's links follow from its digests (a signed but malformed seal is not trusted). */
export function manifestLinksConsistent(m: SealManifest): boolean {
  const relinked = linkBlocks(m.blocks);
  return relinked.every((b, i) => b.link === m.blocks[i]?.link) && (relinked.at(-1)?.link ?? null) === m.head;
}
