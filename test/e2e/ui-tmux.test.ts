// The real `evtrail ui` in a terminal (tmux): keys sent, the screen read back with
// capture-pane, polling for the expected text with a timeout.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, cli, tmpDir } from '../helpers.js';

const HAS_TMUX = spawnSync('tmux', ['-V']).status === 0;
// A tmux server of this file's own (others' sessions on the default one cannot interfere), kept
// up by an idle session between tests: a server whose last session ends exits, and a session
// started at that moment fails ("server exited unexpectedly").
const SOCKET = `evtrail-ui-e2e-${process.pid}`;
let db = '';
let session: string | undefined;
let n = 0;

beforeAll(() => {
  if (!HAS_TMUX) return;
  const dir = tmpDir('evtrail-ui-e2e-');
  const log = path.join(dir, 'log.ndjson');
  execFileSync(process.execPath, [path.join(ROOT, 'dist/fixtures/generate.js'), '--orders', '300', '--anomalies', '0.1', '--seed', '5', '--out', log]);
  db = path.join(dir, 'ui.duckdb');
  tmux('new-session', '-d', '-s', 'keep', 'sleep 3600');
  const r = cli(['ingest', log, '--db', db]);
  if (r.code !== 0) throw new Error(r.stderr);
});
afterAll(() => {
  if (HAS_TMUX) spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
});
afterEach(() => {
  if (session) spawnSync('tmux', ['-L', SOCKET, 'kill-session', '-t', session]);
  session = undefined;
});

const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });

function start(args: string[], { x = 120, y = 36, env = {} as Record<string, string> } = {}): void {
  session = `evtrail-ui-${process.pid}-${++n}`;
  const vars = Object.entries({ NO_COLOR: '', ...env }).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
  const command = `env -u EVTRAIL_DB ${vars} ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} ${args.map((a) => JSON.stringify(a)).join(' ')}; sleep 60`;
  tmux('new-session', '-d', '-s', session, '-x', String(x), '-y', String(y), command);
}

const screen = (escapes = false): string => tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', session!);

async function sees(text: string | RegExp, ms = 20_000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const s = screen();
    if (typeof text === 'string' ? s.includes(text) : text.test(s)) return s;
    if (Date.now() > end) throw new Error(`timed out waiting for ${text}; the screen:\n${s}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Keys one at a time with a pause, as a person types (a burst would read as pasted text). */
async function keys(...list: string[]): Promise<void> {
  for (const k of list) {
    tmux('send-keys', '-t', session!, k);
    await new Promise((r) => setTimeout(r, 250));
  }
}
async function type(text: string): Promise<void> {
  tmux('send-keys', '-t', session!, '-l', text);
  await new Promise((r) => setTimeout(r, 250));
}

describe.skipIf(!HAS_TMUX)('evtrail ui in a terminal', () => {
  it('overview first, every screen by its number, help, q quits back to the shell', async () => {
    start(['ui', '--db', db]);
    await sees('Sources');
    await sees(/\d+,\d{3} events · 300 streams/);
    await keys('2');
    await sees(/›1 +\d\d:\d\d:\d\d\.\d{3} +OrderPlaced/);
    await keys('3');
    await sees('orders as of seq:1');
    await keys('4');
    await sees('/ to trace an id');
    await keys('5');
    await sees(/settlement-mismatch +error +\d/);
    await keys('6');
    await sees('sql>');
    await keys('Escape', '7');
    await sees('type/version pairs');
    await keys('?');
    await sees('keys (any key closes this)');
    await keys('Escape');
    await keys('q');
    await sees('EXIT_MARK', 1).catch(() => undefined);
    // The shell's screen is back (the alternate screen left), the app gone.
    const end = Date.now() + 10_000;
    while (screen().includes('type/version pairs') && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    expect(screen()).not.toContain('type/version pairs');
  });

  it('drill-down: audit → a violation → the event → its trace', async () => {
    start(['ui', '--db', db, '--screen', 'audit']);
    await sees(/order-overfill +error +[1-9]/);
    // Down to order-overfill.
    const rows = screen().split('\n');
    const at = rows.findIndex((l) => l.includes('order-overfill')) - rows.findIndex((l) => l.startsWith('›'));
    for (let i = 0; i < at; i++) await keys('j');
    await sees(/^›order-overfill/m);
    await keys('Enter');
    await sees(/order-overfill: \d+ violations/);
    await keys('Enter');
    await sees(/^id +evt-/m);
    await sees('"cumQty"');
    await keys('Enter');
    await sees('[4 Trace]');
    const t = await sees(/critical path|no anomalies/);
    expect(t).toMatch(/OrderPlaced/);
    expect(t).toMatch(/⚠|anomal/);
    await keys('Escape');
    await sees('[5 Audit]');
  });

  it('timeline: page down, filter, jump to a time, the detail', async () => {
    start(['ui', '--db', db, '--screen', 'timeline']);
    await sees(/›1 +\d\d:/);
    await keys('PageDown');
    await sees(/^›3\d /m);
    await keys('/');
    await type('type:OrderRejected');
    await keys('Enter');
    await sees('filter: type:OrderRejected');
    const s = await sees(/^›\d+ +\S+ +OrderRejected/m);
    expect(s.split('\n').slice(3, 10).join('\n')).not.toMatch(/OrderPlaced|OrderFilled/);
    await keys('@');
    await type('seq:1');
    await keys('Enter');
    await keys('Enter');
    await sees('"reason"');
  });

  it('SQL console: run, error inline, esc cancels a long query', async () => {
    start(['ui', '--db', db, '--screen', 'sql']);
    await sees('sql>');
    await type('select 6*7 as answer');
    await keys('C-r');
    await sees(/answer\n *42/);
    await type('select count(*) from range(1000000000) a, range(100) b where a.range * b.range % 7 = 3');
    await keys('C-r');
    await sees('esc cancels');
    await keys('Escape');
    await sees('cancelled');
  });

  it('works at 80×24 and follows a resize', async () => {
    start(['ui', '--db', db, '--screen', 'timeline'], { x: 80, y: 24 });
    const small = await sees(/›1 +\d\d:/);
    const lines = small.split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(80);
    expect(small).toContain('[2 Timeline]');
    expect(small).toContain('? help');
    // 24 rows: the tab bar, a hint, the header, 19 events, the status line.
    const seqsOf = (s: string) => s.split('\n').flatMap((l) => /^[ ›](\d+) /.exec(l)?.[1] ?? []).map(Number);
    const shown = seqsOf(small).length;
    tmux('resize-window', '-t', session!, '-x', '120', '-y', '36');
    // The status line moves down to the new last rows: the app has seen the resize.
    await sees(/\n.*\? help[^\n]*\n\s*$/);
    const rowsOf = (s: string) => s.split('\n').filter((l) => /^[ ›]\d+ /.test(l)).length;
    // Taller: the page is read again with more rows; wider: room for the whole id.
    const end = Date.now() + 10_000;
    while (rowsOf(screen()) <= shown && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    const big = screen();
    expect(rowsOf(big)).toBeGreaterThan(shown);
    expect(big).toMatch(/evt-[0-9a-f]{12}/);
    await keys('PageDown');
    await sees(new RegExp(`^[ ›]${Math.max(...seqsOf(big)) + 1} `, 'm'));
  });

  it('NO_COLOR: no colour codes on the screen', async () => {
    start(['ui', '--db', db], { env: { NO_COLOR: '1' } });
    await sees('Sources');
    // SGR colour parameters (30-37, 90-97, 38;…) do not appear.
    expect(screen(true)).not.toMatch(/\x1b\[[0-9;]*(3[0-8]|9[0-7])(;[0-9;]*)?m/);
  });

  it('overview: the audit runs by itself in the background and its counts show without a key', async () => {
    start(['ui', '--db', db]);
    // While it runs, the status line says so (and keeps the keys' hint), then the counts show.
    const end = Date.now() + 20_000;
    let running = false;
    for (;;) {
      const s = screen();
      if (/auditing in the background… [\d.]+ s · esc cancels/.test(s) && s.includes('? help')) running = true;
      if (/^\s+\d+ \S+.*\n/m.test(s) && /\d+ (order-overfill|fill-after-terminal)/.test(s)) break;
      if (Date.now() > end) throw new Error(`the audit did not show; the screen:\n${s}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(running).toBe(true);
    expect(screen()).not.toContain('not run yet');
    // The first screen did not wait for it: the overview's counts came first.
    expect(screen()).toMatch(/\d+,\d{3} events · 300 streams/);
  });

  it('SQL console: the cursor moves and edits inside the statement, across lines', async () => {
    start(['ui', '--db', db, '--screen', 'sql']);
    await sees('sql>');
    await type('elect 40+2 as answr');
    await keys('Left');
    await type('e');
    await keys('C-a');
    await type('s');
    await sees('sql> select 40+2 as answer');
    await keys('End');
    // (tmux reads an argument ending in ; as its command separator: \; is the character.)
    await type('\\;');
    await keys('Enter');
    await sees(/answer\n *42/);
    // Two lines: ↑ goes to the first line, where typing goes in at the cursor.
    await type('select 1 as a,');
    await keys('Enter');
    await type('3 as c\\;');
    await keys('Up', 'C-e');
    await type(' 2 as b,');
    await sees(/sql> select 1 as a, 2 as b,\n *-> 3 as c;/);
    await keys('Down', 'C-e', 'Enter');
    await sees(/a +b +c\n *1 +2 +3/);
  });

  it('timeline: → and ← scroll rows wider than the terminal, seq kept in place', async () => {
    start(['ui', '--db', db, '--screen', 'timeline'], { x: 80, y: 24 });
    const first = await sees(/›1 +\d\d:/);
    const row1 = (s: string) => s.split('\n').find((l) => l.startsWith('›1 ')) ?? '';
    // At 80 columns the id is cut.
    expect(row1(first)).not.toMatch(/evt-[0-9a-f]{12}\s*$/);
    await keys('Right', 'Right', 'Right', 'Right', 'Right', 'Right');
    const scrolled = await sees(/^›1 +….*evt-[0-9a-f]{12}\s*$/m);
    // The time column went out on the left; seq stayed.
    expect(row1(scrolled)).not.toMatch(/\d\d:\d\d:\d\d\.\d{3}/);
    for (const l of scrolled.split('\n')) expect(l.length).toBeLessThanOrEqual(80);
    await keys('Left', 'Left', 'Left', 'Left', 'Left', 'Left');
    // Back at the start: the columns fitted to the terminal again.
    await sees(/^›1 +\d\d:\d\d:\d\d\.\d{3} +OrderPlaced/m);
  });

  it('trace: lines wider than the terminal are cut with … instead of wrapping', async () => {
    start(['ui', '--db', db, '--screen', 'trace'], { x: 80, y: 24 });
    await sees('/ to trace an id');
    await keys('/');
    await type('order-ord-00000007');
    await keys('Enter');
    const s = await sees(/critical path/);
    const lines = s.split('\n');
    // One line per event: every row starts with its time (after the selection gutter), none
    // continues on the next line; the columns fit the terminal.
    const rows = lines.filter((l) => /^[ ›]\d\d:\d\d:\d\d\.\d{3} /.test(l));
    expect(rows.length).toBeGreaterThan(5);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    const header = lines.findIndex((l) => l.startsWith(' time '));
    expect(lines[header + 2]).toMatch(/^›\d\d:\d\d:\d\d\.\d{3} +OrderPlaced/);
    expect(lines.find((l) => l.startsWith('critical path'))).toMatch(/…$/);
  });

  it('80×24 timeline: streams and ids keep the end that tells them apart', async () => {
    start(['ui', '--db', db, '--screen', 'timeline'], { x: 80, y: 24 });
    const s = await sees(/›1 +\d\d:/);
    const cells = s.split('\n').flatMap((l) => {
      const m = /^[ ›]\d+ +\S+ +\S+ +(\S+) +\S+ +(\S+)\s*$/.exec(l);
      return m ? [{ stream: m[1]!, id: m[2]! }] : [];
    });
    expect(cells.length).toBeGreaterThan(15);
    // Cut in the middle: "order…000003", not "order-ord-00…" on every row.
    for (const c of cells) {
      expect(c.stream).toMatch(/…\d{3,}$/);
      expect(c.id).toMatch(/^evt-.*…[0-9a-f]{3,}$/);
    }
    expect(new Set(cells.map((c) => c.stream)).size).toBeGreaterThan(1);
    expect(new Set(cells.map((c) => c.id)).size).toBe(cells.length);
  });

  it('80×24 help: every line whole (wrapped, not cut), the screen\'s keys named', async () => {
    start(['ui', '--db', db, '--screen', 'timeline'], { x: 80, y: 24 });
    await sees(/›1 +\d\d:/);
    // The screen's own hint line fits too.
    expect(screen().split('\n')[1]).not.toContain('…');
    await keys('?');
    const s = await sees('keys (any key closes this)');
    const box = s.split('\n').filter((l) => l.startsWith('│'));
    for (const l of box) expect(l.length).toBeLessThanOrEqual(80);
    expect(box.join('\n')).not.toContain('…');
    const text = box.map((l) => l.slice(1, -1).trim()).join(' ').replace(/\s+/g, ' ');
    expect(text).toContain('filter: type:X stream:Y* source:Z since:10:31 until:+1h words (Timeline)');
    expect(text).toContain('scroll rows wider than the terminal (seq stays) (Timeline)');
  });

  it('80×24 overview: after a resize the sparkline spans the terminal and the whole time range', async () => {
    start(['ui', '--db', db], { x: 80, y: 24 });
    const spark = () => screen().split('\n').find((l) => /^[ ▁▂▃▄▅▆▇█]*[▁▂▃▄▅▆▇█]{3}[ ▁▂▃▄▅▆▇█]*$/.test(l));
    const width = async (want: number) => {
      const end = Date.now() + 15_000;
      while (spark()?.trimEnd().length !== want && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      // The first and the last bar hold the first and the last event: the line is full.
      expect(spark()!.trimEnd().length).toBe(want);
      expect(spark()![0]).not.toBe(' ');
    };
    await width(78);
    tmux('resize-window', '-t', session!, '-x', '120', '-y', '36');
    await width(118);
    tmux('resize-window', '-t', session!, '-x', '80', '-y', '24');
    await width(78);
  });

  it('80×24 trace: the notes stay, rows are selected, enter opens the event, esc comes back', async () => {
    const truth = fs.readFileSync(path.join(path.dirname(db), 'log.truth.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; orderId: string; eventId: string });
    const t = truth.find((x) => x.kind === 'missing-compensation')!;
    start(['ui', '--db', db, '--screen', 'trace'], { x: 80, y: 24 });
    await sees('/ to trace an id');
    await keys('/');
    await type(t.orderId);
    await keys('Enter');
    const s = await sees(/critical path|no anomalies/);
    for (const l of s.split('\n')) expect(l.length).toBeLessThanOrEqual(80);
    const rows = s.split('\n').filter((l) => /^[ ›]\d\d:\d\d:\d\d\.\d{3} /.test(l));
    expect(rows[0]).toMatch(/^›/);
    // The event's row shows its id's end and its note (the notes column was cut off before).
    const at = rows.findIndex((l) => l.includes(t.eventId.slice(-4)));
    expect(at).toBeGreaterThan(0);
    expect(rows[at]).toMatch(/⚠|✗|✖/);
    for (let i = 0; i < at; i++) await keys('Down');
    await sees(new RegExp(`^›.*${t.eventId.slice(-4)}`, 'm'));
    await keys('Enter');
    await sees(new RegExp(`^id +${t.eventId}$`, 'm'));
    await sees('"orderId"');
    // esc cancels the background audit first when it is still running (the app's rule), then goes back.
    const back = new RegExp(`^›.*${t.eventId.slice(-4)}`, 'm');
    for (let i = 0; i < 3 && !back.test(screen()); i++) {
      await keys('Escape');
      await sees(back, 2_000).catch(() => undefined);
    }
    await sees(back);
  });

  it('80×24 SQL: `select 1;` pasted with its Enter runs, and the statement stays above its result', async () => {
    start(['ui', '--db', db, '--screen', 'sql'], { x: 80, y: 24 });
    await sees('sql>');
    // One send-keys: the text and its Enter reach the app as one chunk, as a paste does.
    tmux('send-keys', '-t', session!, 'select 1 as one\\;', 'Enter');
    const s = await sees(/one\n *1\n/);
    expect(s).toMatch(/^ran> select 1 as one;\n(.*\n)?one\n *1$/m);
    // The editor is empty for the next statement.
    expect(s).toMatch(/^sql>\s*$/m);
  });

  it('80×24 replay: s shows the whole state at the cursor with the step\'s changes marked, s again the step', async () => {
    start(['ui', '--db', db, '--screen', 'replay'], { x: 80, y: 24 });
    await sees('orders as of seq:1');
    // The first keys can come while the app loads its other screens: @ until its editor shows.
    for (let i = 0; i < 5 && !screen().includes('replay to @'); i++) {
      await keys('@');
      await sees('replay to @', 2_000).catch(() => undefined);
    }
    await type('seq:20');
    await keys('Enter');
    await sees('orders as of seq:20');
    await keys('Right');
    await sees(/orders as of seq:21 /);
    await keys('s');
    const s = await sees(/whole state at seq:21: (\d+) orders rows?, (\d+) changed by the step/);
    const [, total, changed] = /whole state at seq:21: (\d+) orders rows?, (\d+) changed by the step/.exec(s)!;
    // The same state as `evtrail replay --at seq:21`, every row on the screen.
    const cliRows = (JSON.parse(cli(['replay', '--projection', 'orders', '--at', 'seq:21', '--json', '--db', db]).stdout) as { rows: { orderId: string }[] }).rows;
    expect(Number(total)).toBe(cliRows.length);
    const shown = s.split('\n').filter((l) => /^\*? +ord-\d+ /.test(l));
    expect(shown.map((l) => /ord-\d+/.exec(l)![0])).toEqual(cliRows.map((r) => r.orderId));
    expect(Number(changed)).toBeGreaterThan(0);
    expect(shown.filter((l) => l.startsWith('*'))).toHaveLength(Number(changed));
    for (const l of s.split('\n')) expect(l.length).toBeLessThanOrEqual(80);
    // Moving on keeps the whole state in view, at the new cursor.
    await keys('Right');
    await sees(/whole state at seq:22: \d+ orders rows?/);
    await keys('s');
    await sees(/^(change +orderId|the step changed no)/m);
  });

  it('80×24 audit and schemas: ← → scroll the columns to the whole message; the seen bar fits', async () => {
    const audit = JSON.parse(cli(['audit', '--db', db, '--json', '--fail-on', 'none', '--limit', '0']).stdout) as { violations: { rule: string; message: string }[] };
    const rule = 'causation-orphan';
    const messages = audit.violations.filter((v) => v.rule === rule).map((v) => v.message);
    expect(messages.length).toBeGreaterThan(0);
    start(['ui', '--db', db, '--screen', 'audit'], { x: 80, y: 24 });
    await sees(new RegExp(`${rule} +\\S+ +[1-9]`));
    const rows = screen().split('\n');
    const at = rows.findIndex((l) => l.includes(rule)) - rows.findIndex((l) => l.startsWith('›'));
    for (let i = 0; i < at; i++) await keys('j');
    await sees(new RegExp(`^›${rule}`, 'm'));
    await keys('Enter');
    await sees(`${rule}: `);
    await keys('Right', 'Right');
    const s = await sees(/^ message\b/m);
    const row = s.split('\n').find((l) => l.startsWith('›'))!.slice(1).trimEnd();
    // The message from its start, as wide as the terminal allows.
    expect(messages.some((m) => m.startsWith(row.replace(/…$/, '')))).toBe(true);
    expect(row.length).toBeGreaterThan(50);
    await keys('Left', 'Left');
    await sees(/^ event +stream +message/m);
    await keys('7');
    const t = await sees(/type\/version pairs/);
    await sees(/^ type +version +events +first +last +seen/m);
    for (const l of screen().split('\n')) expect(l.length).toBeLessThanOrEqual(80);
    expect(t).not.toContain('…');
  });

  it('a store that cannot be opened: the one-line error and its hint, exit 2, nothing drawn', async () => {
    const missing = path.join(path.dirname(db), 'missing.duckdb');
    session = `evtrail-ui-${process.pid}-${++n}`;
    tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '20', `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} ui --db ${JSON.stringify(missing)}; echo EXIT=$?; sleep 60`);
    const s = await sees('EXIT=');
    expect(s).toMatch(/^evtrail: no store at .*missing\.duckdb\nhint: .*\nEXIT=2/m);
    expect(s).not.toContain('Overview');
  });

  it('`evtrail` alone in a terminal opens the explorer', async () => {
    start([], { env: { EVTRAIL_DB: db } });
    await sees('Sources');
  });
});

describe('not a terminal', () => {
  it('ui refuses with a hint; `evtrail` alone in a pipe prints the help as before', () => {
    const r = cli(['ui', '--db', 'x.duckdb']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^evtrail: evtrail ui needs a terminal/);
    expect(r.stderr).toMatch(/^hint: /m);
    const bare = cli([]);
    expect(bare.stdout + bare.stderr).toContain('Usage: evtrail');
  });
});
