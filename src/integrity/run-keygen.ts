/**
 * `evtrail keygen --out audit-key`: an Ed25519 pair, audit-key.pem (0600) and audit-key.pub.
 * `runKeygen` writes the pair and returns where and its fingerprint
 * (src/cli/commands/keygen.ts reads --out with `keygenBase`, ./render.ts prints the answer).
 */
import fs from 'node:fs';
import crypto from 'node:crypto';
import { UserError } from '../core/errors.js';
import { generateKeyPair, keyFingerprint } from './keys.js';

/** --out: the pair's name without extension (audit-key.pem and audit-key.pub both name audit-key). */
export function keygenBase(out: string | undefined): string {
  if (!out) throw new UserError('keygen needs --out', 'e.g. --out audit-key (writes audit-key.pem and audit-key.pub)');
  return out.replace(/\.(pem|pub)$/, '');
}

export interface KeygenAnswer {
  private: string;
  public: string;
  fingerprint: string;
}

export function runKeygen(options: { base: string }): KeygenAnswer {
  const privateFile = `${options.base}.pem`;
  const publicFile = `${options.base}.pub`;
  for (const f of [privateFile, publicFile]) {
    if (fs.existsSync(f)) throw new UserError(`${f} exists: keygen never overwrites a key`, 'pass another --out, or remove the old pair first');
  }
  const { privatePem, publicPem } = generateKeyPair();
  try {
    // 'wx': fails rather than overwrite a file that appeared meanwhile; the private key is the owner's only.
    fs.writeFileSync(privateFile, privatePem, { mode: 0o600, flag: 'wx' });
    fs.writeFileSync(publicFile, publicPem, { mode: 0o644, flag: 'wx' });
  } catch (error) {
    throw new UserError(`cannot write ${privateFile}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, 'check the folder exists and is writable');
  }
  return { private: privateFile, public: publicFile, fingerprint: keyFingerprint(crypto.createPublicKey(publicPem)) };
}
