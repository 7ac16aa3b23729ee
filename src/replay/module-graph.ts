/**
 * What a user's module loads, for a hash that changes whenever its behaviour can: the module's
 * own bytes and those of every local file it imports, transitively (static and dynamic
 * `import`, `export … from`, `require`), and for a package it imports, its name and version.
 * A snapshot keyed by the module's file alone stays "fresh" when a helper it imports changes
 * (issue 18): its state then comes from code that no longer exists.
 *
 * The specifiers are read from the source text (no module is evaluated for this): a specifier
 * built at run time is not seen, and one inside a comment is hashed too (harmless).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SPECIFIERS = [
  /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
  /\bimport\s*['"]([^'"]+)['"]/g,
  /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
];

/** The specifiers a module's source names. */
export function importSpecifiers(source: string): string[] {
  const found = new Set<string>();
  for (const re of SPECIFIERS) for (const m of source.matchAll(re)) found.add(m[1]!);
  return [...found];
}

/** A relative import as a file: as written, then the TypeScript file behind a `.js` name, then with an extension or index. */
function resolveLocal(from: string, spec: string): string | undefined {
  const base = spec.startsWith('file:') ? fileURLToPath(spec) : path.resolve(path.dirname(from), spec);
  const candidates = [base, base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), base.replace(/\.cjs$/, '.cts'),
    ...['.js', '.mjs', '.cjs', '.ts', '.mts', '.json'].map((e) => base + e), path.join(base, 'index.js'), path.join(base, 'index.ts')];
  return candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isFile());
}

/** A package's name and version as installed where `from` would find it; the name alone when not found. */
function packageKey(from: string, spec: string): string {
  if (spec.startsWith('node:')) return spec;
  const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
  try {
    const pkg = JSON.parse(fs.readFileSync(createRequire(from).resolve(`${name}/package.json`), 'utf8')) as { version?: string };
    return `${spec}@${pkg.version ?? '?'}`;
  } catch {
    return spec;
  }
}

/**
 * SHA-256 over the module and its local import graph: each file by its path relative to the
 * module's folder and its bytes, in a fixed order, then the packages it imports.
 */
export function moduleGraphHash(file: string): string {
  const root = path.dirname(file);
  const files = new Map<string, Buffer>();
  const packages = new Set<string>();
  const queue = [path.resolve(file)];
  while (queue.length > 0) {
    const f = queue.shift()!;
    if (files.has(f)) continue;
    const bytes = fs.readFileSync(f);
    files.set(f, bytes);
    if (f.endsWith('.json')) continue;
    for (const spec of importSpecifiers(bytes.toString('utf8'))) {
      if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('file:')) {
        const local = resolveLocal(f, spec);
        if (local) queue.push(local);
        else packages.add(`missing:${spec}`);
      } else {
        packages.add(packageKey(f, spec));
      }
    }
  }
  const h = crypto.createHash('sha256');
  const [first, ...rest] = [...files.keys()];
  for (const f of [first!, ...rest.sort()]) {
    h.update(`${path.relative(root, f)}\0${files.get(f)!.length}\0`).update(files.get(f)!);
  }
  for (const p of [...packages].sort()) h.update(`\0package ${p}`);
  return h.digest('hex');
}
