/**
 * `evtrail seal --key KEY.pem --out seal.json`: verifies the store (a broken chain is not
 * sealed), then writes the manifest of what it holds, signed with the Ed25519 key. `runSeal`
 * returns the manifest it wrote (src/cli/commands/seal.ts reads the flags with `sealKey` and
 * `sealOut`, ./render.ts prints the answer).
 */
import fs from 'node:fs';
import { CheckFailed, UserError } from '../core/errors.js';
import { Store } from '../store/store.js';
import { loadPrivateKey, PRIVATE_KEY_HINT } from './keys.js';
import { buildManifest, type SealManifest } from './manifest.js';
import { verifyStore } from './verify.js';

/** --key: the private key's file, which seal cannot do without. */
export function sealKey(key: string | undefined): string {
  if (!key) throw new UserError('seal needs --key', PRIVATE_KEY_HINT);
  return key;
}

/** --out: where the manifest goes. */
export function sealOut(out: string | undefined): string {
  if (!out) throw new UserError('seal needs --out', 'e.g. --out seal.json');
  return out;
}

export interface SealOptions {
  db: string;
  key: string;
  out: string;
}

export interface SealAnswer {
  out: string;
  manifest: SealManifest;
}

export async function runSeal(options: SealOptions): Promise<SealAnswer> {
  const key = loadPrivateKey(options.key);
  const store = await Store.open(options.db, { readOnly: true });
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
    fs.writeFileSync(options.out, JSON.stringify(manifest, null, 2) + '\n');
  } catch (error) {
    throw new UserError(`cannot write ${options.out}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, 'check the folder exists and is writable');
  }
  return { out: options.out, manifest };
}
