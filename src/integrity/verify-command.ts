/**
 * `evtrail verify`: the store's chain recomputed (verify.ts), optionally against a signed seal
 * (--manifest, --pubkey) and the source files read again (--source); or a report's own hash
 * and signature (--report). Exit 1 when anything differs.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { OutputMode } from '../output/mode.js';
import { printJson } from '../output/json.js';
import { terminalSafe } from '../output/terminal.js';
import { fitLines } from '../output/table.js';
import { CheckFailed, UserError } from '../core/errors.js';
import { Store } from '../store/store.js';
import { loadPublicKey, keyFingerprint } from './keys.js';
import { checkSignature, manifestLinksConsistent, readManifest, type SealManifest } from './manifest.js';
import { compareWithSeal, type SealComparison } from './seal-check.js';
import type { SourceCheck } from './sources-check.js';
import { NOT_COVERED_NOTE } from './records-check.js';
import { verifyStore, type IntegrityProblem } from './verify.js';

export interface VerifyCommandFlags {
  db: string;
  mode: OutputMode;
  /** true: re-read the sources where they were; a list: where to look for them now. */
  source?: boolean | string[];
  manifest?: string;
  pubkey?: string;
  report?: string;
}

export async function runVerifyCommand(flags: VerifyCommandFlags): Promise<void> {
  if (flags.report !== undefined) return verifyReport(flags.report, flags.pubkey, flags.mode);
  if (flags.manifest !== undefined && flags.pubkey === undefined) {
    throw new UserError('--manifest needs --pubkey', 'pass the public key of the key that sealed it: --pubkey audit-key.pub');
  }
  // Every file argument is checked before the store is opened (a typo is exit 2, not exit 1).
  const manifest = flags.manifest === undefined ? undefined : readManifest(flags.manifest);
  const pubkey = flags.pubkey === undefined ? undefined : loadPublicKey(flags.pubkey);
  // A --source path that does not exist would otherwise be skipped, and the files compared where
  // they were ingested: a typo would pass as "ok".
  // (An event store's URL, which gives the credentials to read it again, is not a path.)
  const missing = Array.isArray(flags.source) ? flags.source.find((p) => !/^(postgres|postgresql|nats):\/\//i.test(p) && !fs.existsSync(p)) : undefined;
  if (missing !== undefined) {
    throw new UserError(`--source ${missing}: no such file or folder`, 'pass where the source files are now (files or folders), or --source alone to read them where they were ingested');
  }

  const store = await Store.open(flags.db, { readOnly: true });
  try {
    const details = await verifyStore(store);
    const problems: IntegrityProblem[] = [...details.problems];
    let seal: (SealComparison & { file: string; signatureValid: boolean; fingerprint: string; sealedAt: string }) | undefined;
    // The seal the source files are also compared with: only one whose signature and links hold.
    let trustedSeal: SealManifest | undefined;
    if (manifest && pubkey) {
      const signatureValid = checkSignature(manifest, pubkey);
      const fingerprint = keyFingerprint(pubkey);
      if (!signatureValid) {
        const other = manifest.key?.fingerprint && manifest.key.fingerprint !== fingerprint
          ? ` (it names key ${manifest.key.fingerprint.slice(0, 16)}…, --pubkey is ${fingerprint.slice(0, 16)}…)` : ' (the seal was edited after it was signed)';
        problems.unshift({ kind: 'signature', message: `${flags.manifest}: the signature does not match ${flags.pubkey}${other}` });
        seal = { file: flags.manifest!, signatureValid, fingerprint, sealedAt: manifest.sealedAt, problems: [], grown: null, sealedEvents: manifest.events, sealedHead: manifest.head };
      } else if (!manifestLinksConsistent(manifest)) {
        problems.unshift({ kind: 'seal', message: `${flags.manifest}: its block links do not follow from its digests` });
        seal = { file: flags.manifest!, signatureValid, fingerprint, sealedAt: manifest.sealedAt, problems: [], grown: null, sealedEvents: manifest.events, sealedHead: manifest.head };
      } else {
        trustedSeal = manifest;
        const compared = await compareWithSeal(store, manifest, details);
        problems.push(...compared.problems);
        seal = { ...compared, file: flags.manifest!, signatureValid, fingerprint, sealedAt: manifest.sealedAt };
      }
    }
    let sourceChecks: SourceCheck[] | undefined;
    if (flags.source) {
      const { checkSources } = await import('./sources-check.js');
      // The sealed hashes are used only from a seal whose signature and links were checked.
      const checked = await checkSources(store, Array.isArray(flags.source) ? flags.source : [], trustedSeal);
      sourceChecks = checked.checks;
      problems.push(...checked.problems);
    }
    const ok = problems.length === 0;
    if (flags.mode === 'json') {
      printJson({
        ok, events: details.events, head: details.head, storedHead: details.storedHead, lastSeq: details.lastSeq,
        blockSize: details.blockSize, blocks: details.blocks.length, problems, more: details.more,
        sources: details.sources, ...(seal ? { seal } : {}), ...(sourceChecks ? { sourceChecks } : {}),
        notCovered: details.notCovered, ms: details.ms,
      });
    } else {
      const lines: string[] = [];
      lines.push(`${ok ? 'ok' : 'BROKEN'}: ${details.events.toLocaleString('en-US')} events in ${path.basename(store.path)}, ` +
        `chain head ${details.head ?? '(empty store)'} (${details.blocks.length} block(s) of ${details.blockSize}, recomputed in ${(details.ms / 1000).toFixed(1)} s)`);
      if (seal?.signatureValid) {
        lines.push(`seal ${seal.file} (sealed ${seal.sealedAt}, key ${seal.fingerprint.slice(0, 16)}…): signature valid; ` +
          `${seal.sealedEvents.toLocaleString('en-US')} sealed events ${seal.problems.length === 0 ? 'unchanged' : 'DIFFER'}` +
          (seal.grown ? `; grown since by ${seal.grown.events.toLocaleString('en-US')} event(s) (seq ${seal.grown.firstSeq}–${seal.grown.lastSeq}), chained on from the sealed part` : ''));
      }
      for (const c of sourceChecks ?? []) {
        lines.push(`source ${c.uri}: ${c.status}${c.sinceSeal ? `, since the seal ${c.sinceSeal}` : ''}${c.message && c.status !== 'changed' ? ` (${c.message})` : ''}`);
      }
      for (const p of problems) lines.push(`  ${p.kind}: ${p.message}`);
      if (details.more > 0) lines.push(`  … ${details.more} more problem(s) (--json lists the first ${details.problems.length})`);
      lines.push(NOT_COVERED_NOTE);
      process.stdout.write(fitLines(terminalSafe(lines.join('\n') + '\n')));
    }
    if (!ok) {
      const first = problems[0]!;
      throw new CheckFailed(flags.mode === 'json' ? '' : `verification failed: ${problems.length} problem(s); first: ${first.message}`);
    }
  } finally {
    store.close();
  }
}

async function verifyReport(file: string, pubkey: string | undefined, mode: OutputMode): Promise<void> {
  const { verifyReportFile } = await import('../report/verify-report.js');
  const result = await verifyReportFile(file, pubkey === undefined ? {} : { pubkey });
  if (mode === 'json') printJson(result);
  else {
    const lines = [`${result.ok ? 'ok' : 'BROKEN'}: report ${file}`];
    for (const p of result.problems) lines.push(`  ${p}`);
    process.stdout.write(fitLines(terminalSafe(lines.join('\n') + '\n')));
  }
  if (!result.ok) throw new CheckFailed(mode === 'json' ? '' : `report check failed: ${result.problems[0] ?? 'see above'}`);
}
