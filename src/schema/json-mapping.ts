/**
 * Avro and Protobuf schemas as JSON Schemas of their JSON mappings, so that events stored as
 * JSON are checked against them by the same engine as JSON Schemas (`schema check`, `compat
 * --against-log`, the registry):
 *
 * - Avro, its plain JSON mapping (what most producers that write Avro records as JSON emit; not
 *   Avro's own JSON *encoding*, which wraps union values in `{"type": value}`): a record is an
 *   object with exactly its fields (those without a default are required), a union any of its
 *   branches unwrapped, an enum one of its symbols, int a 32-bit integer, long an integer,
 *   float and double numbers, bytes and fixed strings (fixed: of its size), arrays and maps
 *   as arrays and objects. Named types become `$defs` (recursive ones too).
 * - Protobuf, the proto3 canonical JSON mapping: a message is an object whose fields are
 *   all optional, named by their JSON name (lowerCamelCase) or their proto name; 32-bit
 *   integers are JSON integers, 64-bit ones integers or decimal strings; float and double
 *   numbers or "NaN" / "Infinity" / "-Infinity"; bytes base64 strings; enums value names or
 *   numbers; repeated fields arrays; maps objects; unknown fields refused.
 *
 * Pure logic: schemas in, JSON Schemas (draft 2020-12) out.
 */
import protobuf from 'protobufjs';
import type { AvroJson } from './avro-compat.js';
import type { JsonSchema } from './compat.js';

const DRAFT = 'https://json-schema.org/draft/2020-12/schema';
type Obj = { [key: string]: unknown };

// --- Avro ----------------------------------------------------------------------------------------

const AVRO_PRIMITIVES: Record<string, Obj> = {
  null: { type: 'null' },
  boolean: { type: 'boolean' },
  int: { type: 'integer', minimum: -2147483648, maximum: 2147483647 },
  long: { type: 'integer' },
  float: { type: 'number' },
  double: { type: 'number' },
  bytes: { type: 'string' },
  string: { type: 'string' },
};

export function avroToJsonSchema(schema: AvroJson): JsonSchema {
  const defs: Record<string, Obj> = {};
  const root = avroNode(schema, '', defs);
  return { $schema: DRAFT, ...root, ...(Object.keys(defs).length ? { $defs: defs } : {}) };
}

function avroName(name: string, namespace: string): string {
  return name.includes('.') || namespace === '' ? name : `${namespace}.${name}`;
}

function avroNode(s: unknown, namespace: string, defs: Record<string, Obj>): Obj {
  if (typeof s === 'string') {
    if (s in AVRO_PRIMITIVES) return { ...AVRO_PRIMITIVES[s] };
    const full = avroName(s, namespace) in defs ? avroName(s, namespace) : s;
    return { $ref: `#/$defs/${encodeURIComponent(full)}` };
  }
  if (Array.isArray(s)) return { anyOf: s.map((b) => avroNode(b, namespace, defs)) };
  const o = s as Obj;
  const type = o.type;
  if (typeof type === 'string' && type in AVRO_PRIMITIVES) return { ...AVRO_PRIMITIVES[type] };
  if (type === 'array') return { type: 'array', items: avroNode(o.items, namespace, defs) };
  if (type === 'map') return { type: 'object', additionalProperties: avroNode(o.values, namespace, defs) };
  if (type === 'record' || type === 'error' || type === 'enum' || type === 'fixed') {
    const name = String(o.name);
    const ns = name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : typeof o.namespace === 'string' ? o.namespace : namespace;
    const full = avroName(name, ns);
    const ref = { $ref: `#/$defs/${encodeURIComponent(full)}` };
    if (type === 'enum') defs[full] = { type: 'string', enum: o.symbols };
    else if (type === 'fixed') defs[full] = { type: 'string', minLength: Number(o.size), maxLength: Number(o.size) };
    else {
      defs[full] = {}; // before the fields: a field may refer to its own record
      const fields = (o.fields as Obj[]) ?? [];
      defs[full] = {
        type: 'object',
        properties: Object.fromEntries(fields.map((f) => [String(f.name), avroNode(f.type, ns, defs)])),
        required: fields.filter((f) => !('default' in f)).map((f) => String(f.name)),
        additionalProperties: false,
      };
    }
    return ref;
  }
  return avroNode(type, namespace, defs);
}

// --- Protobuf ------------------------------------------------------------------------------------

const INT64_TEXT = '^-?[0-9]+$';
const PROTO_SCALARS: Record<string, Obj> = {
  int32: { type: 'integer', minimum: -2147483648, maximum: 2147483647 },
  sint32: { type: 'integer', minimum: -2147483648, maximum: 2147483647 },
  sfixed32: { type: 'integer', minimum: -2147483648, maximum: 2147483647 },
  uint32: { type: 'integer', minimum: 0, maximum: 4294967295 },
  fixed32: { type: 'integer', minimum: 0, maximum: 4294967295 },
  int64: { anyOf: [{ type: 'integer' }, { type: 'string', pattern: INT64_TEXT }] },
  sint64: { anyOf: [{ type: 'integer' }, { type: 'string', pattern: INT64_TEXT }] },
  sfixed64: { anyOf: [{ type: 'integer' }, { type: 'string', pattern: INT64_TEXT }] },
  uint64: { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^[0-9]+$' }] },
  fixed64: { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^[0-9]+$' }] },
  float: { anyOf: [{ type: 'number' }, { enum: ['NaN', 'Infinity', '-Infinity'] }] },
  double: { anyOf: [{ type: 'number' }, { enum: ['NaN', 'Infinity', '-Infinity'] }] },
  bool: { type: 'boolean' },
  string: { type: 'string' },
  bytes: { type: 'string', pattern: '^[A-Za-z0-9+/_-]*={0,2}$' },
};

/** The JSON Schema of a message's proto3 JSON mapping. */
export function protoMessageToJsonSchema(message: protobuf.Type): JsonSchema {
  const defs: Record<string, Obj> = {};
  const root = protoRef(message, defs);
  return { $schema: DRAFT, ...root, $defs: defs };
}

function protoRef(t: protobuf.Type | protobuf.Enum, defs: Record<string, Obj>): Obj {
  const key = t.fullName.replace(/^\./, '');
  if (!(key in defs)) {
    defs[key] = {};
    defs[key] = t instanceof protobuf.Enum
      ? { anyOf: [{ enum: Object.keys(t.values) }, { type: 'integer' }] }
      : protoFields(t, defs);
  }
  return { $ref: `#/$defs/${encodeURIComponent(key)}` };
}

function protoFields(t: protobuf.Type, defs: Record<string, Obj>): Obj {
  const properties: Record<string, Obj> = {};
  for (const f of t.fieldsArray) {
    f.resolve();
    let value: Obj;
    if (f.map) {
      value = { type: 'object', additionalProperties: protoValue(f.type, f.resolvedType, defs) };
    } else {
      const one = protoValue(f.type, f.resolvedType, defs);
      value = f.repeated ? { type: 'array', items: one } : one;
    }
    // JSON parsers accept the JSON name (lowerCamelCase) and the proto name alike.
    properties[jsonName(f.name)] = value;
    properties[f.name] = value;
  }
  // A oneof takes at most one of its fields (under either of its names).
  const exclusive = t.oneofsArray
    .filter((o) => !(o.fieldsArray.length === 1 && o.name === `_${o.fieldsArray[0]!.name}`))
    .map((o) => o.fieldsArray.flatMap((f) => [...new Set([jsonName(f.name), f.name])]))
    .filter((names) => names.length > 1)
    .map((names) => ({ not: { anyOf: pairs(names).map((pair) => ({ required: pair })) } }));
  return { type: 'object', properties, additionalProperties: false, ...(exclusive.length ? { allOf: exclusive } : {}) };
}

function pairs<T>(xs: T[]): [T, T][] {
  const out: [T, T][] = [];
  for (let i = 0; i < xs.length; i++) for (let j = i + 1; j < xs.length; j++) out.push([xs[i]!, xs[j]!]);
  return out;
}

function protoValue(type: string, resolved: protobuf.Type | protobuf.Enum | null, defs: Record<string, Obj>): Obj {
  if (type in PROTO_SCALARS) return { ...PROTO_SCALARS[type] };
  if (resolved instanceof protobuf.Type && WELL_KNOWN[resolved.fullName]) return { ...WELL_KNOWN[resolved.fullName] };
  if (resolved) return protoRef(resolved, defs);
  return {};
}

/** The well-known types have JSON forms of their own. */
const WELL_KNOWN: Record<string, Obj> = {
  '.google.protobuf.Timestamp': { type: 'string', format: 'date-time' },
  '.google.protobuf.Duration': { type: 'string', pattern: '^-?[0-9]+(\\.[0-9]{1,9})?s$' },
  '.google.protobuf.StringValue': { type: ['string', 'null'] },
  '.google.protobuf.BoolValue': { type: ['boolean', 'null'] },
  '.google.protobuf.Int32Value': { type: ['integer', 'null'] },
  '.google.protobuf.DoubleValue': { type: ['number', 'null'] },
  '.google.protobuf.Struct': { type: 'object' },
  '.google.protobuf.Value': {},
};

/** protoc's JSON name: underscores dropped, the letter after each upper-cased. */
export function jsonName(name: string): string {
  return name.replace(/_+([a-zA-Z0-9])/g, (_m, c: string) => c.toUpperCase());
}
