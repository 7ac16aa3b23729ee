/**
 * A tool that teaches itself (issue 20): examples at the end of every command's help, the
 * top-level help grouped by question, shell completion that completes in a real bash, next
 * steps after demo, ingest and info, and the progress line's wording.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BIN, ROOT, cli, tmpDir } from '../helpers.js';

// Each test runs the built CLI several times; on the shared two-core machine that takes minutes.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });
import { progressText } from '../../src/output/progress.js';

let dir = '';
beforeAll(() => {
  dir = tmpDir('evtrail-teach-');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Every command path (`schema compat`), hidden ones left out. */
function commandPaths(): string[][] {
  const top = cli(['--help']).stdout.split('\nExamples:')[0]!;
  const names = [...top.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]!).filter((n) => n !== 'help');
  return names.flatMap((name) => {
    if (name !== 'schema') return [[name]];
    const sub = cli(['schema', '--help']).stdout.split('\nExamples:')[0]!;
    return [['schema'], ...[...sub.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]!).filter((n) => n !== 'help').map((n) => ['schema', n])];
  });
}

describe('--help teaches', () => {
  it('groups the commands by the question they answer', () => {
    const help = cli(['--help']).stdout;
    const order = ['Start here:', 'Getting data in:', 'What was the state at T?', 'Why did this order do that?', 'What broke the rules?', 'Is the log intact?', 'Is this schema change safe?', 'Anything else:'];
    const at = order.map((h) => help.indexOf(`\n${h}\n`));
    expect(at.every((i) => i > 0), help).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    const group = (h: string) => help.slice(help.indexOf(`\n${h}\n`), help.indexOf('\n\n', help.indexOf(`\n${h}\n`) + 1));
    expect(group('What was the state at T?')).toMatch(/\n {2}replay .*\n[\s\S]*\n {2}snapshot /);
    expect(group('Why did this order do that?')).toMatch(/\n {2}trace /);
    expect(group('Is the log intact?')).toMatch(/\n {2}verify [\s\S]*\n {2}seal /);
    expect(help).not.toContain('__complete');
  });

  it('every command ends with two to four real examples of itself', () => {
    const paths = commandPaths();
    expect(paths.length).toBeGreaterThan(18);
    for (const p of paths) {
      const help = cli([...p, '--help']).stdout;
      const block = help.slice(help.lastIndexOf('\nExamples:\n'));
      const examples = block.split('\n').slice(2).filter((l) => /^ {2}evtrail /.test(l));
      expect(help, p.join(' ')).toContain('\nExamples:\n');
      // replay and snapshot have more (their own, before this change); others two to four.
      if (p[0] !== 'replay') expect(examples.length, `${p.join(' ')}:\n${block}`).toBeGreaterThanOrEqual(p[0] === 'keygen' ? 1 : 2);
      if (p[0] !== 'replay') expect(examples.length, p.join(' ')).toBeLessThanOrEqual(4);
      expect(examples.filter((e) => e.includes(`evtrail ${p.join(' ')}`)).length, p.join(' ')).toBeGreaterThanOrEqual(1);
    }
  });
});

describe('evtrail completion', () => {
  const hasBash = spawnSync('bash', ['--version']).status === 0;
  it.skipIf(!hasBash)('bash: completes a subcommand, a rule id, a preset and a projection in a real bash', () => {
    const bin = shim();
    const script = `
source <(evtrail completion bash)
complete -p evtrail
t() { COMP_WORDS=("$@"); COMP_CWORD=$((\${#COMP_WORDS[@]}-1)); COMPREPLY=(); _evtrail_complete; echo "$*=>\${COMPREPLY[*]}"; }
t evtrail rep
t evtrail audit --only order-o
t evtrail audit --only order-overfill,sag
t evtrail audit --explain fill-a
t evtrail ingest x.ndjson --preset cloud
t evtrail replay --projection pos
t evtrail schema com
`;
    const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^complete .*-F _evtrail_complete .*evtrail$/);
    expect(lines.slice(1)).toEqual([
      'evtrail rep=>replay report',
      'evtrail audit --only order-o=>order-overfill',
      'evtrail audit --only order-overfill,sag=>order-overfill,saga-incomplete',
      'evtrail audit --explain fill-a=>fill-after-terminal',
      'evtrail ingest x.ndjson --preset cloud=>cloudevents',
      'evtrail replay --projection pos=>positions',
      'evtrail schema com=>compat',
    ]);
  });

  /** A folder on PATH with an `evtrail` that runs the built CLI, as an installed one would. */
  const shim = (): string => {
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(path.join(bin, 'evtrail'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"\n`, { mode: 0o755 });
    return bin;
  };
  const hasFish = spawnSync('fish', ['--version']).status === 0;
  const hasZsh = spawnSync('zsh', ['--version']).status === 0;
  const hasTmux = spawnSync('tmux', ['-V']).status === 0;

  // fish's own completion engine (complete -C: what Tab lists) over the sourced script.
  it.skipIf(!hasFish)(`fish: completes a subcommand, a rule id, a preset and a projection in a real fish${hasFish ? '' : ' (skipped: fish is not installed)'}`, () => {
    const cases: [string, string[]][] = [
      ['evtrail rep', ['replay', 'report']],
      ['evtrail audit --only order-o', ['order-overfill']],
      ['evtrail audit --only order-overfill,sag', ['order-overfill,saga-incomplete']],
      ['evtrail audit --explain fill-a', ['fill-after-terminal']],
      ['evtrail ingest x.ndjson --preset cloud', ['cloudevents']],
      ['evtrail replay --projection pos', ['positions']],
      ['evtrail schema com', ['compat']],
    ];
    const script = `evtrail completion fish | source\n${cases.map(([line]) => `complete -C ${JSON.stringify(line)}; echo ---`).join('\n')}\n`;
    const r = spawnSync('fish', ['--no-config', '-c', script], { encoding: 'utf8', env: { ...process.env, PATH: `${shim()}:${process.env.PATH}`, HOME: dir } });
    expect(r.status, r.stderr).toBe(0);
    const got = r.stdout.split('---\n').slice(0, -1).map((block) => block.split('\n').filter(Boolean).map((l) => l.split('\t')[0]!));
    expect(got).toEqual(cases.map(([, want]) => want));
  });

  // zsh completes only in its line editor: an interactive zsh in tmux, the line typed, then Tab.
  it.skipIf(!hasZsh || !hasTmux)(`zsh: Tab completes a rule id, a preset and a projection in an interactive zsh${hasZsh && hasTmux ? '' : ` (skipped: ${hasZsh ? 'tmux' : 'zsh'} is not installed)`}`, async () => {
    const home = path.join(dir, 'zsh');
    fs.mkdirSync(home, { recursive: true });
    fs.writeFileSync(path.join(home, '.zshrc'), "PS1='$ '\nautoload -U compinit && compinit -u\nsource <(evtrail completion zsh)\n");
    const socket = `evtrail-zsh-${process.pid}`;
    const tmux = (...args: string[]) => spawnSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' }).stdout;
    const screen = () => tmux('capture-pane', '-p', '-t', 'z').split('\n').map((l) => l.trimEnd()).filter(Boolean);
    const until = async (ok: (lines: string[]) => boolean) => {
      const end = Date.now() + 60_000;
      while (!ok(screen())) {
        if (Date.now() > end) throw new Error(`timed out; the screen:\n${screen().join('\n')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      return screen();
    };
    const env = `env PATH='${shim()}:${process.env.PATH}' ZDOTDIR='${home}' HOME='${home}'`;
    tmux('new-session', '-d', '-s', 'z', '-x', '120', '-y', '20', `${env} zsh -i`);
    try {
      await until((l) => l.includes('$'));
      const cases: [string, string][] = [
        ['evtrail audit --explain fill-a', '$ evtrail audit --explain fill-after-terminal'],
        ['evtrail audit --only order-overfill,sag', '$ evtrail audit --only order-overfill,saga-incomplete'],
        ['evtrail ingest x.ndjson --preset cloud', '$ evtrail ingest x.ndjson --preset cloudevents'],
        ['evtrail replay --projection pos', '$ evtrail replay --projection positions'],
      ];
      for (const [typed, completed] of cases) {
        tmux('send-keys', '-t', 'z', 'C-u', typed, 'Tab');
        const lines = await until((l) => l.at(-1) === completed);
        expect(lines.at(-1)).toBe(completed);
      }
    } finally {
      tmux('kill-server');
    }
  });

  it('zsh and fish scripts ask the same hidden command; an unknown shell is a usage error', () => {
    for (const shell of ['zsh', 'fish']) expect(cli(['completion', shell]).stdout).toContain('evtrail __complete');
    const bad = cli(['completion', 'tcsh']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^evtrail: completion tcsh: unknown shell\nhint: /);
  });
});

/** Runs evtrail with stderr (and stdout) on a pseudo-terminal (`script`); what it printed. */
function inTerminal(args: string[]): string {
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const r = spawnSync('script', ['-qec', `stty cols 120 rows 40; ${quoted}`, '/dev/null'], {
    encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', EVTRAIL_DB: undefined }, timeout: 120_000,
  });
  return String(r.stdout).replace(/\r/g, '');
}

describe('next steps', () => {
  const hasScript = spawnSync('script', ['--version']).status === 0;
  it('demo points at ui and report (on stderr, even in a pipe)', () => {
    const db = path.join(dir, 'demo.duckdb');
    const demo = cli(['demo', '--db', db]);
    expect(demo.code, demo.stderr).toBe(0);
    expect(demo.stderr).toMatch(/\n {6}evtrail ui --db \S+ +explore it/);
    expect(demo.stderr).toMatch(/\n {6}evtrail report --out audit.html --db \S+ +the findings/);
    expect(demo.stdout).not.toContain('next:');
  });

  it.skipIf(!hasScript)('ingest and info end with commands to try in a terminal; never in a pipe, with --json or --quiet', () => {
    const store = path.join(dir, 'store.duckdb');
    const sample = path.join(ROOT, 'fixtures', 'trading-sample.ndjson');
    expect(inTerminal(['ingest', sample, '--db', store])).toMatch(/next: evtrail info --db \S+ +what the store holds now$/m);
    expect(inTerminal(['ingest', sample, '--db', path.join(dir, 'q.duckdb'), '--quiet'])).not.toContain('next:');
    const info = inTerminal(['info', '--db', store]);
    expect(info).toMatch(/next: evtrail replay --at end-1m --db /m);
    expect(info).toMatch(/evtrail trace order-ord-\d+ --db /);
    expect(inTerminal(['info', '--db', store, '--json'])).not.toContain('next:');
    expect(cli(['info', '--db', store]).stderr).toBe('');
    // Each step runs as printed.
    const replay = cli(['replay', '--at', 'end-1m', '--db', store]);
    expect(replay.code, replay.stderr).toBe(0);
  });
});

describe('the progress line', () => {
  it('says the step, how far, rows and their rate, and the time left once it can be known', () => {
    expect(progressText('reading a.ndjson', { share: 0.25, rows: 120_000 }, 2000, 3500)).toBe('reading a.ndjson · 25% · 120.0k rows · 60.0k rows/s · ~6.0s left · 3.5s');
    // Early on, or when the share is the statement's and not the step's: no estimate.
    expect(progressText('reading a.ndjson', { share: 0.25, rows: 120_000 }, 400, 400)).toBe('reading a.ndjson · 25% · 120.0k rows · 0.4s');
    expect(progressText('checking ids', { share: 0.5, rows: 0 }, 5000, 9000, false)).toBe('checking ids · 50% · 9.0s');
    expect(progressText('storing', undefined, 0, 61_000)).toBe('storing · 1m01s');
  });

  it('never in a pipe', () => {
    const r = cli(['ingest', path.join(ROOT, 'fixtures', 'trading-sample.ndjson'), '--db', path.join(dir, 'p.duckdb')]);
    expect(r.stderr).not.toMatch(/\r|\x1b\[2K/);
  });
});
