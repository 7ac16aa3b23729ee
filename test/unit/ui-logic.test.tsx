// The explorer's pure parts: filters to SQL, list and window moves, the editors' keys, the
// replay cursor, the query lane's cancel, the text helpers.
import type { Key } from 'ink';
import { describe, expect, it } from 'vitest';
import { editLine } from '../../src/ui/app/components/line-editor.js';
import { NO_FILTER, filterSql, filterText, parseFilter } from '../../src/ui/app/data/events.js';
import { move } from '../../src/ui/app/data/replay.js';
import { Cancelled, QueryRunner } from '../../src/ui/app/data/runner.js';
import { jsonLines, scrollWindow, sparkline } from '../../src/ui/app/format.js';
import { moveList } from '../../src/ui/app/hooks/use-list.js';
import { nextScreen, screenOfKey } from '../../src/ui/app/keys.js';
import { spanBar } from '../../src/ui/app/screens/schemas.js';
import { editSql } from '../../src/ui/app/screens/sql.js';

const BOUNDS = { firstTs: '2025-08-26T09:30:00.000000000Z', lastTs: '2025-08-26T16:00:00.000000000Z', lastSeq: 1000n };

const key = (over: Partial<Key> = {}): Key => ({
  upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false,
  return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false,
  super: false, hyper: false, capsLock: false, numLock: false, ...over,
});

describe('timeline filter', () => {
  it('reads type, stream, source, time and words, and prints back what it read', () => {
    const f = parseFilter('type:OrderFilled,OrderCancelled stream:order-ord-1* source:oms since:10:00 until:seq:500 AAPL', BOUNDS);
    expect(f.types).toEqual(['OrderFilled', 'OrderCancelled']);
    expect(f.streams).toEqual(['order-ord-1*']);
    expect(f.sources).toEqual(['oms']);
    expect(f.words).toEqual(['AAPL']);
    expect(f.since).toMatchObject({ kind: 'time', iso: '2025-08-26T10:00:00.000000000Z' });
    expect(f.until).toMatchObject({ kind: 'seq', seq: 500n });
    expect(filterText(f)).toBe('type:OrderFilled,OrderCancelled stream:order-ord-1* source:oms since:10:00 until:seq:500 AAPL');
  });

  it('binds every value as a parameter; * is a wildcard and LIKE\'s own % and _ match themselves', () => {
    const { where, params } = filterSql(parseFilter("type:O'Brien stream:a_b%* 50%", BOUNDS));
    expect(where).not.toContain("O'Brien");
    expect(Object.values(params)).toEqual(["O'Brien", 'a\\_b\\%%', '%50\\%%']);
    expect(where).toContain('type = $p0');
    expect(where).toContain("stream LIKE $p1 ESCAPE '\\'");
  });

  it('is true without conditions, and refuses an empty key or a bad time with a hint', () => {
    expect(filterSql(NO_FILTER).where).toBe('true');
    expect(() => parseFilter('type:', BOUNDS)).toThrow(/type: needs a value/);
    expect(() => parseFilter('since:yesterday', BOUNDS)).toThrow(/since: yesterday/);
  });
});

describe('lists and windows', () => {
  it('keeps the cursor in view, moving the window as little as possible', () => {
    expect(scrollWindow(100, 5, 10, 0)).toBe(0);
    expect(scrollWindow(100, 12, 10, 0)).toBe(3);
    expect(scrollWindow(100, 2, 10, 3)).toBe(2);
    expect(scrollWindow(5, 4, 10, 3)).toBe(0);
  });

  it('moves a list cursor by one, a page and to the ends, clamped', () => {
    const s = { cursor: 0, top: 0 };
    expect(moveList(s, 'up', 50, 10)).toEqual({ cursor: 0, top: 0 });
    expect(moveList(s, 'pageDown', 50, 10)).toEqual({ cursor: 10, top: 1 });
    expect(moveList(s, 'last', 50, 10)).toEqual({ cursor: 49, top: 40 });
    expect(moveList({ cursor: 49, top: 40 }, 'pageUp', 50, 10)).toEqual({ cursor: 39, top: 39 });
    expect(moveList(s, 'down', 0, 10)).toEqual({ cursor: 0, top: 0 });
  });

  it('switches screens by number and by tab, wrapping around', () => {
    expect(screenOfKey('1')).toBe('overview');
    expect(screenOfKey('7')).toBe('schemas');
    expect(screenOfKey('8')).toBeUndefined();
    expect(nextScreen('schemas', 1)).toBe('overview');
    expect(nextScreen('overview', -1)).toBe('schemas');
  });
});

describe('editors', () => {
  it('a line: types, pastes on one line, deletes, clears, submits and cancels', () => {
    expect(editLine('ab', 'c', key())).toEqual({ value: 'abc', action: 'edit' });
    expect(editLine('ab', 'x\ny', key())).toEqual({ value: 'abx y', action: 'edit' });
    expect(editLine('ab', '', key({ backspace: true }))).toEqual({ value: 'a', action: 'edit' });
    expect(editLine('ab', 'u', key({ ctrl: true }))).toEqual({ value: '', action: 'edit' });
    expect(editLine('ab', '', key({ return: true })).action).toBe('submit');
    expect(editLine('ab', '', key({ escape: true })).action).toBe('cancel');
    expect(editLine('ab', '', key({ tab: true })).action).toBe('ignore');
  });

  it('SQL: enter runs a statement that ends with ; and otherwise starts a new line; ctrl-r runs now', () => {
    expect(editSql('select 1', '', key({ return: true }))).toEqual({ text: 'select 1\n', run: false });
    expect(editSql('select 1;', '', key({ return: true }))).toEqual({ text: 'select 1;', run: true });
    expect(editSql('select 1', 'r', key({ ctrl: true }))).toEqual({ text: 'select 1', run: true });
    expect(editSql('', 'r', key({ ctrl: true }))).toEqual({ text: '', run: false });
    expect(editSql('a', 'x\r\ny', key())).toEqual({ text: 'ax\ny', run: false });
    expect(editSql('a', '', key({ escape: true }))).toBeUndefined();
  });
});

describe('replay cursor', () => {
  const seq = (n: bigint) => ({ kind: 'seq' as const, seq: n, input: `seq:${n}` });
  it('steps event by event, clamped to the log', () => {
    expect(move(seq(5n), null, 'next', 0n, BOUNDS, null)).toMatchObject({ kind: 'seq', seq: 6n });
    expect(move(seq(0n), null, 'prev', 0n, BOUNDS, null)).toMatchObject({ seq: 0n });
    expect(move(seq(1000n), null, 'next', 0n, BOUNDS, null)).toMatchObject({ seq: 1000n });
    expect(move(seq(7n), null, 'last', 0n, BOUNDS, null)).toMatchObject({ seq: 1000n });
  });

  it('steps by time from the cursor event\'s time, and from a time cut\'s own time', () => {
    const t = move(seq(5n), { seq: 5, ts: null }, 'forward', 1_000_000_000n, BOUNDS, 1_000_000_000_000n);
    expect(t).toMatchObject({ kind: 'time', ns: 1_001_000_000_000n });
    expect(move(t, null, 'back', 500n, BOUNDS, null)).toMatchObject({ kind: 'time', ns: 1_000_999_999_500n });
    // From a time cut, an event step goes on from the cut's last event.
    expect(move(t, { seq: 42, ts: null }, 'next', 0n, BOUNDS, null)).toMatchObject({ kind: 'seq', seq: 43n });
  });
});

describe('query lane', () => {
  it('runs in order; esc interrupts the running statement and drops the queued ones', async () => {
    let interrupts = 0;
    let stop: (e: Error) => void = () => undefined;
    const runner = new QueryRunner({ interrupt: () => { interrupts++; stop(new Error('INTERRUPT Error: Interrupted!')); } });
    const order: string[] = [];
    const first = runner.run('slow', () => new Promise<string>((_, reject) => { order.push('slow'); stop = reject; }));
    const second = runner.run('queued', async () => (order.push('queued'), 'never'));
    await new Promise((r) => setTimeout(r, 10));
    expect(runner.snapshot().label).toBe('slow');
    expect(runner.cancel()).toBe(true);
    await expect(first).rejects.toBeInstanceOf(Cancelled);
    await expect(second).rejects.toBeInstanceOf(Cancelled);
    expect(interrupts).toBe(1);
    expect(order).toEqual(['slow']);
    expect(runner.busy).toBe(false);
    expect(runner.cancel()).toBe(false);
    await expect(runner.run('after', async () => 7)).resolves.toBe(7);
  });

  it('passes other errors through', async () => {
    const runner = new QueryRunner({ interrupt: () => undefined });
    await expect(runner.run('bad', async () => { throw new Error('Binder Error: x'); })).rejects.toThrow('Binder Error');
  });
});

describe('text', () => {
  it('sparkline: scaled to the largest count, empty slices blank', () => {
    expect(sparkline([0, 1, 2, 4, 8])).toBe(' ▂▃▅█');
    expect(sparkline([0, 0])).toBe('  ');
  });

  it('pretty JSON as tokens, every line rebuilt exactly', () => {
    const value = { a: 'x "q"', n: -1.5e3, ok: true, none: null, list: [1, 'two'] };
    const lines = jsonLines(value);
    expect(lines.map((l) => l.map((t) => t.text).join('')).join('\n')).toBe(JSON.stringify(value, null, 2));
    expect(lines[1]).toEqual([{ text: '  ', kind: 'punct' }, { text: '"a"', kind: 'key' }, { text: ':', kind: 'punct' }, { text: ' ', kind: 'punct' }, { text: '"x \\"q\\""', kind: 'string' }, { text: ',', kind: 'punct' }]);
    expect(lines[2]!.find((t) => t.kind === 'number')?.text).toBe('-1500');
  });

  it('schema span bar: where a type was seen in the log\'s time', () => {
    const lo = '2025-08-26T10:00:00Z';
    const hi = '2025-08-26T11:00:00Z';
    expect(spanBar(lo, hi, lo, hi, 10)).toBe('━━━━━━━━━━');
    expect(spanBar('2025-08-26T10:30:00Z', hi, lo, hi, 11)).toBe('     ━━━━━━');
    expect(spanBar(null, hi, lo, hi, 4)).toBe('    ');
  });
});
