/**
 * `evtrail schema compat` on Avro (.avsc) and Protobuf (.proto) files through the built CLI:
 * the verdict per mode, the --json shape (for Avro with a witness that the avsc library
 * confirms: the value written with one schema does not decode with the other), imports, and
 * the one-line errors for bad input.
 */
import fs from 'node:fs';
import path from 'node:path';
import avro from 'avsc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, tmpDir } from '../helpers.js';

let dir: string;
const file = (name: string, schema: unknown): string => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, typeof schema === 'string' ? schema : JSON.stringify(schema, null, 2));
  return p;
};

const v1 = {
  type: 'record', name: 'OrderPlaced', namespace: 'trading',
  fields: [
    { name: 'orderId', type: 'string' },
    { name: 'qty', type: 'int' },
    { name: 'side', type: { type: 'enum', name: 'Side', symbols: ['BUY', 'SELL', 'SHORT'] } },
  ],
};
// qty promoted, SHORT removed (no enum default), a field added without a default.
const v2 = {
  type: 'record', name: 'OrderPlaced', namespace: 'trading',
  fields: [
    { name: 'orderId', type: 'string' },
    { name: 'qty', type: 'long' },
    { name: 'side', type: { type: 'enum', name: 'Side', symbols: ['BUY', 'SELL'] } },
    { name: 'venue', type: 'string' },
  ],
};

beforeAll(() => {
  dir = tmpDir('evtrail-avro-e2e-');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('evtrail schema compat on .avsc files', () => {
  it('FULL: exit 1, each difference named with its reading and path, a witness avsc confirms', () => {
    const r = cli(['schema', 'compat', '--old', file('v1.avsc', v1), '--new', file('v2.avsc', v2), '--mode', 'FULL', '--json']);
    expect(r.code, r.stderr).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.format).toBe('avro');
    expect(out.compatible).toBe(false);
    expect(out.changes.map((c: any) => `${c.direction} ${c.type} ${c.path} ${c.breaking}`)).toEqual([
      'backward TYPE_PROMOTED /fields/qty/type false',
      'backward MISSING_ENUM_SYMBOLS /fields/side/type/symbols/SHORT true',
      'backward READER_FIELD_MISSING_DEFAULT_VALUE /fields/venue true',
      'forward TYPE_MISMATCH /fields/qty/type true',
      'forward ENUM_SYMBOL_ADDED /fields/side/type/symbols/SHORT false',
      'forward FIELD_REMOVED /fields/venue false',
    ]);
    expect(out.witnesses.map((w: any) => w.direction)).toEqual(['backward', 'forward']);
    // Each witness is a value its writer writes and its reader cannot read.
    for (const w of out.witnesses) {
      const [writer, reader] = w.direction === 'backward' ? [v1, v2] : [v2, v1];
      const wt = avro.Type.forSchema(writer as avro.Schema);
      const rt = avro.Type.forSchema(reader as avro.Schema);
      const buf = wt.toBuffer(wt.fromString(w.value));
      expect(() => rt.fromBuffer(buf, rt.createResolver(wt))).toThrow();
    }
  });

  it('BACKWARD with an enum default and a field default: compatible, exit 0, in plain text', () => {
    const v3 = structuredClone(v2) as any;
    v3.fields[2].type.default = 'SELL';
    v3.fields[3].default = 'XNAS';
    const r = cli(['schema', 'compat', '--old', file('v1b.avsc', v1), '--new', file('v3.avsc', v3), '--mode', 'BACKWARD']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('(Avro, BACKWARD): compatible');
    expect(r.stdout).toContain('ENUM_SYMBOL_REMOVED_WITH_DEFAULT');
    expect(r.stdout).toContain('FIELD_ADDED_WITH_DEFAULT');
  });

  it('refuses an invalid Avro schema, and an Avro schema against a JSON Schema, in one line with a hint', () => {
    const bad = cli(['schema', 'compat', '--old', file('bad.avsc', { type: 'record', fields: [] }), '--new', file('v2c.avsc', v2)]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\.avsc is not a valid Avro schema/);
    expect(bad.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    const mixed = cli(['schema', 'compat', '--old', file('v1c.avsc', v1), '--new', file('v2.json', { type: 'object' })]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/v1c\.avsc is Avro and .*v2\.json is JSON Schema/);
  });
});

describe('evtrail schema compat on .proto files', () => {
  it('BACKWARD with an import found through --proto-path: a removed oneof field breaks, a renamed field does not', () => {
    const lib = path.join(dir, 'lib');
    fs.mkdirSync(lib, { recursive: true });
    fs.writeFileSync(path.join(lib, 'money.proto'), 'syntax = "proto3";\npackage common;\nmessage Money { int64 units = 1; string currency = 2; }\n');
    const old = file('order.v1.proto', 'syntax = "proto3";\npackage trading;\nimport "money.proto";\nmessage OrderPlaced { string order_id = 1; common.Money px = 2; oneof tif { bool day = 3; bool ioc = 4; } }\n');
    const next = file('order.v2.proto', 'syntax = "proto3";\npackage trading;\nimport "money.proto";\nmessage OrderPlaced { string id = 1; common.Money px = 2; oneof tif { bool day = 3; } }\n');
    const r = cli(['schema', 'compat', '--old', old, '--new', next, '--proto-path', lib, '--json']);
    expect(r.code, r.stderr).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.format).toBe('protobuf');
    expect(out.changes.map((c: any) => `${c.type} ${c.path} ${c.breaking}`)).toEqual([
      'ONEOF_FIELD_REMOVED #/OrderPlaced/tif/4 true',
      'FIELD_NAME_CHANGED #/OrderPlaced/1 false',
    ]);
    const text = cli(['schema', 'compat', '--old', old, '--new', next, '--proto-path', lib]);
    expect(text.stdout).toContain('(Protobuf, BACKWARD): INCOMPATIBLE, 1 breaking change(s)');
    const missing = cli(['schema', 'compat', '--old', old, '--new', next]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/order\.v1\.proto is not a valid \.proto file/);
  });
});

describe('a registry of Avro and Protobuf schemas', () => {
  it('schema check validates stored JSON events through each format\'s JSON mapping; compat --registry judges the versions', () => {
    const reg = path.join(dir, 'registry');
    fs.mkdirSync(reg, { recursive: true });
    fs.writeFileSync(path.join(reg, 'OrderPlaced.v1.avsc'), JSON.stringify(v1));
    fs.writeFileSync(path.join(reg, 'OrderPlaced.v2.avsc'), JSON.stringify({ ...v2, fields: v2.fields.map((f) => (f.name === 'venue' ? { ...f, default: 'XNAS' } : f)) }));
    fs.writeFileSync(path.join(reg, 'OrderFilled.v1.proto'), 'syntax = "proto3";\npackage trading;\nmessage OrderFilled { string order_id = 1; int64 fill_qty = 2; double fill_price = 3; }\n');
    const lines = [
      { id: 'e1', type: 'OrderPlaced', schema_version: 1, ts: '2025-08-26T09:30:00Z', data: { orderId: 'o-1', qty: 100, side: 'BUY' } },
      { id: 'e2', type: 'OrderPlaced', schema_version: 1, ts: '2025-08-26T09:30:01Z', data: { orderId: 'o-2', qty: 5000000000, side: 'BUY' } },
      { id: 'e3', type: 'OrderPlaced', schema_version: 2, ts: '2025-08-26T09:30:02Z', data: { orderId: 'o-3', qty: 5000000000, side: 'SELL', venue: 'XNYS' } },
      { id: 'e4', type: 'OrderFilled', schema_version: 1, ts: '2025-08-26T09:30:03Z', data: { orderId: 'o-1', fillQty: '100', fillPrice: 101.5 } },
      { id: 'e5', type: 'OrderFilled', schema_version: 1, ts: '2025-08-26T09:30:04Z', data: { orderId: 'o-2', fillQty: 'many' } },
    ];
    const log = file('mixed.ndjson', lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const db = path.join(dir, 'mixed.duckdb');
    expect(cli(['ingest', log, '--db', db]).code).toBe(0);
    const check = cli(['schema', 'check', '--registry', reg, '--db', db, '--json']);
    expect(check.code, check.stderr).toBe(1);
    const out = JSON.parse(check.stdout);
    expect(out.checked).toBe(5);
    expect([...new Set(out.violations.map((v: any) => v.eventId))]).toEqual(['e2', 'e5']);
    const compat = cli(['schema', 'compat', '--registry', reg, '--mode', 'FULL', '--json']);
    expect(compat.code, compat.stderr).toBe(1);
    const c = JSON.parse(compat.stdout);
    expect(c.types).toEqual([
      { type: 'OrderFilled', format: 'protobuf', versions: [1], compatible: true },
      { type: 'OrderPlaced', format: 'avro', versions: [1, 2], compatible: false },
    ]);
    // v2 drops SHORT (no enum default) and narrows qty long → int when read back (FORWARD).
    expect(c.changes.filter((x: any) => x.breaking).map((x: any) => `${x.direction} ${x.type} ${x.path}`)).toEqual([
      'backward MISSING_ENUM_SYMBOLS /fields/side/type/symbols/SHORT',
      'forward TYPE_MISMATCH /fields/qty/type',
    ]);
    const against = cli(['schema', 'compat', '--new', path.join(reg, 'OrderPlaced.v1.avsc'), '--against-log', '--db', db, '--json']);
    expect(against.code, against.stderr).toBe(1);
    expect(JSON.parse(against.stdout).rejected.map((v: any) => v.eventId).sort()).toEqual(['e2', 'e3', 'e3']);
  });
});
