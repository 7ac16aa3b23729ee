import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { render } from 'ink-testing-library';
import React from 'react';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { terminalSafe } from '../../src/output/terminal.js';
import { Store } from '../../src/store/store.js';
import { App } from '../../src/ui/app/app.js';
import { AppData } from '../../src/ui/app/data/app-data.js';
import { BIN, cli, event, ndjson, tmpDir } from '../helpers.js';

/**
 * Hostile content: a log whose ids, types, streams, file name and rejected lines hold terminal
 * control sequences (clear the screen, set the window title, an 8-bit CSI, CR, a bidi override).
 * Printed, they are shown escaped, never obeyed: plain output, ink output in a terminal, the
 * explorer, error messages. A custom projection's `__proto__` field is kept.
 */
const dir = tmpDir('evtrail-hostile-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const p = (f: string) => path.join(dir, f);

const CLEAR = '\x1b[2J';
const TITLE = '\x1b]0;pwned\x07';
const ID = `id-${CLEAR}-x`;
const TYPE = `Type${TITLE}`;
const STREAM = `s-\u009b31m-\r-\u202e-end`;
const FILE = p(`log-${CLEAR}.ndjson`);
const db = p('hostile.duckdb');

/** Nothing a terminal would obey: no ESC, BEL, CR, C1 or bidi override left raw. */
function harmless(text: string): void {
  expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
}

beforeAll(() => {
  fs.writeFileSync(FILE, ndjson([
    event({ id: ID, type: TYPE, stream: STREAM, rev: 1 }),
    event({ id: 'evt-2', type: 'OrderPlaced', stream: 'order-1', rev: 1, causation_id: ID }),
  ]) + `not json ${CLEAR}${TITLE}\n`);
  const r = cli(['ingest', FILE, '--db', db]);
  expect(r.code, r.stderr).toBe(0);
  harmless(r.stdout + r.stderr);
  expect(r.stdout).toContain('log-\\x1b[2J.ndjson');
});

describe('plain output', () => {
  it.each([
    ['query', ['query', 'select id, type, stream from events order by seq']],
    ['rejects', ['rejects']],
    ['trace', ['trace', ID]],
    ['info', ['info']],
    ['audit', ['audit']],
    ['verify', ['verify']],
  ])('%s shows the control characters escaped', (_name, args) => {
    const r = cli([...args, '--db', db]);
    harmless(r.stdout + r.stderr);
    if (args[0] === 'query') {
      expect(r.stdout).toContain('id-\\x1b[2J-x');
      expect(r.stdout).toContain('Type\\x1b]0;pwned\\x07');
      expect(r.stdout).toContain('s-\\u009b31m-\\x0d-\\u202e-end');
    }
    if (args[0] === 'rejects') expect(r.stdout).toContain('not json \\x1b[2J');
  });

  it('--json stays valid JSON with the same values', () => {
    const r = cli(['query', 'select id, type, stream from events order by seq', '--db', db, '--json']);
    harmless(r.stdout);
    expect(JSON.parse(r.stdout)[0]).toEqual({ id: ID, type: TYPE, stream: STREAM });
  });

  it('error messages and verify\'s problems name the id escaped', async () => {
    const missing = cli(['trace', `${ID}-missing`, '--db', db]);
    harmless(missing.stderr);
    expect(missing.stderr).toContain('\\x1b[2J');
    const copy = p('tampered.duckdb');
    fs.copyFileSync(db, copy);
    const store = await Store.open(copy);
    await store.run(`UPDATE events SET data = '{"x":1}' WHERE seq = 1`);
    store.close();
    const v = cli(['verify', '--db', copy]);
    expect(v.code).toBe(1);
    harmless(v.stdout + v.stderr);
    expect(v.stdout).toContain('(id id-\\x1b[2J-x): changed');
  });
});

describe('ink output in a terminal', () => {
  it('query and trace in a pseudo-terminal: the sequences are not in what is written', (ctx) => {
    if (spawnSync('script', ['--version']).status !== 0) return ctx.skip();
    for (const args of [['query', `'select id, type, stream from events'`], ['trace', '"$EVTRAIL_HOSTILE_ID"']]) {
      const cmd = `stty cols 160 rows 40; ${process.execPath} ${BIN} ${args.join(' ')} --db ${db}`;
      const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', TERM: 'xterm', EVTRAIL_HOSTILE_ID: ID } });
      const out = r.stdout;
      expect(out, `${args[0]}: ${r.stderr}`).toContain('\\x1b[2J');
      expect(out).not.toContain(CLEAR);
      expect(out).not.toContain('\x1b]0;');
      expect(out).not.toContain('\u009b');
    }
  });
});

describe('the explorer', () => {
  it('shows the hostile id escaped on its timeline', async () => {
    const store = await Store.open(db, { readOnly: true });
    const data = await AppData.open(store);
    const view = render(React.createElement(App, { data }));
    try {
      view.stdin.write('2');
      const end = Date.now() + 20_000;
      let frame = view.lastFrame() ?? '';
      while (!frame.includes('\\x1b[2J') && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 50));
        frame = view.lastFrame() ?? '';
      }
      expect(frame).toContain('id-\\x1b[2J-x');
      expect(frame).not.toContain(CLEAR);
      expect(frame).not.toContain('\x1b]0;');
    } finally {
      view.unmount();
      data.runner.cancel(true);
      await data.runner.idle();
      store.close();
    }
  });
});

describe('terminalSafe', () => {
  it('escapes what a terminal obeys, keeps text, tabs and line feeds', () => {
    expect(terminalSafe(`a${CLEAR}b\tc\nd\re\u0007\u007f\u009b\u202eé✓`)).toBe('a\\x1b[2Jb\tc\nd\\x0de\\x07\\u007f\\u009b\\u202eé✓');
  });
});

describe('a custom projection', () => {
  it('keeps a __proto__ field of its state in the output', () => {
    const mod = p('proto.mjs');
    fs.writeFileSync(mod, `export default { name: 'proto', initialState: () => ({}), keyOf: (e) => e.rev, evolve: (s, e) => JSON.parse('{"__proto__": {"polluted": true}, "n": 1}') };\n`);
    const keyed = JSON.parse(cli(['replay', '--projection', mod, '--db', db, '--json']).stdout);
    expect(keyed.rows[0]).toEqual(JSON.parse('{"key": 1, "__proto__": {"polluted": true}, "n": 1}'));
    expect(Object.keys(keyed.rows[0])).toEqual(['key', '__proto__', 'n']);
    const single = p('proto-single.mjs');
    fs.writeFileSync(single, `export default { name: 'single', initialState: () => ({}), evolve: (s, e) => JSON.parse('{"__proto__": 5, "n": 1}') };\n`);
    const one = JSON.parse(cli(['replay', '--projection', single, '--db', db, '--json']).stdout);
    expect(Object.keys(one.rows[0])).toEqual(['__proto__', 'n']);
  });
});

describe('a report', () => {
  it('names a rule from outside the built-in packs with its file and hash', () => {
    const rules = p('rules');
    fs.mkdirSync(rules);
    const text = `-- id: any-read\n-- title: Reads what it likes\n-- severity: warning\n-- description: A rule from outside.\n-- rationale: To be named.\n\nSELECT id AS event_id, stream, 'seen' AS message, seq FROM audit_events WHERE false\n`;
    fs.writeFileSync(path.join(rules, 'any-read.sql'), text);
    const out = p('report.md');
    const r = cli(['report', '--db', db, '--rules', rules, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const sha = (crypto.createHash('sha256').update(text).digest('hex'));
    expect(fs.readFileSync(out, 'utf8')).toContain(`outside the built-in packs: ${path.join(rules, 'any-read.sql')}, sha256 ${sha}`);
    expect(fs.readFileSync(out, 'utf8')).not.toMatch(/order-overfill[^\n]*outside the built-in packs/);
  });
});
