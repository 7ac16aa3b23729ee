/**
 * Colour as a terminal user sets it: every command run in a real pseudo-terminal (`script`),
 * sized as a terminal is; NO_COLOR and --no-color leave no colour or style code in what it
 * draws, and without them the explorer-style commands do colour. A pseudo-terminal that reports
 * no width (`script` alone) gets readable text, not one character per line.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, cli, tmpDir } from '../helpers.js';

const hasScript = spawnSync('script', ['--version']).status === 0;
let dir: string;
let db: string;

beforeAll(() => {
  dir = tmpDir('evtrail-colour-');
  db = path.join(dir, 'store.duckdb');
  const r = cli(['ingest', path.join(ROOT, 'fixtures', 'trading-sample.ndjson'), '--db', db]);
  expect(r.code, r.stderr).toBe(0);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs evtrail in a pseudo-terminal (120×40 unless `size` is false); what the terminal received. */
function inTerminal(args: string[], env: Record<string, string> = {}, size = true, cols = 120): string {
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const r = spawnSync('script', ['-qec', `${size ? `stty cols ${cols} rows 40; ` : ''}${quoted}`, '/dev/null'], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, EVTRAIL_DB: undefined, CI: undefined, ...env },
    timeout: 60_000,
  });
  return String(r.stdout);
}

// Colour and style codes (SGR: ESC [ … m); ink's cursor and screen codes are not colour.
const SGR = /\x1b\[[0-9;]*m/;
const COMMANDS: string[][] = [
  ['info'], ['audit', '--fail-on', 'none'], ['trace', 'ord-00000006'], ['replay', '--projection', 'orders', '--key', 'ord-00000006'],
  ['query', 'select type, count(*) as n from events group by all order by n desc limit 3'], ['schema', 'timeline'], ['rejects'], ['verify'],
];

describe.skipIf(!hasScript)('colour in a terminal', () => {
  for (const args of COMMANDS) {
    it(`${args[0]}: none with NO_COLOR=1 or --no-color`, () => {
      const plain = inTerminal([...args, '--db', db], { NO_COLOR: '1' });
      expect(plain.length).toBeGreaterThan(20);
      expect(plain).not.toMatch(SGR);
      expect(inTerminal([...args, '--db', db, '--no-color'])).not.toMatch(SGR);
    });
  }

  it('without them a terminal gets colour (so the checks above can fail)', () => {
    expect(inTerminal(['trace', 'ord-00000006', '--db', db])).toMatch(/\x1b\[3[0-9]m/);
    expect(inTerminal(['audit', '--fail-on', 'none', '--db', db])).toMatch(/\x1b\[3[0-9]m/);
  });

  it('trace in a terminal too narrow for its tree: the fitted rows keep their colours, and NO_COLOR still turns them off', () => {
    const strip = (l: string) => l.replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, '');
    const rows = (out: string) => out.split(/\r?\n/).filter((l) => /^\d\d:\d\d:\d\d\.\d{9} /.test(strip(l)));
    const coloured = rows(inTerminal(['trace', 'ord-00000006', '--db', db], {}, true, 80));
    expect(coloured.length).toBe(8);
    // The fitted table (not the tree): shortened, and said so.
    expect(coloured.some((l) => strip(l).includes('…'))).toBe(true);
    // time and id dim (gray), source cyan, the slowest hop's Δt yellow.
    for (const l of coloured) expect(l).toMatch(/\x1b\[90m\d\d:\d\d/);
    for (const l of coloured) expect(l).toMatch(/\x1b\[36m[a-z-]+ /);
    expect(coloured.filter((l) => /\x1b\[33m\+[\d.]+ ms/.test(l)).length).toBe(1);
    const plain = rows(inTerminal(['trace', 'ord-00000006', '--db', db], { NO_COLOR: '1' }, true, 80));
    expect(plain.length).toBe(8);
    for (const l of plain) expect(l).not.toMatch(SGR);
  });

  it('a terminal that reports no width gets whole lines, not a character per line', () => {
    const out = inTerminal(['trace', 'ord-00000006', '--db', db], { NO_COLOR: '1' }, false);
    const lines = out.split(/\r?\n/).filter((l) => l.trim() !== '');
    expect(lines[0]).toMatch(/^ord-00000006: business key/);
    expect(lines.filter((l) => l.trim().length === 1).length).toBe(0);
  });
});
