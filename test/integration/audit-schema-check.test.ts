/**
 * The schema check as SQL on DuckDB against an independent plain-JS validator: every crafted
 * event of every trading schema is judged the same, through the fast path (regular
 * expressions) and through the field-by-field path.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/audit/catalog.js';
import { schemaProblemsSql, schemaSuspectsSql, type EventSchema } from '../../src/audit/json-schema.js';
import { AUDIT_MACROS_SQL } from '../../src/audit/run.js';
import { ingestFiles } from '../../src/ingest/ingest.js';
import { MACROS_SQL } from '../../src/store/macros.js';
import { Store } from '../../src/store/store.js';
import { tmpDir } from '../helpers.js';
import { craftedData, referenceValid } from '../schema-reference.js';

let dir: string;
let store: Store;
let schemas: EventSchema[];
/** event id → [schema, data] */
const events = new Map<string, [EventSchema, unknown]>();

beforeAll(async () => {
  dir = tmpDir('evtrail-schema-');
  schemas = loadCatalog().schemas;
  const lines: string[] = [];
  let n = 0;
  const add = (s: EventSchema, dataText: string) => {
    const id = `e${++n}`;
    events.set(id, [s, JSON.parse(dataText)]);
    lines.push(`{"id":"${id}","stream":"s${n}","rev":1,"type":"${s.type}","schema_version":${s.version},"ts":"2025-08-26T09:30:00Z","data":${dataText}}`);
  };
  for (const s of schemas) {
    for (const d of craftedData(s.json)) if (d !== null && typeof d === 'object') add(s, JSON.stringify(d));
    // Number spellings JSON.stringify never writes.
    const fill = schemas.find((x) => x.type === 'OrderFilled')!;
    if (s === fill) {
      for (const v of ['1e1', '1.0', '-0', '7E0', '0.5e1', '1.5e0']) add(s, `{"orderId":"o","fillQty":${v},"fillPrice":1,"cumQty":1,"leavesQty":0,"tradeId":"t"}`);
      add(s, '{ "orderId": "o", "fillQty": 1, "fillPrice": 1, "cumQty": 1, "leavesQty": 0, "tradeId": "t" }');
    }
  }
  const file = path.join(dir, 'crafted.ndjson');
  fs.writeFileSync(file, lines.join('\n') + '\n');
  store = await Store.open(path.join(dir, 'crafted.duckdb'), { create: true });
  const summary = await ingestFiles(store, { sources: [file] });
  expect(summary.rejected).toBe(0);
  await store.run(MACROS_SQL);
  await store.run(AUDIT_MACROS_SQL);
  await store.run('CREATE TEMP VIEW audit_events AS SELECT * FROM events');
});
afterAll(() => {
  store?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function invalidIds(fast: Set<EventSchema>): Promise<Map<string, string>> {
  const rows = await store.all(`SELECT id, problems FROM (${schemaProblemsSql(schemas, `(${schemaSuspectsSql(schemas, 'audit_events', fast)})`)})`);
  return new Map(rows.map((r) => [String(r.id), String(r.problems)]));
}

describe('the schema check in SQL', () => {
  it('judges every crafted event like the reference, through either path', async () => {
    const expected = [...events].filter(([, [s, d]]) => !referenceValid(s.json, d)).map(([id]) => id).sort();
    expect(expected.length).toBeGreaterThan(500);
    expect(expected.length).toBeLessThan(events.size - 100);
    const slow = await invalidIds(new Set());
    const fast = await invalidIds(new Set(schemas));
    expect([...slow.keys()].sort()).toEqual(expected);
    expect([...fast.keys()].sort()).toEqual(expected);
    // Same messages either way.
    for (const [id, problems] of slow) expect(fast.get(id), id).toBe(problems);
  });

  it('says what is wrong, one problem per field', async () => {
    const problems = await invalidIds(new Set(schemas));
    const find = (type: string, version: number, data: Record<string, unknown>) =>
      [...events].find(([, [s, d]]) => s.type === type && s.version === version && JSON.stringify(d) === JSON.stringify(data))![0];
    const placed = { orderId: 'orderId-1', accountId: 'accountId-1', symbol: 'symbol-1', side: 'BUY', qty: 7, limitPrice: 12.5, orderType: 'orderType-1' };
    expect(problems.get(find('OrderPlaced', 1, { ...placed, qty: '100' }))).toBe('qty is the string "100", expected integer');
    expect(problems.get(find('OrderPlaced', 1, { ...placed, qty: 0.5 }))).toBe('qty is the number 0.5, expected integer');
    expect(problems.get(find('OrderPlaced', 1, { ...placed, side: 'HOLD' }))).toBe('side is the string "HOLD", expected one of BUY, SELL');
    expect(problems.get(find('OrderPlaced', 1, { ...placed, limitPrice: -1 }))).toBe('limitPrice is -1, expected more than 0');
    expect(problems.get(find('OrderPlaced', 1, { ...placed, orderId: '' }))).toBe('orderId is the string "", expected at least 1 character');
    expect(problems.get(find('OrderPlaced', 1, { ...placed, symbol: null }))).toBe('symbol is null, expected string');
    expect(problems.get(find('OrderPlaced', 1, { ...placed, accountId: { a: 1 } }))).toBe('accountId is an object, expected string');
    const { symbol: _s, ...noSymbol } = placed;
    expect(problems.get(find('OrderPlaced', 1, noSymbol))).toBe('missing required field symbol');
  });
});
