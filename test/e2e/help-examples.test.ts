/**
 * The examples at the end of every `--help` (src/cli/help.ts, and replay's, snapshot's and
 * watch's own) are real: every file an example reads is in the package (fixtures/, examples/,
 * src/packs/), unless its name says the reader brings it (`my-…`), and every example that needs
 * nothing of the reader's is run as written, from a folder laid out like the package's root with
 * the store of `evtrail demo` as the default store; none may fail as a usage error.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PACKAGED, missing, placeholder, shellWords, url, written, type Example } from '../examples.js';
import { BIN, ROOT, cli, tmpDir } from '../helpers.js';

// About forty runs of the built CLI: minutes on the shared two-core machine.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 300_000 });

/** Every command path (`schema compat`), hidden ones and help left out. */
function commandPaths(): string[][] {
  const names = (args: string[]) => [...cli([...args, '--help']).stdout.split('\nExamples:')[0]!.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]!).filter((n) => n !== 'help');
  return names([]).flatMap((name) => (name === 'schema' ? [['schema'], ...names(['schema']).map((n) => ['schema', n])] : [[name]]));
}

function examples(): Example[] {
  return commandPaths().flatMap((p) => {
    const help = cli([...p, '--help']).stdout;
    const block = help.slice(help.lastIndexOf('\nExamples:\n'));
    return block.split('\n').filter((l) => /^ {2}evtrail( |$)/.test(l)).map((l) => ({ command: p.join(' '), line: l.trim(), words: shellWords(l.trim()) }));
  });
}

/** Commands not run: the explorer and watch run until stopped, completion writes into the shell's setup. */
const NOT_RUN: Record<string, string> = { ui: 'interactive', watch: 'runs until stopped', completion: 'installs into the shell' };
/** Run first: the key and the seal other examples read. */
const FIRST = ['demo', 'keygen', 'seal', 'report'];
const hasTool = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

let all: Example[] = [];
let dir = '';
beforeAll(() => {
  all = examples();
  dir = tmpDir('evtrail-help-examples-');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the --help examples', () => {
  it('read only files the package has, or ones named my-… (the reader\'s own)', () => {
    expect(all.length).toBeGreaterThan(50);
    const made = new Set(all.flatMap(written));
    const bad = all.map((e) => [e.line, missing(e, made)] as const).filter(([, m]) => m.length > 0);
    expect(bad, bad.map(([l, m]) => `${l}: ${m.join(', ')}`).join('\n')).toEqual([]);
  });

  it('run as written when they need nothing of the reader\'s (usage errors fail)', () => {
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'evtrail'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"\n`, { mode: 0o755 });
    const cwd = path.join(dir, 'root');
    fs.mkdirSync(cwd);
    // Laid out like the package's root, where the examples' paths start.
    for (const f of PACKAGED.filter((f) => f !== 'dist' && f !== 'bin')) {
      fs.mkdirSync(path.dirname(path.join(cwd, f)), { recursive: true });
      fs.symlinkSync(path.join(ROOT, f), path.join(cwd, f));
    }
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, NO_COLOR: '1', EVTRAIL_DB: undefined, HOME: dir };
    const runnable = all.filter((e) => !e.words.some((w) => placeholder(w) || url(w)) && NOT_RUN[e.command.split(' ')[0]!] === undefined && e.words.length > 1);
    const order = (e: Example) => (FIRST.includes(e.command) ? FIRST.indexOf(e.command) : FIRST.length);
    const ran: string[] = [];
    const skipped: string[] = [];
    for (const e of [...runnable].sort((a, b) => order(a) - order(b))) {
      const tools = e.words.filter((w, i) => e.words[i - 1] === '|');
      const absent = tools.filter((t) => !hasTool(t));
      if (absent.length) {
        skipped.push(`${e.line} (no ${absent.join(', ')} here)`);
        continue;
      }
      const r = spawnSync('sh', ['-c', `set -e; ${e.line}`], { cwd, env, encoding: 'utf8', timeout: 120_000 });
      // 0, or 1 where a check found problems in the sample (its anomalies are on purpose); never 2 (usage) or 3 (a bug).
      expect([0, 1], `${e.line}\nexit ${r.status}\n${r.stderr}`).toContain(r.status);
      if (r.status === 1) expect(r.stderr, e.line).not.toMatch(/^hint: /m);
      ran.push(e.line);
      // The demo's store is the default store of the examples that name none.
      if (e.words.join(' ') === 'evtrail demo') fs.copyFileSync(path.join(cwd, 'evtrail-demo.duckdb'), path.join(cwd, 'evtrail.duckdb'));
    }
    if (skipped.length) console.warn(`help examples not run:\n  ${skipped.join('\n  ')}`);
    expect(ran.length).toBeGreaterThan(30);
    expect(ran.some((l) => l.startsWith('evtrail demo '))).toBe(true);
  });
});
