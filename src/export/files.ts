import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Size, SHA-256 and number of line feeds of a file, in one streaming pass. */
export async function hashFile(file: string): Promise<{ bytes: number; sha256: string; lines: number }> {
  const hash = crypto.createHash('sha256');
  let bytes = 0;
  let lines = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
    for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) lines++;
  }
  return { bytes, sha256: hash.digest('hex'), lines };
}

/** Every file under dir, as sorted '/'-separated relative paths (the manifest's spelling). */
export function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

/** Runs fn over items, at most `limit` at a time, results in the items' order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
