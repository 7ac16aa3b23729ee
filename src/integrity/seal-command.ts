/**
 * `evtrail seal --key KEY.pem --out seal.json`: verifies the store (a broken chain is not
 * sealed), then writes the manifest of what it holds, signed with the Ed25519 key.
 */
import fs from 'node:fs';
import type { OutputMode } from '../output/mode.js';
import { printJson } from '../output/json.js';
import { CheckFailed, UserError } from '../core/errors.js';
import { Store } from '../store/store.js';
import { loadPrivateKey } from './keys.js';
import { buildManifest } from './manifest.js';
import { verifyStore } from './verify.js';

export interface SealCommandFlags {
  db: string;
  mode: OutputMode;
  key?: string;
  out?: string;
}

export async function runSealCommand(flags: SealCommandFlags): Promise<void> {
  if (!flags.key) throw new UserError('seal needs --key', 'pass an Ed25519 private key: --key audit-key.pem (evtrail keygen --out audit-key makes one)');
  if (!flags.out) throw new UserError('seal needs --out', 'e.g. --out seal.json');
  const key = loadPrivateKey(flags.key);
  const store = await Store.open(flags.db, { readOnly: true });
  let manifest;
  try {
    const details = await verifyStore(store);
    if (!details.ok) {
      throw new CheckFailed(`the store fails verification, so it is not sealed: ${details.problems[0]?.message ?? ''}`);
    }
    manifest = buildManifest(details, store.path, key);
  } finally {
    store.close();
  }
  try {
    fs.writeFileSync(flags.out, JSON.stringify(manifest, null, 2) + '\n');
  } catch (error) {
    throw new UserError(`cannot write ${flags.out}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, 'check the folder exists and is writable');
  }
  if (flags.mode === 'json') {
    printJson({ ok: true, out: flags.out, events: manifest.events, lastSeq: manifest.lastSeq, head: manifest.head, blocks: manifest.blocks.length, sources: manifest.sources.length, fingerprint: manifest.key.fingerprint, sealedAt: manifest.sealedAt });
  } else {
    process.stdout.write(`sealed ${manifest.events.toLocaleString('en-US')} events (head ${manifest.head ?? '(empty store)'}) → ${flags.out}, signed by key ${manifest.key.fingerprint.slice(0, 16)}…\n`);
  }
}
