/**
 * How the integrity commands' answers are shown, and only that, from what ./run-keygen.ts,
 * ./run-seal.ts and ./run-verify.ts return: --json one document, else a line (verify: a few,
 * fitted to the terminal).
 */
import { printJson } from '../output/json.js';
import { terminalSafe } from '../output/terminal.js';
import { fitLines } from '../output/table.js';
import type { OutputMode } from '../output/mode.js';
import type { KeygenAnswer } from './run-keygen.js';
import type { SealAnswer } from './run-seal.js';
import type { VerifyAnswer, VerifyReportAnswer } from './run-verify.js';
import { NOT_COVERED_NOTE } from './records-check.js';

export function renderKeygen(mode: OutputMode, r: KeygenAnswer): void {
  if (mode === 'json') printJson({ private: r.private, public: r.public, fingerprint: r.fingerprint });
  else process.stdout.write(`wrote ${r.private} (private, mode 0600) and ${r.public}; fingerprint ${r.fingerprint}\n`);
}

export function renderSeal(mode: OutputMode, { out, manifest }: SealAnswer): void {
  if (mode === 'json') {
    printJson({ ok: true, out, events: manifest.events, lastSeq: manifest.lastSeq, head: manifest.head, blocks: manifest.blocks.length, sources: manifest.sources.length, fingerprint: manifest.key.fingerprint, sealedAt: manifest.sealedAt });
  } else {
    process.stdout.write(`sealed ${manifest.events.toLocaleString('en-US')} events (head ${manifest.head ?? '(empty store)'}) → ${out}, signed by key ${manifest.key.fingerprint.slice(0, 16)}…\n`);
  }
}

export function renderVerify(mode: OutputMode, r: VerifyAnswer): void {
  const { details, problems, seal, sourceChecks, ok } = r;
  if (mode === 'json') {
    printJson({
      ok, events: details.events, head: details.head, storedHead: details.storedHead, lastSeq: details.lastSeq,
      blockSize: details.blockSize, blocks: details.blocks.length, problems, more: details.more,
      sources: details.sources, ...(seal ? { seal } : {}), ...(sourceChecks ? { sourceChecks } : {}),
      notCovered: details.notCovered, ms: details.ms,
    });
    return;
  }
  const lines: string[] = [];
  lines.push(`${ok ? 'ok' : 'BROKEN'}: ${details.events.toLocaleString('en-US')} events in ${r.storeFile}, ` +
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

export function renderVerifyReport(mode: OutputMode, r: VerifyReportAnswer): void {
  if (mode === 'json') {
    printJson(r.result);
    return;
  }
  const lines = [`${r.ok ? 'ok' : 'BROKEN'}: report ${r.file}`];
  for (const p of r.result.problems) lines.push(`  ${p}`);
  process.stdout.write(fitLines(terminalSafe(lines.join('\n') + '\n')));
}
