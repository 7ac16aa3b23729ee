/**
 * Avro and Protobuf schemas as JSON Schemas of their JSON mappings (src/schema/json-mapping.ts),
 * judged by Ajv as `schema check` does: values of the mapping pass, values outside it fail.
 * For Protobuf the mapping is checked against protobufjs itself: what its toObject writes for
 * random messages is valid, and what fromObject refuses is invalid.
 */
import fs from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { avroToJsonSchema, jsonName, protoMessageToJsonSchema } from '../../src/schema/json-mapping.js';
import { loadProtoFile } from '../../src/schema/protobuf-schema.js';
import { compileSchema } from '../../src/schema/registry.js';
import { tmpDir } from '../helpers.js';

describe('Avro, plain JSON mapping', () => {
  const order = {
    type: 'record', name: 'OrderPlaced', namespace: 'trading',
    fields: [
      { name: 'orderId', type: 'string' },
      { name: 'qty', type: 'int' },
      { name: 'limitPrice', type: ['null', 'double'], default: null },
      { name: 'side', type: { type: 'enum', name: 'Side', symbols: ['BUY', 'SELL'] } },
      { name: 'tags', type: { type: 'map', values: 'string' }, default: {} },
      { name: 'legs', type: { type: 'array', items: { type: 'record', name: 'Leg', fields: [{ name: 'venue', type: 'string' }, { name: 'next', type: ['null', 'Leg'], default: null }] } }, default: [] },
    ],
  };
  const validate = compileSchema('order.avsc', avroToJsonSchema(order));
  const ok = { orderId: 'o-1', qty: 100, side: 'BUY' };
  const cases: [string, unknown, boolean][] = [
    ['the required fields only', ok, true],
    ['every field, a recursive record inside', { ...ok, limitPrice: 101.5, tags: { desk: 'a' }, legs: [{ venue: 'XNAS', next: { venue: 'XNYS', next: null } }] }, true],
    ['a required field missing', { orderId: 'o-1', side: 'BUY' }, false],
    ['an int beyond 32 bits', { ...ok, qty: 2 ** 31 }, false],
    ['a fraction in an int', { ...ok, qty: 1.5 }, false],
    ['a symbol the enum lacks', { ...ok, side: 'SHORT' }, false],
    ['a field the record lacks', { ...ok, venue: 'XNAS' }, false],
    ['a union value of no branch', { ...ok, limitPrice: 'cheap' }, false],
    ['a recursive record with a wrong inner field', { ...ok, legs: [{ venue: 'XNAS', next: { venue: 7 } }] }, false],
  ];
  for (const [name, value, valid] of cases) {
    it(`${name}: ${valid ? 'valid' : 'invalid'}`, () => {
      expect(validate(value)).toBe(valid);
    });
  }
});

describe('Protobuf, proto3 JSON mapping', () => {
  let dir: string;
  let type: protobuf.Type;
  beforeAll(() => {
    dir = tmpDir('evtrail-proto-json-');
    const file = path.join(dir, 'order.proto');
    fs.writeFileSync(file, `syntax = "proto3";
package trading;
import "google/protobuf/timestamp.proto";
enum Side { SIDE_UNSPECIFIED = 0; BUY = 1; SELL = 2; }
message Leg { string venue = 1; uint32 qty = 2; }
message OrderPlaced {
  string order_id = 1;
  int64 qty = 2;
  double limit_price = 3;
  Side side = 4;
  repeated Leg legs = 5;
  map<string, string> tags = 6;
  bytes signature = 7;
  google.protobuf.Timestamp placed_at = 8;
  oneof tif { bool day = 9; bool ioc = 10; }
}
`);
    type = loadProtoFile(file).types.find((t) => t.name === 'OrderPlaced') as protobuf.Type;
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('JSON names are protoc\'s lowerCamelCase', () => {
    expect(jsonName('limit_price')).toBe('limitPrice');
    expect(jsonName('order_id_2')).toBe('orderId2');
  });

  it('what protobufjs writes as JSON is valid, in both field spellings; what the mapping forbids is not', () => {
    const validate = compileSchema('order.proto', protoMessageToJsonSchema(type));
    const message = type.fromObject({ order_id: 'o-1', qty: '9007199254740993', limit_price: 101.25, side: 'SELL', legs: [{ venue: 'XNAS', qty: 5 }], tags: { desk: 'a' }, signature: Buffer.from('sig'), day: true });
    const json = type.toObject(message, { longs: String, enums: String, bytes: String, oneofs: false });
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    const camel = { orderId: 'o-1', qty: 12, limitPrice: 'NaN', side: 2, placedAt: '2025-08-26T09:30:00.123456789Z', ioc: true };
    expect(validate(camel), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ orderId: 'o-1', day: true, ioc: false })).toBe(false); // two fields of one oneof
    expect(validate({ orderId: 'o-1', unknownField: 1 })).toBe(false);
    expect(validate({ qty: '12.5' })).toBe(false);
    expect(validate({ legs: [{ qty: -1 }] })).toBe(false);
    expect(validate({ side: 'SHORT' })).toBe(false);
  });
});
