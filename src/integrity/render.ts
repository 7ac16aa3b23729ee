/**
 * How the integrity commands' answers are shown, and only that, from what ./run-keygen.ts and
 * ./run-seal.ts return: --json one document, else one line.
 */
import { printJson } from '../output/json.js';
import type { OutputMode } from '../output/mode.js';
import type { KeygenAnswer } from './run-keygen.js';
import type { SealAnswer } from './run-seal.js';

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
