import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliJson, event, ndjson, tmpDir } from '../helpers.js';

/**
 * Values a user types reach DuckDB bound, not spliced (docs/architecture.md §5, "The store's
 * door"): ids, streams and keys holding quotes, backslashes, SQL comments and statements are
 * looked up as text, found when they exist, and suggested from when they do not.
 */
const dir = tmpDir('evtrail-quoting-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const db = path.join(dir, 'q.duckdb');

const ORDER = `o'1\\"; DROP TABLE events; --`;
const STREAM = `order-${ORDER}`;
const ID = `e'1 OR '1'='1`;

beforeAll(() => {
  const file = path.join(dir, 'q.ndjson');
  fs.writeFileSync(file, ndjson([
    event({ id: ID, stream: STREAM, data: { orderId: ORDER, qty: 100, symbol: 'ACME', side: 'buy', price: '10.5' } }),
    event({ id: `e'2`, stream: STREAM, rev: 2, type: 'OrderCancelled', ts: '2025-08-26T09:31:00Z', causation_id: ID, data: { orderId: ORDER } }),
    event({ id: 'e3', stream: 'order-plain', data: { orderId: 'plain', qty: 1, symbol: 'ACME', side: 'buy', price: '1' } }),
  ]));
  const r = cli(['ingest', file, '--db', db]);
  expect(r.code, r.stderr).toBe(0);
});

describe('hostile values as flags and arguments', () => {
  it('replay --key finds the stream and the order they name, and only them', () => {
    const streams = cliJson<{ rows: { stream: string }[] }>(['replay', '--projection', 'streams', '--key', STREAM, '--db', db]);
    expect(streams.rows.map((r) => r.stream)).toEqual([STREAM]);
    const orders = cliJson<{ rows: { orderId: string }[] }>(['replay', '--projection', 'orders', '--key', ORDER, '--db', db]);
    expect(orders.rows.map((r) => r.orderId)).toEqual([ORDER]);
  });

  it('replay --key that is not there: refused, with the close keys', () => {
    const r = cli(['replay', '--projection', 'streams', '--key', `${STREAM}x`, '--db', db]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`closest: ${STREAM}`);
  });

  it('trace follows the id through its quotes', () => {
    const t = cliJson<{ nodes: { id: string }[] }>(['trace', ID, '--db', db]);
    expect(t.nodes.map((n) => n.id).sort()).toEqual([ID, `e'2`].sort());
  });

  it('trace of an unknown id suggests the near ones', () => {
    const r = cli(['trace', `${ID}x`, '--db', db]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(ID);
  });
});
