import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './helpers.js';

/**
 * The end-to-end tests run the built CLI (dist/). A bare `npx vitest` after editing src/ would
 * test a stale build and pass or fail for the wrong reason: build first whenever any source
 * file is newer than the build (`npm test` builds anyway, so this is then a no-op).
 */
export default function buildIfStale(): void {
  const built = path.join(ROOT, 'dist', 'cli', 'main.js');
  const builtAt = fs.existsSync(built) ? fs.statSync(built).mtimeMs : 0;
  if (newestMtime(path.join(ROOT, 'src')) <= builtAt) return;
  console.warn('dist/ is older than src/: building (npm run build) before the tests');
  const result = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error('the build failed: the tests would run against a stale dist/');
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !/\.tsx?$/.test(entry.name)) continue;
    newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}
