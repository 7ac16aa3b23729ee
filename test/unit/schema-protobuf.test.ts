/**
 * Protobuf compatibility (src/schema/protobuf-compat.ts): each of Confluent's kinds of
 * difference on a pair of .proto files made for it (proto3 and proto2), with the path
 * Confluent's checker gives (`#/<Message>/<oneof>/<number>`), the verdict per mode, imports,
 * and the wire facts behind the scalar groups checked with protobufjs itself.
 */
import fs from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffProtobuf } from '../../src/schema/protobuf-compat.js';
import { checkProtobufPair, loadProtoFile } from '../../src/schema/protobuf-schema.js';
import { tmpDir } from '../helpers.js';

let dir: string;
let n = 0;
beforeAll(() => {
  dir = tmpDir('evtrail-proto-');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function proto(body: string, syntax: 'proto3' | 'proto2' = 'proto3', pkg = 'trading'): string {
  const file = path.join(dir, `s${n++}.proto`);
  fs.writeFileSync(file, `syntax = "${syntax}";\n${pkg ? `package ${pkg};\n` : ''}${body}\n`);
  return file;
}
const diff = (a: string, b: string, syntax: 'proto3' | 'proto2' = 'proto3') =>
  diffProtobuf(loadProtoFile(proto(a, syntax)), loadProtoFile(proto(b, syntax))).map((d) => `${d.type} ${d.path}`);

const ORDER = 'message Order { string id = 1; int64 qty = 2; }';

describe('Protobuf differences, one kind each', () => {
  const cases: { name: string; a: string; b: string; syntax?: 'proto2'; expect: string[] }[] = [
    { name: 'a message added', a: ORDER, b: `${ORDER} message Fill { int64 qty = 1; }`, expect: ['MESSAGE_ADDED #/Fill'] },
    { name: 'a message removed', a: `${ORDER} message Fill { int64 qty = 1; }`, b: ORDER, expect: ['MESSAGE_REMOVED #/Fill'] },
    { name: 'messages reordered', a: `${ORDER} message Fill { int64 qty = 1; }`, b: `message Fill { int64 qty = 1; } ${ORDER}`, expect: ['MESSAGE_MOVED #/Order', 'MESSAGE_MOVED #/Fill'] },
    { name: 'a field added', a: ORDER, b: 'message Order { string id = 1; int64 qty = 2; string venue = 3; }', expect: ['FIELD_ADDED #/Order/3'] },
    { name: 'a field removed', a: ORDER, b: 'message Order { string id = 1; }', expect: ['FIELD_REMOVED #/Order/2'] },
    { name: 'a field renamed', a: ORDER, b: 'message Order { string id = 1; int64 quantity = 2; }', expect: ['FIELD_NAME_CHANGED #/Order/2'] },
    { name: 'int64 to int32 (the same wire group)', a: ORDER, b: 'message Order { string id = 1; int32 qty = 2; }', expect: [] },
    { name: 'int64 to sint64 (another wire group)', a: ORDER, b: 'message Order { string id = 1; sint64 qty = 2; }', expect: ['FIELD_SCALAR_KIND_CHANGED #/Order/2'] },
    { name: 'string to bytes', a: ORDER, b: 'message Order { bytes id = 1; int64 qty = 2; }', expect: [] },
    { name: 'a scalar becomes a message', a: ORDER, b: 'message Qty { int64 v = 1; } message Order { string id = 1; Qty qty = 2; }', expect: ['FIELD_KIND_CHANGED #/Order/2', 'MESSAGE_MOVED #/Order', 'MESSAGE_ADDED #/Qty'] },
    { name: 'an enum field to int32 (enums are numbers)', a: 'enum Side { BUY = 0; SELL = 1; } message Order { Side side = 1; }', b: 'enum Side { BUY = 0; SELL = 1; } message Order { int32 side = 1; }', expect: [] },
    { name: 'a field\'s message type renamed', a: 'message A { int64 v = 1; } message B { int64 v = 1; } message Order { A leg = 1; }', b: 'message A { int64 v = 1; } message B { int64 v = 1; } message Order { B leg = 1; }', expect: ['FIELD_NAMED_TYPE_CHANGED #/Order/1'] },
    { name: 'a field\'s message type changed incompatibly', a: 'message Leg { int64 v = 1; } message Order { Leg leg = 1; }', b: 'message Leg { string v = 1; } message Order { Leg leg = 1; }', expect: ['FIELD_SCALAR_KIND_CHANGED #/Leg/1', 'FIELD_NAMED_TYPE_CHANGED #/Order/1'] },
    { name: 'a map value type changed', a: 'message Order { map<string, int64> tags = 1; }', b: 'message Order { map<string, double> tags = 1; }', expect: ['FIELD_SCALAR_KIND_CHANGED #/Order/1'] },
    { name: 'a numeric field made repeated', a: ORDER, b: 'message Order { string id = 1; repeated int64 qty = 2; }', expect: ['FIELD_NUMERIC_LABEL_CHANGED #/Order/2'] },
    { name: 'a string field made repeated', a: ORDER, b: 'message Order { repeated string id = 1; int64 qty = 2; }', expect: ['FIELD_STRING_OR_BYTES_LABEL_CHANGED #/Order/1'] },
    { name: 'a oneof added with a new field', a: ORDER, b: 'message Order { string id = 1; int64 qty = 2; oneof px { double limit = 3; } }', expect: ['ONEOF_ADDED #/Order/px'] },
    { name: 'a oneof removed with its field', a: 'message Order { string id = 1; oneof px { double limit = 3; } }', b: 'message Order { string id = 1; }', expect: ['ONEOF_REMOVED #/Order/px'] },
    { name: 'a field added to a oneof', a: 'message Order { oneof px { double limit = 3; } }', b: 'message Order { oneof px { double limit = 3; double stop = 4; } }', expect: ['ONEOF_FIELD_ADDED #/Order/px/4'] },
    { name: 'a field removed from a oneof', a: 'message Order { oneof px { double limit = 3; double stop = 4; } }', b: 'message Order { oneof px { double limit = 3; } }', expect: ['ONEOF_FIELD_REMOVED #/Order/px/4'] },
    { name: 'a field moved out of a oneof: added where it is now, not removed from the oneof', a: 'message Order { oneof px { double limit = 3; double stop = 4; } }', b: 'message Order { double stop = 4; oneof px { double limit = 3; } }', expect: ['FIELD_ADDED #/Order/4'] },
    { name: 'two existing fields moved into one oneof', a: 'message Order { double limit = 3; double stop = 4; }', b: 'message Order { oneof px { double limit = 3; double stop = 4; } }', expect: ['MULTIPLE_FIELDS_MOVED_TO_ONEOF #/Order/px', 'ONEOF_ADDED #/Order/px'] },
    { name: 'a field moved into a oneof that had fields', a: 'message Order { double stop = 4; oneof px { double limit = 3; } }', b: 'message Order { oneof px { double limit = 3; double stop = 4; } }', expect: ['FIELD_MOVED_TO_EXISTING_ONEOF #/Order/px', 'ONEOF_FIELD_ADDED #/Order/px/4'] },
    { name: 'an enum value added', a: 'enum Side { BUY = 0; }', b: 'enum Side { BUY = 0; SELL = 1; }', expect: ['ENUM_CONST_ADDED #/Side/1'] },
    { name: 'an enum value removed', a: 'enum Side { BUY = 0; SELL = 1; }', b: 'enum Side { BUY = 0; }', expect: ['ENUM_CONST_REMOVED #/Side/1'] },
    { name: 'an enum value renamed', a: 'enum Side { BUY = 0; SELL = 1; }', b: 'enum Side { BUY = 0; ASK = 1; }', expect: ['ENUM_CONST_CHANGED #/Side/1'] },
    { name: 'an enum added and one removed', a: 'enum Side { BUY = 0; }', b: 'enum Venue { XNAS = 0; }', expect: ['ENUM_REMOVED #/Side', 'ENUM_ADDED #/Venue'] },
    { name: 'a nested message changed', a: 'message Order { message Leg { int64 qty = 1; } Leg leg = 1; }', b: 'message Order { message Leg { int64 qty = 1; string venue = 2; } Leg leg = 1; }', expect: ['FIELD_ADDED #/Order/Leg/2'] },
    { name: 'a required field added (proto2)', syntax: 'proto2', a: 'message Order { optional string id = 1; }', b: 'message Order { optional string id = 1; required int64 qty = 2; }', expect: ['REQUIRED_FIELD_ADDED #/Order/2'] },
    { name: 'a required field removed (proto2)', syntax: 'proto2', a: 'message Order { optional string id = 1; required int64 qty = 2; }', b: 'message Order { optional string id = 1; }', expect: ['REQUIRED_FIELD_REMOVED #/Order/2'] },
    { name: 'a reserved number reused (evtrail\'s own check)', a: 'message Order { string id = 1; reserved 2; }', b: 'message Order { string id = 1; int64 qty = 2; }', expect: ['FIELD_ADDED #/Order/2', 'RESERVED_NUMBER_REUSED #/Order/2'] },
    { name: 'a reserved name reused (evtrail\'s own check)', a: 'message Order { string id = 1; reserved "qty"; }', b: 'message Order { string id = 1; int64 qty = 3; }', expect: ['FIELD_ADDED #/Order/3', 'RESERVED_NAME_REUSED #/Order/3'] },
    { name: 'proto3 optional is not a oneof', a: ORDER, b: 'message Order { string id = 1; optional int64 qty = 2; }', expect: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(diff(c.a, c.b, c.syntax)).toEqual(c.expect);
    });
  }

  it('a package change', () => {
    const a = loadProtoFile(proto(ORDER, 'proto3', 'trading'));
    const b = loadProtoFile(proto(ORDER, 'proto3', 'trading.v2'));
    expect(diffProtobuf(a, b).map((d) => `${d.type} ${d.path}`)).toEqual(['PACKAGE_CHANGED #/']);
    // Compatible, as in Confluent's checker: PACKAGE_CHANGED is in COMPATIBLE_CHANGES of
    // confluentinc/schema-registry protobuf-provider/src/main/java/io/confluent/kafka/schemaregistry/protobuf/diff/SchemaDiff.java
    // (the binary wire carries field numbers; the package is not in it).
    expect(checkProtobufPair(a, b, 'FULL_TRANSITIVE').compatible).toBe(true);
    const w = protobuf.parse('syntax = "proto3"; package trading; message Order { string id = 1; int64 qty = 2; }').root.lookupType('trading.Order');
    const r = protobuf.parse('syntax = "proto3"; package trading.v2; message Order { string id = 1; int64 qty = 2; }').root.lookupType('trading.v2.Order');
    expect(r.toObject(r.decode(w.encode(w.fromObject({ id: 'o-1', qty: 5 })).finish()), { longs: Number })).toEqual({ id: 'o-1', qty: 5 });
  });

  it('types from an import are resolved, compared by their name within their package, and not listed as the file\'s own', () => {
    const common = path.join(dir, 'common.proto');
    fs.writeFileSync(common, 'syntax = "proto3";\npackage common;\nmessage Money { int64 units = 1; string currency = 2; }\n');
    const a = proto('import "common.proto";\nmessage Order { common.Money px = 1; }');
    const b = proto('import "common.proto";\nmessage Order { common.Money price = 1; }');
    expect(diffProtobuf(loadProtoFile(a), loadProtoFile(b)).map((d) => `${d.type} ${d.path}`)).toEqual(['FIELD_NAME_CHANGED #/Order/1']);
    expect(loadProtoFile(a).types.map((t) => t.name)).toEqual(['Order']);
  });
});

describe('modes and errors', () => {
  it('a field removed from a oneof breaks BACKWARD; adding it back is FORWARD-breaking too', () => {
    const a = loadProtoFile(proto('message Order { oneof px { double limit = 3; double stop = 4; } }'));
    const b = loadProtoFile(proto('message Order { oneof px { double limit = 3; } }'));
    expect(checkProtobufPair(a, b, 'BACKWARD').compatible).toBe(false);
    expect(checkProtobufPair(a, b, 'FORWARD').compatible).toBe(true);
    const full = checkProtobufPair(a, b, 'FULL');
    expect(full.changes.map((c) => [c.direction, c.type, c.breaking])).toEqual([
      ['backward', 'ONEOF_FIELD_REMOVED', true],
      ['forward', 'ONEOF_FIELD_ADDED', false],
    ]);
  });

  it('a file protobufjs cannot parse is refused in one line, naming the file', () => {
    const bad = proto('message Order { string id = 1 }');
    expect(() => loadProtoFile(bad)).toThrow(/is not a valid \.proto file/);
    expect(() => loadProtoFile(proto('import "missing.proto";\nmessage Order { string id = 1; }'))).toThrow(/is not a valid \.proto file/);
  });
});

describe('the scalar groups are the wire\'s', () => {
  // A value written as one type and read back as another of its group keeps its value;
  // across groups protobufjs reads something else (or fails).
  const roundTrip = (from: string, to: string, value: unknown): unknown => {
    const w = protobuf.parse(`syntax = "proto3"; message M { ${from} v = 1; }`).root.lookupType('M');
    const r = protobuf.parse(`syntax = "proto3"; message M { ${to} v = 1; }`).root.lookupType('M');
    try {
      const decoded = r.decode(w.encode(w.fromObject({ v: value })).finish());
      return r.toObject(decoded, { longs: String, bytes: String }).v;
    } catch (error) {
      return `error: ${(error as Error).message}`;
    }
  };
  it('int32 → int64 and bool ↔ uint32 keep the value; int64 → sint64 and fixed32 → float do not', () => {
    expect(roundTrip('int32', 'int64', 1234)).toBe('1234');
    expect(roundTrip('uint32', 'bool', 1)).toBe(true);
    expect(roundTrip('int64', 'sint64', 1234)).not.toBe('1234');
    expect(roundTrip('fixed32', 'float', 1234)).not.toBe(1234);
    expect(diff('message M { int32 v = 1; }', 'message M { int64 v = 1; }')).toEqual([]);
    expect(diff('message M { int64 v = 1; }', 'message M { sint64 v = 1; }')).toEqual(['FIELD_SCALAR_KIND_CHANGED #/M/1']);
    expect(diff('message M { fixed32 v = 1; }', 'message M { float v = 1; }')).toEqual(['FIELD_SCALAR_KIND_CHANGED #/M/1']);
  });
});
