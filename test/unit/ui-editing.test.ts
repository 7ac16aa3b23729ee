// The explorer's second pass, pure parts: the SQL console's cursor (move, edit at it, lines),
// the timeline's horizontal scroll, the query lane's background work giving way to the user.
import type { Key } from 'ink';
import { describe, expect, it } from 'vitest';
import { cursorPlace, editText, editorWindow, verticalMove, type TextState } from '../../src/ui/app/components/text-editor.js';
import { Cancelled, QueryRunner } from '../../src/ui/app/data/runner.js';
import type { EventRow } from '../../src/ui/app/data/events.js';
import { editSqlAt } from '../../src/ui/app/screens/sql.js';
import { scrolledEventLines } from '../../src/ui/app/screens/timeline.js';

const key = (over: Partial<Key> = {}): Key => ({
  upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false,
  return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false,
  super: false, hyper: false, capsLock: false, numLock: false, ...over,
});

/** Text with the cursor drawn as |. */
const show = (s: TextState | null | undefined) => (s ? s.text.slice(0, s.cursor) + '|' + s.text.slice(s.cursor) : 'undefined');
const at = (marked: string): TextState => ({ text: marked.replace('|', ''), cursor: marked.indexOf('|') });

describe('SQL console cursor', () => {
  it('← → move by a character across lines, clamped at both ends', () => {
    expect(show(editText(at('ab|c'), '', key({ leftArrow: true })))).toBe('a|bc');
    expect(show(editText(at('ab\n|c'), '', key({ leftArrow: true })))).toBe('ab|\nc');
    expect(show(editText(at('|abc'), '', key({ leftArrow: true })))).toBe('|abc');
    expect(show(editText(at('abc|'), '', key({ rightArrow: true })))).toBe('abc|');
    expect(show(editText(at('a|bc'), '', key({ rightArrow: true })))).toBe('ab|c');
  });

  it('home / ctrl-a and end / ctrl-e go to the start and end of the cursor\'s line', () => {
    const s = at('select *\nfrom ev|ents\nwhere x');
    expect(show(editText(s, 'a', key({ ctrl: true })))).toBe('select *\n|from events\nwhere x');
    expect(show(editText(s, '', key({ home: true })))).toBe('select *\n|from events\nwhere x');
    expect(show(editText(s, 'e', key({ ctrl: true })))).toBe('select *\nfrom events|\nwhere x');
    expect(show(editText(s, '', key({ end: true })))).toBe('select *\nfrom events|\nwhere x');
    expect(show(editText(at('ab|c'), 'a', key({ ctrl: true })))).toBe('|abc');
  });

  it('types, pastes, deletes before and at the cursor, kills to the end of the line, clears', () => {
    expect(show(editText(at('sel|ct'), 'e', key()))).toBe('sele|ct');
    expect(show(editText(at('a|b'), 'x\r\ny', key()))).toBe('ax\ny|b');
    expect(show(editText(at('ab|c'), '', key({ backspace: true })))).toBe('a|c');
    expect(show(editText(at('ab|c'), '', key({ delete: true })))).toBe('a|c');
    expect(show(editText(at('|abc'), '', key({ backspace: true })))).toBe('|abc');
    expect(show(editText(at('a|bc'), 'd', key({ ctrl: true })))).toBe('a|c');
    expect(show(editText(at('a|bc\nd'), 'k', key({ ctrl: true })))).toBe('a|\nd');
    expect(show(editText(at('abc|\nd'), 'k', key({ ctrl: true })))).toBe('abc|d');
    expect(show(editText(at('a|bc'), 'u', key({ ctrl: true })))).toBe('|');
    expect(editText(at('a|'), '', key({ upArrow: true }))).toBeUndefined();
    expect(editText(at('a|'), '', key({ tab: true }))).toBeUndefined();
  });

  it('↑ ↓ go to the line above / below at the same column (or its end), null past the ends', () => {
    expect(show(verticalMove(at('abcdef\nab|c'), -1))).toBe('ab|cdef\nabc');
    expect(show(verticalMove(at('ab\nabcd|ef'), -1))).toBe('ab|\nabcdef');
    expect(show(verticalMove(at('abcd|ef\nab'), 1))).toBe('abcdef\nab|');
    expect(verticalMove(at('ab|c\nd'), -1)).toBeNull();
    expect(verticalMove(at('a\nb|c'), 1)).toBeNull();
    expect(cursorPlace(at('ab\ncd|e'))).toEqual({ line: 1, column: 2 });
  });

  it('enter runs a statement ending with ; wherever the cursor is, else breaks the line at the cursor', () => {
    expect(editSqlAt(at('select| 1;'), '', key({ return: true }))).toMatchObject({ text: 'select 1;', run: true });
    const e = editSqlAt(at('select *| from t'), '', key({ return: true }));
    expect(show(e)).toBe('select *\n| from t');
    expect(e?.run).toBe(false);
    expect(editSqlAt(at('x|'), 'r', key({ ctrl: true }))?.run).toBe(true);
  });

  it('shows the last lines, or from the cursor\'s line when it is above them', () => {
    expect(editorWindow(3, 2, 6)).toBe(0);
    expect(editorWindow(10, 9, 6)).toBe(4);
    expect(editorWindow(10, 1, 6)).toBe(1);
  });
});

describe('timeline horizontal scroll', () => {
  const rows: EventRow[] = [1, 2].map((seq) => ({
    seq, ts: `2025-08-26T10:00:0${seq}.000000000Z`, type: 'OrderPartiallyFilled', stream: `order-ord-0000000${seq}-with-a-long-name`,
    source: 'venue-gateway', id: `evt-${seq}-0123456789abcdef0123456789`,
  }));

  it('keeps seq in place, shows every column whole as it scrolls, marks cut ends with …', () => {
    const w = 60;
    const a = scrolledEventLines(rows, w, true, 2, 10);
    expect(a.left).toBe(10);
    expect(a.maxLeft).toBeGreaterThan(10);
    for (const l of [a.header, ...a.lines]) expect(l.length + 1).toBeLessThanOrEqual(w);
    expect(a.lines[0]).toMatch(/^1 {4}…/);
    expect(a.lines[0]!.endsWith('…')).toBe(true);
    // At the far right: the whole id, nothing cut at the end.
    const b = scrolledEventLines(rows, w, true, 2, 10_000);
    expect(b.left).toBe(b.maxLeft);
    expect(b.lines[1]).toMatch(/^2 {4}…/);
    expect(b.lines[1]!.endsWith('evt-2-0123456789abcdef0123456789')).toBe(true);
    expect(b.header).toMatch(/source +id$/);
    // Wide enough: nothing to scroll.
    expect(scrolledEventLines(rows, 200, true, 2, 10).maxLeft).toBe(0);
  });
});

describe('query lane: background work', () => {
  /** A fake connection: a statement runs until it is interrupted or its time is up. */
  function fakeConn() {
    const running = new Set<(e: Error) => void>();
    return {
      interrupts: 0,
      interrupt() {
        this.interrupts++;
        for (const stop of running) stop(new Error('INTERRUPT Error: Interrupted!'));
        running.clear();
      },
      statement(ms: number): Promise<void> {
        return new Promise((resolve, reject) => {
          const t = setTimeout(() => (running.delete(reject), resolve()), ms);
          running.add((e) => (clearTimeout(t), reject(e)));
        });
      },
    };
  }

  it('gives way to a foreground job at once, then runs again from the top once the lane is quiet', async () => {
    const conn = fakeConn();
    const runner = new QueryRunner(conn, 100);
    let starts = 0;
    const background = runner.run('auditing', async () => {
      starts++;
      await conn.statement(300);
      return 'audited';
    }, { background: true });
    await new Promise((r) => setTimeout(r, 30));
    expect(runner.snapshot()).toMatchObject({ label: 'auditing', background: true });
    const t0 = performance.now();
    await expect(runner.run('page', async () => 'page')).resolves.toBe('page');
    expect(performance.now() - t0).toBeLessThan(100);
    expect(conn.interrupts).toBeGreaterThanOrEqual(1);
    await expect(background).resolves.toBe('audited');
    expect(starts).toBe(2);
  });

  it('a job between two statements is interrupted at its next one', async () => {
    const conn = fakeConn();
    const runner = new QueryRunner(conn, 50);
    let starts = 0;
    const background = runner.run('steps', async () => {
      starts++;
      // JavaScript between statements does not see the first interrupt.
      await new Promise((r) => setTimeout(r, 40));
      for (let i = 0; i < 5; i++) await conn.statement(60);
      return starts;
    }, { background: true });
    await new Promise((r) => setTimeout(r, 10));
    const t0 = performance.now();
    await runner.run('page', async () => 1);
    expect(performance.now() - t0).toBeLessThan(150);
    await expect(background).resolves.toBe(2);
  });

  it('esc cancels the user\'s work first, background work when it is all there is', async () => {
    const conn = fakeConn();
    const runner = new QueryRunner(conn, 10_000);
    const background = runner.run('auditing', () => conn.statement(5_000), { background: true });
    await new Promise((r) => setTimeout(r, 10));
    const page = runner.run('page', () => conn.statement(5_000));
    await new Promise((r) => setTimeout(r, 10));
    expect(runner.snapshot()).toMatchObject({ label: 'page', background: false });
    expect(runner.cancel()).toBe(true);
    await expect(page).rejects.toBeInstanceOf(Cancelled);
    expect(runner.snapshot()).toMatchObject({ label: 'auditing', background: true });
    expect(runner.cancel()).toBe(true);
    await expect(background).rejects.toBeInstanceOf(Cancelled);
    expect(runner.busy).toBe(false);
    await runner.idle();
  });
});
