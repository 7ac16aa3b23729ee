import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { Table } from '../../src/output/ink-table.js';

describe('a table note in a terminal', () => {
  it('wraps at words to the width, no continuation line starting with a space', () => {
    // The audit's summary note: its word "Fails" ended exactly at column 80, and ink's own
    // wrapping (which keeps spaces) began the next line with " on error.".
    const note = '219 ms in all; shared views: trading_orders 51 ms, trading_suspects 36 ms. Fails on error.';
    expect(note.indexOf(' on error')).toBe(80);
    const { lastFrame } = render(<Table table={{ columns: ['rule'], rows: [['order-overfill']], note }} width={80} />);
    const lines = lastFrame()!.split('\n').filter((l) => l.trim() !== '');
    const at = lines.findIndex((l) => l.startsWith('219 ms'));
    expect(lines.slice(at), lastFrame()).toEqual([
      '219 ms in all; shared views: trading_orders 51 ms, trading_suspects 36 ms. Fails',
      'on error.',
    ]);
  });
});
