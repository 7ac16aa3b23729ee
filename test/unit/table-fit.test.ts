/** Fitting tables and text to a terminal's width (src/output/table.ts): the pure parts. */
import { describe, expect, it } from 'vitest';
import { fitTable, plainTable, shorten, wrapText } from '../../src/output/table.js';

describe('shorten', () => {
  it('cuts ids in the middle, where the end tells them apart; text, times and numbers at the end', () => {
    expect(shorten('order-ord-00000042', 16)).toBe('order-ord-0…0042');
    expect(shorten('order-ord-00000042', 18)).toBe('order-ord-00000042');
    expect(shorten('fills after the order was cancelled', 16)).toBe('fills after the…');
    expect(shorten('2025-08-26T09:30:02.529212508Z', 22)).toBe('2025-08-26T09:30:02.5…');
    expect(shorten('1234567890123', 8)).toBe('1234567…');
  });

  it('cuts a name read from the start (an event type) at its end when asked, however id-like it looks', () => {
    expect(shorten('OrderPartiallyFilled', 16)).toBe('OrderPartia…lled');
    expect(shorten('OrderPartiallyFilled', 16, true)).toBe('OrderPartiallyF…');
    expect(shorten('OrderFilled', 16, true)).toBe('OrderFilled');
  });
});

describe('fitTable', () => {
  const columns = ['stream', 'events', 'lastType', 'lastEventAt', 'state'];
  const rows = [['order-ord-00000001', '7', 'SettlementCompleted', '2025-08-26T09:30:08.297464780Z', JSON.stringify({ status: 'SETTLED', qty: 1300, venue: 'ARCX' })]];
  const total = (w: number[]) => w.reduce((a, b) => a + b, 0) + 2 * (w.length - 1);

  it('without a width (a pipe) changes nothing', () => {
    const f = fitTable(columns, rows);
    expect(f.cells).toEqual(rows);
    expect(f.dropped).toEqual([]);
  });

  it('fits the width: the first column whole, the right ones shortened, then left out and named', () => {
    const f = fitTable(columns, rows, 80);
    expect(total(f.widths)).toBeLessThanOrEqual(80);
    expect(f.cells[0]![0]).toBe('order-ord-00000001');
    expect(f.dropped).toEqual([]);
    expect(f.cells[0]![4]).toMatch(/^\{"status":".*…$/);
    expect(f.cells[0]![3]).toBe('2025-08-26T09:30:02.5…'.replace('02.5', '08.2'));
    const narrow = fitTable(columns, rows, 40);
    expect(total(narrow.widths)).toBeLessThanOrEqual(40);
    expect(narrow.dropped).toEqual(['lastEventAt', 'state']);
    // Columns cut short are named too (a cut nobody is told about reads as the value).
    expect(f.shortened).toEqual(['lastType', 'lastEventAt', 'state']);
    expect(fitTable(columns, rows).shortened).toEqual([]);
  });

  it('plainTable with a width names the columns it shortened, even when none is left out, and hints --wide', () => {
    const why = ['verdict', 'change', 'why'];
    const cut = [['ok', 'PROPERTY_REMOVED', 'a property was removed: an old reader that required it would now refuse the event']];
    const text = plainTable({ columns: why, rows: cut }, 80);
    expect(text).toMatch(/\nshortened: why \(--wide shows all\)\n$/);
    expect(text.split('\n').every((l) => [...l].length <= 80)).toBe(true);
    expect(plainTable({ columns: why, rows: cut })).not.toMatch(/shortened|not shown/);
  });

  it('keepStart columns lose their end, the others as before', () => {
    const f = fitTable(['id', 'event'], [['evt-86d7a0c1b69', 'OrderPartiallyFilled']], 31, ['event']);
    expect(f.cells[0]).toEqual(['evt-86d7a0c1b69', 'OrderPartiall…']);
    expect(fitTable(['id', 'event'], [['evt-86d7a0c1b69', 'OrderPartiallyFilled']], 31).cells[0]![1]).toBe('OrderParti…led');
  });

  it('plainTable with a width says what it left out', () => {
    expect(plainTable({ columns, rows }, 60)).toMatch(/\nnot shown: lastEventAt, state \(--wide shows all\)\n$/);
    expect(plainTable({ columns, rows })).toContain(rows[0]![4]);
  });
});

describe('wrapText', () => {
  it('wraps at spaces, keeps runs of spaces inside a line, indents every line', () => {
    expect(wrapText('evt-1  order-ord-1  a message that is long enough to wrap', 30, '  ')).toEqual([
      '  evt-1  order-ord-1  a',
      '  message that is long enough',
      '  to wrap',
    ]);
  });
});
