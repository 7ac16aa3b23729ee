/** `evtrail keygen --out audit-key`: an Ed25519 pair, audit-key.pem (0600) and audit-key.pub. */
import fs from 'node:fs';
import crypto from 'node:crypto';
import type { OutputMode } from '../output/mode.js';
import { printJson } from '../output/json.js';
import { UserError } from '../core/errors.js';
import { generateKeyPair, keyFingerprint } from './keys.js';

export async function runKeygenCommand(flags: { out?: string; mode: OutputMode }): Promise<void> {
  if (!flags.out) throw new UserError('keygen needs --out', 'e.g. --out audit-key (writes audit-key.pem and audit-key.pub)');
  const base = flags.out.replace(/\.(pem|pub)$/, '');
  const privateFile = `${base}.pem`;
  const publicFile = `${base}.pub`;
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
  const fingerprint = keyFingerprint(crypto.createPublicKey(publicPem));
  if (flags.mode === 'json') printJson({ private: privateFile, public: publicFile, fingerprint });
  else process.stdout.write(`wrote ${privateFile} (private, mode 0600) and ${publicFile}; fingerprint ${fingerprint}\n`);
}
