/**
 * Every link of the README and docs/, and every file an error hint names, is a file the npm
 * package holds (issue 20: hints used to name src/*\/README.md, which the package never shipped),
 * and every file the docs' example commands read is one too, or named my-… as the reader's own.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { missing, shellWords, written, type Example } from '../examples.js';
import { ROOT } from '../helpers.js';

const packed = (): Set<string> => {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return new Set((JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path));
};

/** `src/…` and `dist/…` files are what the package is built from: only those listed count. */
function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? sourceFiles(path.join(dir, d.name)) : /\.tsx?$/.test(d.name) ? [path.join(dir, d.name)] : []));
}

/** README.md and docs/*.md, as paths from the package's root. */
const DOCS = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/**
 * The `evtrail …` lines of the docs' fenced blocks (a `$ ` prompt dropped), with a shell
 * variable set in the doc (`S=src/packs/trading/schemas`) put in place.
 */
function docExamples(): Example[] {
  return DOCS.flatMap((doc) => {
    const lines = fs.readFileSync(path.join(ROOT, doc), 'utf8').split('\n');
    const vars = new Map(lines.flatMap((l) => [...l.matchAll(/^([A-Z_]+)=(\S+)$/g)].map((m) => [m[1]!, m[2]!] as const)));
    let fenced = false;
    return lines.flatMap((l, i) => {
      if (/^\s*```/.test(l)) fenced = !fenced;
      const m = fenced ? /^\s*(?:\$ )?(evtrail(?: .*)?)$/.exec(l) : null;
      if (!m) return [];
      const line = m[1]!.replace(/\$([A-Z_]+)/g, (all, name: string) => vars.get(name) ?? all);
      return [{ command: `${doc}:${i + 1}`, line, words: shellWords(line) }];
    });
  });
}

describe('documentation an npm install has', () => {
  const files = packed();

  it('every file a fenced `evtrail …` command of the docs reads is in the package, or named my-… (the reader\'s own)', () => {
    const all = docExamples();
    expect(all.length).toBeGreaterThan(50);
    const made = new Set(all.flatMap(written));
    const bad = all.map((e) => [e, missing(e, made)] as const).filter(([, m]) => m.length > 0);
    expect(bad.map(([e, m]) => `${e.command}: ${e.line}: ${m.join(', ')}`)).toEqual([]);
  });

  it('every relative link of README.md and docs/*.md points at a packed file (and its #anchor exists)', () => {
    let links = 0;
    for (const doc of DOCS) {
      expect(files.has(doc), `${doc} is not in the package`).toBe(true);
      const text = fs.readFileSync(path.join(ROOT, doc), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        links++;
        const [file, anchor] = target!.split('#');
        const resolved = file ? path.posix.normalize(path.posix.join(path.posix.dirname(doc), file)) : doc;
        if (resolved.endsWith('/') || resolved === 'docs') {
          expect([...files].some((f) => f.startsWith(resolved.replace(/\/?$/, '/'))), `${doc}: ${target}`).toBe(true);
          continue;
        }
        expect(files.has(resolved), `${doc}: ${target} (${resolved}) is not in the package`).toBe(true);
        if (anchor) {
          const headings = [...fs.readFileSync(path.join(ROOT, resolved), 'utf8').matchAll(/^#+ (.*)$/gm)].map((m) => m[1]!.toLowerCase().replace(/[^\w\s-]/g, '').trim().replace(/\s/g, '-'));
          expect(headings, `${doc}: ${target}`).toContain(anchor);
        }
      }
    }
    expect(links).toBeGreaterThan(10);
  });

  it('no error hint or message names a file the package does not have', () => {
    for (const file of sourceFiles(path.join(ROOT, 'src'))) {
      const text = fs.readFileSync(file, 'utf8');
      // Strings in code (hints, messages), not comments: a quoted path to a .md file.
      for (const [, name] of text.matchAll(/['"`][^'"`\n]*?\b((?:src|docs)\/[\w./-]+\.md)\b/g)) {
        expect(files.has(name!), `${path.relative(ROOT, file)} names ${name}, which an npm install lacks`).toBe(true);
      }
    }
  });
});
