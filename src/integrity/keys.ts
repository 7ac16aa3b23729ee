import crypto from 'node:crypto';
import fs from 'node:fs';
import { UserError } from '../core/errors.js';

/**
 * Ed25519 keys and signatures for seals and reports (node:crypto, no dependency). Keys are PEM
 * files: a PKCS#8 private key ("audit-key.pem") and an SPKI public key ("audit-key.pub"), the
 * form `openssl genpkey -algorithm ed25519` and `evtrail keygen` write.
 */

/** The hint when --key is missing or empty (seal, report). */
export const PRIVATE_KEY_HINT = 'pass an Ed25519 private key: --key audit-key.pem (evtrail keygen --out audit-key makes one)';

const KEYGEN_HINT = 'create a pair with: openssl genpkey -algorithm ed25519 -out audit-key.pem && openssl pkey -in audit-key.pem -pubout -out audit-key.pub';

export function loadPrivateKey(file: string): crypto.KeyObject {
  return loadKey(file, 'private');
}

/** A public key file; a private key also works (its public half is used). */
export function loadPublicKey(file: string): crypto.KeyObject {
  return loadKey(file, 'public');
}

function loadKey(file: string, kind: 'private' | 'public'): crypto.KeyObject {
  const pem = readKeyFile(file, `${kind} key`);
  let key: crypto.KeyObject;
  try {
    key = kind === 'private' ? crypto.createPrivateKey(pem) : crypto.createPublicKey(pem);
  } catch {
    throw new UserError(`${file} is not a PEM ${kind} key`, kind === 'private' ? KEYGEN_HINT : 'pass the .pub file written with the private key (openssl pkey -in KEY.pem -pubout)');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new UserError(`${file} is a ${key.asymmetricKeyType} key, not Ed25519`, KEYGEN_HINT);
  return key;
}

/** A new key pair as PEM text. */
export function generateKeyPair(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** Base64 Ed25519 signature of the bytes. */
export function sign(bytes: Buffer | string, key: crypto.KeyObject): string {
  return crypto.sign(null, Buffer.from(bytes), key).toString('base64');
}

export function verifySignature(bytes: Buffer | string, signature: string, key: crypto.KeyObject): boolean {
  try {
    return crypto.verify(null, Buffer.from(bytes), key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

/** SHA-256 fingerprint of a public key (of its DER form), to name which key signed. */
export function keyFingerprint(key: crypto.KeyObject): string {
  const pub = key.type === 'private' ? crypto.createPublicKey(key) : key;
  return crypto.createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('hex');
}

export function sha256Hex(bytes: Buffer | string): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

function readKeyFile(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read ${what} ${file}${code === 'ENOENT' ? ': no such file' : ''}`, KEYGEN_HINT);
  }
}
