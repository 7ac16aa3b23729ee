/**
 * How the integrity commands' answers are shown, and only that, from what ./run-keygen.ts
 * returns: --json one document, else one line.
 */
import { printJson } from '../output/json.js';
import type { OutputMode } from '../output/mode.js';
import type { KeygenAnswer } from './run-keygen.js';

export function renderKeygen(mode: OutputMode, r: KeygenAnswer): void {
  if (mode === 'json') printJson({ private: r.private, public: r.public, fingerprint: r.fingerprint });
  else process.stdout.write(`wrote ${r.private} (private, mode 0600) and ${r.public}; fingerprint ${r.fingerprint}\n`);
}
