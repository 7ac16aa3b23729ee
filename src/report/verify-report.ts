/**
 * `evtrail verify --report FILE [--pubkey KEY]`: checks a report's own hash (was it edited after
 * it was written?) and, with a public key, its signature. The rule is in seal.ts / docs/reports.md.
 */
import type crypto from 'node:crypto';
import fs from 'node:fs';
import { UserError } from '../core/errors.js';
import { keyFingerprint, loadPublicKey, sha256Hex, verifySignature } from '../integrity/keys.js';
import { blankSeal, formatOf, locateSeal, type ReportFormat } from './seal.js';

export interface ReportCheck {
  ok: boolean;
  file: string;
  format: string;
  /** The hash the report states (null when it has none). */
  sha256: string | null;
  signed: boolean;
  signatureValid?: boolean;
  /** Fingerprint of the key the report says signed it. */
  keyFingerprint?: string;
  problems: string[];
}

export async function verifyReportFile(file: string, options: { pubkey?: string }): Promise<ReportCheck> {
  let bytes: Buffer;
  try {
    bytes = await fs.promises.readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read report ${file}${code === 'ENOENT' ? ': no such file' : code === 'EISDIR' ? ': it is a directory' : ''}`, 'pass a report written by evtrail report --out FILE');
  }
  // Loaded first: a wrong --pubkey path is a usage error whatever the report holds.
  const pub = options.pubkey === undefined ? undefined : loadPublicKey(options.pubkey);
  const text = bytes.toString('utf8');
  const format = formatOf(file, text);
  if (!format) {
    return { ok: false, file, format: 'unknown', sha256: null, signed: false, problems: ['not an evtrail report: unknown format (expected .html, .md, .json or .xml)'] };
  }
  const check = checkReportText(text, format, pub);
  // Bytes that are not UTF-8 decode to U+FFFD: the text hashed would not be the file.
  if (!Buffer.from(text, 'utf8').equals(bytes)) {
    check.problems.unshift('the file is not valid UTF-8: it was changed after it was written');
    check.ok = false;
  }
  return { ...check, file };
}

/** The check of a report's text (pure but for the key). */
export function checkReportText(text: string, format: ReportFormat, pub?: crypto.KeyObject): ReportCheck {
  const problems: string[] = [];
  const seal = locateSeal(text, format);
  const stated = seal.sha256.length === 1 ? seal.sha256[0]!.value : null;
  const check: ReportCheck = { ok: false, file: '', format, sha256: stated, signed: seal.signature.length > 0, problems };
  if (seal.key.length === 1) check.keyFingerprint = seal.key[0]!.value;

  if (seal.sha256.length === 0) problems.push('no report hash found: not an evtrail report, or its hash field was removed or edited');
  if (seal.sha256.length > 1) problems.push(`${seal.sha256.length} report hash fields: the report was edited after it was written`);
  if (seal.signature.length > 1 || seal.key.length > 1) problems.push('more than one signature or key field: the report was edited after it was written');
  if (seal.signature.length !== seal.key.length) problems.push('a signature without its key field (or the reverse): the report was edited after it was written');

  if (stated !== null) {
    const actual = sha256Hex(Buffer.from(blankSeal(text, seal, 'hashed'), 'utf8'));
    if (actual !== stated) problems.push(`content changed after it was written: its SHA-256 is ${actual}, the report states ${stated}`);
  }
  if (pub) {
    const fingerprint = keyFingerprint(pub);
    const signature = seal.signature[0]?.value;
    if (signature === undefined) {
      problems.push('not signed: --pubkey given but the report carries no signature (write it with evtrail report --key KEY.pem)');
    } else {
      check.signatureValid = verifySignature(Buffer.from(blankSeal(text, seal, 'signed'), 'utf8'), signature, pub);
      if (!check.signatureValid) {
        problems.push(
          check.keyFingerprint !== undefined && check.keyFingerprint !== fingerprint
            ? `signed with another key: the report names key ${check.keyFingerprint}, --pubkey is ${fingerprint}`
            : `signature does not verify with key ${fingerprint}: the report was changed after it was signed`,
        );
      }
    }
  }
  check.ok = problems.length === 0;
  return check;
}
