/**
 * Output that fits the terminal (issue 20), as a user sees it: every tabular command run in a
 * real terminal (tmux) 80 columns wide prints no line wider than 80 (wrapped lines joined back
 * with capture-pane -J, so a line the terminal wrapped counts whole), says which columns it left
 * out, and shows them with --wide; the same commands in a pipe keep every value whole.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BIN, ROOT, cli, tmpDir } from '../helpers.js';

// Each test runs the built CLI several times; on the shared two-core machine that takes minutes.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

const HAS_TMUX = spawnSync('tmux', ['-V']).status === 0;
const SOCKET = `evtrail-fit-e2e-${process.pid}`;
let dir = '';
let db = '';
let n = 0;

beforeAll(() => {
  dir = tmpDir('evtrail-fit-');
  db = path.join(dir, 'store.duckdb');
  const r = cli(['ingest', path.join(ROOT, 'fixtures', 'trading-sample.ndjson'), '--db', db]);
  expect(r.code, r.stderr).toBe(0);
  if (HAS_TMUX) tmux('new-session', '-d', '-s', 'keep', 'sleep 3600');
});
afterAll(() => {
  if (HAS_TMUX) spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
  fs.rmSync(dir, { recursive: true, force: true });
});

const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });

/** Runs evtrail in an 80-column terminal; the lines it drew (wrapped lines joined), once it ended. */
async function inTerminal(args: string[], width = 80): Promise<string[]> {
  const session = `fit-${process.pid}-${++n}`;
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  tmux('new-session', '-d', '-s', session, '-x', String(width), '-y', '50', `env -u EVTRAIL_DB NO_COLOR=1 LANG=C.UTF-8 ${quoted} 2>/dev/null; echo __END__; sleep 60`);
  try {
    const end = Date.now() + 60_000;
    for (;;) {
      const text = tmux('capture-pane', '-p', '-J', '-S', '-', '-t', session);
      if (text.includes('__END__')) return text.slice(0, text.indexOf('__END__')).split('\n').map((l) => l.trimEnd());
      if (Date.now() > end) throw new Error(`timed out; the screen:\n${text}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    spawnSync('tmux', ['-L', SOCKET, 'kill-session', '-t', session]);
  }
}

const widest = (lines: string[]) => Math.max(...lines.map((l) => [...l].length));

/**
 * The command, and each row as it must start on a line of its own: ink wraps a row wider than
 * the terminal onto more lines itself (each under 80), so the rows are counted too.
 */
const COMMANDS: [string[], RegExp, number][] = [
  [['replay', '--projection', 'orders', '--limit', '5'], /^ord-\d{8} +acc-\d+ +[A-Z]+ +(BUY|SELL) +\d+/, 5],
  [['audit', '--details', '--fail-on', 'none'], /^[a-z-]+ +(error|warning) +\d+ +(evt-\w+)? +\d+$/, 16],
  [['trace', 'ord-00000006'], /^\d\d:\d\d:\d\d\.\d{9} .* [1-8]$/, 8],
  [['query', 'select * from events order by seq limit 5'], /^[1-5] +evt-/, 5],
  [['info'], /^410 +40 +13 /, 1],
  [['rejects'], /^no rejects/, 1],
  [['schema', 'timeline'], /^Order[A-Za-z]+ +v\d+ +\d+ +2025-/, 3],
  [['verify'], /^ok: 410 events in /, 1],
];

describe.skipIf(!HAS_TMUX)('tables in an 80-column terminal', () => {
  for (const [args, row, rows] of COMMANDS) {
    it(`${args.join(' ')}: no line wider than 80, one line a row`, async () => {
      const lines = await inTerminal([...args, '--db', db]);
      expect(widest(lines), lines.join('\n')).toBeLessThanOrEqual(80);
      expect(lines.filter((l) => row.test(l)).length, lines.join('\n')).toBeGreaterThanOrEqual(rows);
    });
  }

  it('says which columns it left out, shortens ids in the middle, and --wide shows everything', async () => {
    const lines = await inTerminal(['replay', '--projection', 'streams', '--limit', '3', '--db', db]);
    const note = lines.find((l) => l.startsWith('not shown: '));
    expect(note, lines.join('\n')).toMatch(/^not shown: .*state.*(; shortened: .*)? \(--wide shows all\)$/);
    expect(lines.join('\n')).toMatch(/^order-ord-00000001 /m);

    const query = await inTerminal(['query', "select 'order-ord-' || lpad(range::VARCHAR, 90, '0') as stream, 1 as n from range(2)", '--db', db]);
    expect(query.join('\n')).toMatch(/^order-ord-0+…0+1 +1$/m);

    // --wide: every column, the rows wrapped by the terminal (as before the fitting).
    const wide = await inTerminal(['replay', '--projection', 'streams', '--limit', '3', '--wide', '--db', db]);
    expect(wide.some((l) => /^(not shown|shortened):/.test(l))).toBe(false);
    expect(wide.join('\n')).toMatch(/\bstate\b/);
    expect(wide.filter((l) => /^order-ord-0000000[1-3] +\d+ +\d+ +[A-Za-z]+ +2025-08-26T[\d:.]+Z +0 /.test(l)).length).toBe(0);
  });
});

describe.skipIf(!HAS_TMUX)('trace in an 80-column terminal', () => {
  it('cuts event types at their end (OrderPartiallyF…), ids in their middle', async () => {
    const lines = await inTerminal(['trace', 'ord-00000006', '--db', db]);
    const rows = lines.filter((l) => /^\d\d:\d\d:\d\d\.\d{9} /.test(l));
    expect(rows.filter((l) => / OrderPartiallyF?…  /.test(l)), lines.join('\n')).toHaveLength(2);
    expect(rows.some((l) => /[A-Za-z]…[a-z]+ /.test(l)), lines.join('\n')).toBe(false);
    expect(rows.some((l) => / evt-[0-9a-f]+…[0-9a-f]+ /.test(l)), lines.join('\n')).toBe(true);
  });
});

describe.skipIf(!HAS_TMUX)('a table whose columns all fit but some only cut short', () => {
  it('schema compat names the column it shortened (why) and hints --wide; --wide shows it whole', async () => {
    const schemas = path.join(ROOT, 'src', 'packs', 'trading', 'schemas');
    const args = ['schema', 'compat', '--old', path.join(schemas, 'OrderPlaced.v2.json'), '--new', path.join(schemas, 'OrderPlaced.v1.json')];
    const lines = await inTerminal(args);
    expect(widest(lines), lines.join('\n')).toBeLessThanOrEqual(80);
    expect(lines.some((l) => /…/.test(l)), lines.join('\n')).toBe(true);
    expect(lines.find((l) => /^(not shown: .*; )?shortened: /.test(l)), lines.join('\n')).toMatch(/shortened: (.*, )?why(, .*)? \(--wide shows all\)$/);
    const wide = await inTerminal([...args, '--wide']);
    expect(wide.some((l) => /^(not shown|shortened):/.test(l)), wide.join('\n')).toBe(false);
    expect(wide.join('\n')).not.toMatch(/…/);
  });
});

describe.skipIf(!HAS_TMUX)('prose in an 80-column terminal', () => {
  it('audit --explain wraps its prose at the width (SQL kept as written); a pipe gets one line a paragraph', async () => {
    const lines = await inTerminal(['audit', '--explain', 'saga-incomplete', '--db', db]);
    const doc = JSON.parse(cli(['audit', '--explain', 'saga-incomplete', '--db', db, '--json']).stdout) as { description: string; sql: string; uses: { sql: string | null }[] };
    const sql = [doc.sql, ...doc.uses.map((u) => u.sql ?? '')].join('\n');
    // Only SQL may be wider than the terminal.
    const wider = lines.filter((l) => [...l].length > 80);
    for (const l of wider) expect(sql, `a line wider than 80 that is not SQL: ${l}`).toContain(l.trim());
    // The description is all there, wrapped at words with the paragraph's indent.
    const at = lines.indexOf('What it checks');
    const section = lines.slice(at + 1, lines.indexOf('', at));
    expect(section.length).toBeGreaterThan(doc.description.split('\n').length);
    for (const l of section) expect(l).toMatch(/^  \S/);
    expect(section.map((l) => l.trim()).join(' ')).toBe(doc.description.split('\n').map((l) => l.trim()).join(' '));

    const pipe = cli(['audit', '--explain', 'saga-incomplete', '--db', db]).stdout.split('\n');
    const piped = pipe.slice(pipe.indexOf('What it checks') + 1, pipe.indexOf('', pipe.indexOf('What it checks')));
    expect(piped).toEqual(doc.description.split('\n').map((l) => `  ${l}`));
  });
});

describe('tables in a pipe', () => {
  it('keep every value whole, however long', () => {
    const long = 'x'.repeat(300);
    const r = cli(['query', `select '${long}' as v, 'order-ord-' || lpad('42', 120, '0') as stream`, '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(long);
    expect(r.stdout).toContain(`order-ord-${'0'.repeat(118)}42`);
    expect(r.stdout).not.toContain('…');
    expect(r.stdout).not.toContain('not shown');
    const replay = cli(['replay', '--projection', 'orders', '--limit', '2', '--db', db]);
    expect(replay.stdout.split('\n')[1]).toMatch(/orderId +accountId .* lastEventAt +events +conflicts$/);
  });
});

describe.skipIf(!HAS_TMUX)('progress in a terminal', () => {
  it('ingest of a large file shows the step, how far and the time spent on stderr, then clears it; --quiet shows none', async () => {
    const log = path.join(dir, 'big.ndjson');
    execFileSync(process.execPath, [path.join(ROOT, 'dist/fixtures/generate.js'), '--orders', '15000', '--seed', '11', '--out', log]);
    const run = async (extra: string[]) => {
      const session = `progress-${process.pid}-${++n}`;
      const store = path.join(dir, `progress-${n}.duckdb`);
      const quoted = [process.execPath, BIN, 'ingest', log, '--db', store, ...extra].map((a) => `'${a}'`).join(' ');
      tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '20', `env NO_COLOR=1 LANG=C.UTF-8 ${quoted}; echo __END__; sleep 60`);
      const frames = new Set<string>();
      try {
        const end = Date.now() + 240_000;
        for (;;) {
          const screen = tmux('capture-pane', '-p', '-t', session);
          for (const line of screen.split('\n')) if (line.trim()) frames.add(line.trimEnd());
          if (screen.includes('__END__')) return { frames: [...frames], screen };
          if (Date.now() > end) throw new Error(`timed out; the screen:\n${screen}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      } finally {
        spawnSync('tmux', ['-L', SOCKET, 'kill-session', '-t', session]);
      }
    };
    const shown = await run([]);
    const progress = shown.frames.filter((l) => /^(reading|storing|checking ids|chaining|committing)\b.* · \d+(\.\d)?s$/.test(l));
    expect(progress.length, shown.frames.join('\n')).toBeGreaterThan(0);
    expect(progress.some((l) => l.startsWith('reading ') && l.includes('big.ndjson'))).toBe(true);
    // Cleared once done: the final screen holds the summary, not a progress line.
    expect(shown.screen).toMatch(/^ingested \d+ events into /m);
    expect(shown.screen.split('\n').filter((l) => / · \d+(\.\d)?s$/.test(l))).toEqual([]);

    const quiet = await run(['--quiet']);
    expect(quiet.frames.filter((l) => / · \d+(\.\d)?s$/.test(l))).toEqual([]);
  }, 600_000);
});
