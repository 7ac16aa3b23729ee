/**
 * Example command lines (the `--help` examples, the docs' fenced `evtrail …` lines) as shell
 * words, and which files they read that a reader would not have: shared by
 * test/e2e/help-examples.test.ts and test/e2e/docs-links.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './helpers.js';

export interface Example {
  command: string;
  line: string;
  /** Shell words, the comment left out. */
  words: string[];
}

/** Shell words of a line: quotes kept together (and removed), a `#` comment after spaces dropped. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= '';
    } else if (c === ' ') {
      if (word !== null) words.push(word);
      word = null;
    } else if (c === '#' && word === null) break;
    else word = (word ?? '') + c;
  }
  if (word !== null) words.push(word);
  return words;
}

export const PACKAGED = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { files: string[] }).files;
export const FILE = /\/|\.(ndjson|jsonl?|csv|gz|mjs|js|ts|sql|pem|pub|html|xml|md|parquet|svg|sh)(:\d+)?$/;
export const placeholder = (w: string) => /(^|\/)my-/.test(w);
export const url = (w: string) => /^[a-z]+:\/\//.test(w);
/** Words an example writes (after --out or >): a key pair is written as NAME.pem and NAME.pub. */
export function written(e: Example): string[] {
  return e.words.flatMap((w, i) => {
    const before = e.words[i - 1];
    if (before !== '--out' && before !== '>') return [];
    return e.words[i - 2] === 'keygen' ? [w, `${w}.pem`, `${w}.pub`] : [w];
  });
}

/**
 * The files an example reads that are neither in the package nor the reader's own: none may be.
 * The words of another program after a pipe (jq, dot) are its own; a store after --db is the
 * one the example makes or `evtrail demo` made.
 */
export function missing(e: Example, made: Set<string>): string[] {
  const ours = e.words.slice(0, e.words.includes('|') ? e.words.indexOf('|') : undefined);
  const outputs = new Set(written(e));
  return ours.filter((w, i) => {
    if (w.startsWith('-') || w.includes(' ') || !FILE.test(w) || url(w) || placeholder(w) || outputs.has(w) || made.has(w)) return false;
    if (ours[i - 1] === '--db' || ours[i - 1] === '>') return false;
    const file = w.replace(/:\d+$/, '');
    const normal = path.posix.normalize(file).replace(/\/$/, '');
    return !(PACKAGED.some((p) => normal === p || normal.startsWith(`${p}/`)) && fs.existsSync(path.join(ROOT, normal)));
  });
}
