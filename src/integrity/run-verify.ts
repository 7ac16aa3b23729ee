/**
 * `evtrail verify`: the store's chain recomputed (verify.ts), optionally against a signed seal
 * (--manifest, --pubkey) and the source files read again (--source); or a report's own hash
 * and signature (--report). `runVerify` / `runVerifyReport` return what they found, with the
 * failure (exit 1) as data; src/cli/commands/verify.ts reads the flags with `manifestFlag`,
 * `pubkeyFlag` and `sourceFlag` and throws the failure after ./render.ts has printed the answer.
 */
import fs from 'node:fs';
import path from 'node:path';
import type crypto from 'node:crypto';
import { UserError } from '../core/errors.js';
import type { ReportCheck } from '../report/verify-report.js';
import { Store } from '../store/store.js';
import { loadPublicKey, keyFingerprint } from './keys.js';
import { checkSignature, manifestLinksConsistent, readManifest, type SealManifest } from './manifest.js';
import { compareWithSeal, type SealComparison } from './seal-check.js';
import type { SourceCheck } from './sources-check.js';
import { verifyStore, type IntegrityProblem, type VerifyDetails } from './verify.js';

/** --manifest and --pubkey go together (--report takes --pubkey alone). */
export function checkManifestNeedsPubkey(flags: { manifest?: string; pubkey?: string }): void {
  if (flags.manifest !== undefined && flags.pubkey === undefined) {
    throw new UserError('--manifest needs --pubkey', 'pass the public key of the key that sealed it: --pubkey audit-key.pub');
  }
}

/** --manifest FILE, read (a typo is exit 2 before the store is opened, not exit 1). */
export function manifestFlag(file: string | undefined): { file: string; manifest: SealManifest } | undefined {
  return file === undefined ? undefined : { file, manifest: readManifest(file) };
}

/** --pubkey FILE, read. */
export function pubkeyFlag(file: string | undefined): { file: string; key: crypto.KeyObject } | undefined {
  return file === undefined ? undefined : { file, key: loadPublicKey(file) };
}

/**
 * --source: true re-reads the sources where they were, a list says where to look now. A path
 * that does not exist would otherwise be skipped and the files compared where they were
 * ingested: a typo would pass as "ok". (An event store's URL, which gives the credentials to
 * read it again, is not a path.)
 */
export function sourceFlag(source: boolean | string[] | undefined): boolean | string[] | undefined {
  const missing = Array.isArray(source) ? source.find((p) => !/^(postgres|postgresql|nats):\/\//i.test(p) && !fs.existsSync(p)) : undefined;
  if (missing !== undefined) {
    throw new UserError(`--source ${missing}: no such file or folder`, 'pass where the source files are now (files or folders), or --source alone to read them where they were ingested');
  }
  return source;
}

export interface VerifyOptions {
  db: string;
  manifest?: { file: string; manifest: SealManifest };
  pubkey?: { file: string; key: crypto.KeyObject };
  source?: boolean | string[];
}

export type SealVerdict = SealComparison & { file: string; signatureValid: boolean; fingerprint: string; sealedAt: string };

export interface VerifyAnswer {
  ok: boolean;
  /** The store's file name, as the text names it. */
  storeFile: string;
  details: VerifyDetails;
  problems: IntegrityProblem[];
  seal?: SealVerdict;
  sourceChecks?: SourceCheck[];
  /** The failure's line (exit 1), when not ok. */
  failure?: string;
}

export async function runVerify(options: VerifyOptions): Promise<VerifyAnswer> {
  const store = await Store.open(options.db, { readOnly: true });
  try {
    const details = await verifyStore(store);
    const problems: IntegrityProblem[] = [...details.problems];
    let seal: SealVerdict | undefined;
    // The seal the source files are also compared with: only one whose signature and links hold.
    let trustedSeal: SealManifest | undefined;
    if (options.manifest && options.pubkey) {
      const { file, manifest } = options.manifest;
      const pubkey = options.pubkey.key;
      const signatureValid = checkSignature(manifest, pubkey);
      const fingerprint = keyFingerprint(pubkey);
      if (!signatureValid) {
        const other = manifest.key?.fingerprint && manifest.key.fingerprint !== fingerprint
          ? ` (it names key ${manifest.key.fingerprint.slice(0, 16)}…, --pubkey is ${fingerprint.slice(0, 16)}…)` : ' (the seal was edited after it was signed)';
        problems.unshift({ kind: 'signature', message: `${file}: the signature does not match ${options.pubkey.file}${other}` });
        seal = { file, signatureValid, fingerprint, sealedAt: manifest.sealedAt, problems: [], grown: null, sealedEvents: manifest.events, sealedHead: manifest.head };
      } else if (!manifestLinksConsistent(manifest)) {
        problems.unshift({ kind: 'seal', message: `${file}: its block links do not follow from its digests` });
        seal = { file, signatureValid, fingerprint, sealedAt: manifest.sealedAt, problems: [], grown: null, sealedEvents: manifest.events, sealedHead: manifest.head };
      } else {
        trustedSeal = manifest;
        const compared = await compareWithSeal(store, manifest, details);
        problems.push(...compared.problems);
        seal = { ...compared, file, signatureValid, fingerprint, sealedAt: manifest.sealedAt };
      }
    }
    let sourceChecks: SourceCheck[] | undefined;
    if (options.source) {
      const { checkSources } = await import('./sources-check.js');
      // The sealed hashes are used only from a seal whose signature and links were checked.
      const checked = await checkSources(store, Array.isArray(options.source) ? options.source : [], trustedSeal);
      sourceChecks = checked.checks;
      problems.push(...checked.problems);
    }
    const ok = problems.length === 0;
    return {
      ok, storeFile: path.basename(store.path), details, problems, seal, sourceChecks,
      failure: ok ? undefined : `verification failed: ${problems.length} problem(s); first: ${problems[0]!.message}`,
    };
  } finally {
    store.close();
  }
}

export interface VerifyReportAnswer {
  file: string;
  ok: boolean;
  /** What report/verify-report.ts found, printed as it is with --json. */
  result: ReportCheck;
  failure?: string;
}

export async function runVerifyReport(options: { file: string; pubkey?: string }): Promise<VerifyReportAnswer> {
  const { verifyReportFile } = await import('../report/verify-report.js');
  const result = await verifyReportFile(options.file, options.pubkey === undefined ? {} : { pubkey: options.pubkey });
  return { file: options.file, ok: result.ok, result, failure: result.ok ? undefined : `report check failed: ${result.problems[0] ?? 'see above'}` };
}
