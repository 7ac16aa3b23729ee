/**
 * Protobuf schema compatibility with the semantics of Confluent Schema Registry's Protobuf
 * checker (its kinds of difference, its paths `#/<Message>/<oneof>/<field number>`, its set of
 * compatible kinds): diff an *original* schema file against an *update*, by field number, with
 * the scalar types grouped as the Protocol Buffers guide groups wire-compatible types. BACKWARD
 * diffs old → new, FORWARD new → old (compat.ts has the modes).
 *
 * Parsing (with imports) is protobufjs's; this file only walks its reflection objects. Pure
 * logic: no I/O here (avro-schema.ts-like loading lives in protobuf-schema.ts).
 */
import protobuf from 'protobufjs';
import type { Direction } from './compat.js';

/** `true`: compatible (Confluent's COMPATIBLE_CHANGES, and evtrail's own kinds at the end). */
const KINDS = {
  // Compatible in Confluent's set (protobuf-provider …/protobuf/diff/SchemaDiff.java, COMPATIBLE_CHANGES):
  // the binary wire carries field numbers, never the package.
  PACKAGE_CHANGED: [true, 'the package changed: the wire carries field numbers, not type names, so {W} data still reads (names written into data, an Any\'s type URL or a JSON @type, do change)'],
  MESSAGE_ADDED: [true, 'a message was added: nothing written before refers to it'],
  MESSAGE_REMOVED: [false, 'a message was removed: data of that type can no longer be read with the {R} schema'],
  MESSAGE_MOVED: [true, 'a message moved in the file: message indexes are taken against the schema that wrote the data'],
  ENUM_ADDED: [true, 'an enum was added'],
  ENUM_REMOVED: [true, 'an enum was removed: its values are read as plain numbers'],
  ENUM_CONST_ADDED: [true, 'an enum value was added: readers that do not know it keep the number'],
  ENUM_CONST_CHANGED: [true, 'an enum value was renamed: the wire carries the number, not the name'],
  ENUM_CONST_REMOVED: [true, 'an enum value was removed: readers keep the number as an unknown value'],
  FIELD_ADDED: [true, 'a field was added: {W} data lacks it and readers see its default'],
  FIELD_REMOVED: [true, 'a field was removed: readers skip its number as an unknown field'],
  FIELD_NAME_CHANGED: [true, 'a field was renamed: the wire carries the number, not the name'],
  FIELD_KIND_CHANGED: [false, 'the field changed between scalar, message and map: the same number now holds another wire shape'],
  FIELD_SCALAR_KIND_CHANGED: [false, 'the scalar type changed outside its wire-compatible group (int32/int64/uint32/uint64/bool/enum; sint32/sint64; string/bytes; fixed32/sfixed32; fixed64/sfixed64; float; double)'],
  FIELD_NAMED_TYPE_CHANGED: [false, 'the field refers to another message type, or to one changed incompatibly'],
  FIELD_NUMERIC_LABEL_CHANGED: [false, 'a numeric field changed between singular and repeated: packed repeated values are not read as one number'],
  FIELD_STRING_OR_BYTES_LABEL_CHANGED: [true, 'a string or bytes field changed between singular and repeated: both are length-delimited on the wire'],
  REQUIRED_FIELD_ADDED: [false, 'a required field was added: {W} data lacks it and the {R} schema refuses to parse it'],
  REQUIRED_FIELD_REMOVED: [false, 'a required field was removed: readers that still require it refuse {R} data'],
  ONEOF_ADDED: [true, 'a oneof was added'],
  ONEOF_REMOVED: [true, 'a oneof was removed'],
  ONEOF_FIELD_ADDED: [true, 'a field was added to a oneof'],
  ONEOF_FIELD_REMOVED: [false, 'a field was removed from a oneof: {W} data that set it reads as none of the oneof set'],
  MULTIPLE_FIELDS_MOVED_TO_ONEOF: [false, 'several existing fields moved into one oneof: {W} data that set more than one of them loses all but the last'],
  FIELD_MOVED_TO_EXISTING_ONEOF: [false, 'an existing field moved into a oneof that already had fields: {W} data may set both'],
  // evtrail's own, beyond Confluent's checker:
  RESERVED_NUMBER_REUSED: [false, 'a field uses a number the {W} schema reserved: data written before it was reserved means something else (evtrail\'s own check)'],
  RESERVED_NAME_REUSED: [false, 'a field uses a name the {W} schema reserved: JSON and text readers confuse it with the old field (evtrail\'s own check)'],
} as const;

export type ProtobufDifferenceType = keyof typeof KINDS;
export const PROTOBUF_DIFFERENCE_TYPES = Object.keys(KINDS) as ProtobufDifferenceType[];

export interface ProtobufDifference {
  type: ProtobufDifferenceType;
  path: string;
}

export function isCompatibleProtobufChange(type: ProtobufDifferenceType): boolean {
  return KINDS[type][0];
}

export function protobufReasonFor(type: ProtobufDifferenceType, direction: Direction): string {
  const [w, r] = direction === 'backward' ? ['old', 'new'] : ['new', 'old'];
  return KINDS[type][1].replaceAll('{W}', w).replaceAll('{R}', r);
}

/** One parsed .proto file: its package and the types it declares (imports resolved by protobufjs). */
export interface ProtoFile {
  package: string;
  /** The file's top-level messages and enums, in declaration order. */
  types: protobuf.ReflectionObject[];
}

interface Ctx {
  out: ProtobufDifference[];
  path: string[];
  /** Message pairs being compared (recursive types). */
  active: Set<string>;
}

const add = (ctx: Ctx, type: ProtobufDifferenceType, ...more: string[]): void => {
  ctx.out.push({ type, path: `#/${[...ctx.path, ...more].join('/')}` });
};
const within = (ctx: Ctx, segment: string, body: () => void): void => {
  ctx.path.push(segment);
  try {
    body();
  } finally {
    ctx.path.pop();
  }
};

/** Every difference from the original file to the update, in Confluent's kinds. */
export function diffProtobuf(original: ProtoFile, update: ProtoFile): ProtobufDifference[] {
  const ctx: Ctx = { out: [], path: [], active: new Set() };
  if (original.package !== update.package) add(ctx, 'PACKAGE_CHANGED');
  compareTypes(ctx, original.types, update.types);
  // A message compared as a field's type and as a declaration gives the same difference twice.
  const seen = new Set<string>();
  return ctx.out.filter((d) => {
    const key = `${d.type} ${d.path}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

function compareTypes(ctx: Ctx, original: readonly protobuf.ReflectionObject[], update: readonly protobuf.ReflectionObject[]): void {
  const messages = (xs: readonly protobuf.ReflectionObject[]) => xs.filter((x): x is protobuf.Type => x instanceof protobuf.Type && !isMapEntry(x));
  const enums = (xs: readonly protobuf.ReflectionObject[]) => xs.filter((x): x is protobuf.Enum => x instanceof protobuf.Enum);
  const om = messages(original);
  const um = messages(update);
  for (const name of unionOf(om.map((m) => m.name), um.map((m) => m.name))) {
    within(ctx, name, () => {
      const o = om.findIndex((m) => m.name === name);
      const u = um.findIndex((m) => m.name === name);
      if (u < 0) add(ctx, 'MESSAGE_REMOVED');
      else if (o < 0) add(ctx, 'MESSAGE_ADDED');
      else {
        compareMessage(ctx, om[o]!, um[u]!);
        if (o !== u) add(ctx, 'MESSAGE_MOVED');
      }
    });
  }
  const oe = enums(original);
  const ue = enums(update);
  for (const name of unionOf(oe.map((e) => e.name), ue.map((e) => e.name))) {
    within(ctx, name, () => {
      const o = oe.find((e) => e.name === name);
      const u = ue.find((e) => e.name === name);
      if (!u) add(ctx, 'ENUM_REMOVED');
      else if (!o) add(ctx, 'ENUM_ADDED');
      else compareEnum(ctx, o, u);
    });
  }
}

function unionOf(a: string[], b: string[]): string[] {
  return [...a, ...b.filter((x) => !a.includes(x))];
}

function isMapEntry(t: protobuf.Type): boolean {
  return t.options?.map_entry === true;
}

/** proto3 `optional` is a oneof of one field protobufjs names `_<field>`: not a oneof the user wrote. */
function realOneofs(t: protobuf.Type): protobuf.OneOf[] {
  return t.oneofsArray.filter((o) => !(o.fieldsArray.length === 1 && o.name === `_${o.fieldsArray[0]!.name}`));
}

function compareMessage(ctx: Ctx, original: protobuf.Type, update: protobuf.Type): void {
  const key = `${original.fullName}|${update.fullName}`;
  if (!ctx.active.has(key)) {
    ctx.active.add(key);
    try {
      compareFields(ctx, original, update);
    } finally {
      ctx.active.delete(key);
    }
  }
  const nested = (t: protobuf.Type) => t.nestedArray;
  compareTypes(ctx, nested(original), nested(update));
}

function compareFields(ctx: Ctx, original: protobuf.Type, update: protobuf.Type): void {
  const oOneofs = realOneofs(original);
  const uOneofs = realOneofs(update);
  const oneofOf = (oneofs: protobuf.OneOf[], f: protobuf.Field) => oneofs.find((o) => o.fieldsArray.includes(f))?.name;
  // Fields outside any oneof, by number; those an update oneof takes in are not "removed".
  const oPlain = new Map(original.fieldsArray.filter((f) => !oneofOf(oOneofs, f)).map((f) => [f.id, f]));
  const uPlain = new Map(update.fieldsArray.filter((f) => !oneofOf(uOneofs, f)).map((f) => [f.id, f]));
  const oInOneof = new Map(oOneofs.flatMap((o) => o.fieldsArray.map((f) => [f.id, f] as const)));
  const uAll = new Set(update.fieldsArray.map((f) => f.id));

  for (const oneof of uOneofs) {
    within(ctx, oneof.name, () => {
      let moved = 0;
      let existing = 0;
      for (const f of oneof.fieldsArray) {
        if (oPlain.delete(f.id)) moved++;
        else if (oInOneof.has(f.id)) existing++;
      }
      if (moved > 1) add(ctx, 'MULTIPLE_FIELDS_MOVED_TO_ONEOF');
      else if (moved === 1 && existing > 0) add(ctx, 'FIELD_MOVED_TO_EXISTING_ONEOF');
    });
  }
  for (const name of unionOf(oOneofs.map((o) => o.name), uOneofs.map((o) => o.name))) {
    within(ctx, name, () => {
      const o = oOneofs.find((x) => x.name === name);
      const u = uOneofs.find((x) => x.name === name);
      if (!u) add(ctx, 'ONEOF_REMOVED');
      else if (!o) add(ctx, 'ONEOF_ADDED');
      else {
        const oBy = new Map(o.fieldsArray.map((f) => [f.id, f]));
        const uBy = new Map(u.fieldsArray.map((f) => [f.id, f]));
        for (const id of [...new Set([...oBy.keys(), ...uBy.keys()])].sort((a, b) => a - b)) {
          within(ctx, String(id), () => {
            const of = oBy.get(id);
            const uf = uBy.get(id);
            // A field that left the oneof but lives on elsewhere in the update was moved, not removed.
            if (!uf) { if (!uAll.has(id)) add(ctx, 'ONEOF_FIELD_REMOVED'); }
            else if (!of) add(ctx, 'ONEOF_FIELD_ADDED');
            else compareField(ctx, of, uf);
          });
        }
      }
    });
  }
  for (const id of [...new Set([...oPlain.keys(), ...uPlain.keys()])].sort((a, b) => a - b)) {
    within(ctx, String(id), () => {
      const of = oPlain.get(id);
      const uf = uPlain.get(id);
      if (!uf) add(ctx, of!.rule === 'required' ? 'REQUIRED_FIELD_REMOVED' : 'FIELD_REMOVED');
      else if (!of) {
        add(ctx, uf.rule === 'required' ? 'REQUIRED_FIELD_ADDED' : 'FIELD_ADDED');
        if (isReservedNumber(original, id)) add(ctx, 'RESERVED_NUMBER_REUSED');
        if (isReservedName(original, uf.name)) add(ctx, 'RESERVED_NAME_REUSED');
      } else compareField(ctx, of, uf);
    });
  }
  // Fields whose oneof membership changed (moved into, out of, or between oneofs): their
  // contents are compared by number too, so a type change is not hidden by the move.
  const oAll = new Map(original.fieldsArray.map((f) => [f.id, f]));
  for (const f of [...update.fieldsArray].sort((a, b) => a.id - b.id)) {
    const of = oAll.get(f.id);
    if (!of) continue;
    const [oo, uo] = [oneofOf(oOneofs, of), oneofOf(uOneofs, f)];
    if ((oo === undefined && uo === undefined) || (oo !== undefined && oo === uo)) continue;
    within(ctx, String(f.id), () => compareField(ctx, of, f));
  }
}

function compareEnum(ctx: Ctx, original: protobuf.Enum, update: protobuf.Enum): void {
  // By number: the wire carries numbers. (Aliases: the first name of a number stands for it.)
  const byNumber = (e: protobuf.Enum) => {
    const m = new Map<number, string>();
    for (const [name, n] of Object.entries(e.values)) if (!m.has(n)) m.set(n, name);
    return m;
  };
  const [o, u] = [byNumber(original), byNumber(update)];
  for (const n of [...new Set([...o.keys(), ...u.keys()])].sort((a, b) => a - b)) {
    within(ctx, String(n), () => {
      if (!u.has(n)) add(ctx, 'ENUM_CONST_REMOVED');
      else if (!o.has(n)) add(ctx, 'ENUM_CONST_ADDED');
      else if (o.get(n) !== u.get(n)) add(ctx, 'ENUM_CONST_CHANGED');
    });
  }
}

function isReservedNumber(t: protobuf.Type, id: number): boolean {
  return (t.reserved ?? []).some((r) => Array.isArray(r) && id >= r[0]! && id <= r[1]!);
}
function isReservedName(t: protobuf.Type, name: string): boolean {
  return (t.reserved ?? []).some((r) => r === name);
}

type Kind = 'SCALAR' | 'MAP' | 'MESSAGE';
const SCALAR_GROUPS: Record<string, string> = {
  int32: 'number', int64: 'number', uint32: 'number', uint64: 'number', bool: 'number',
  sint32: 'signed', sint64: 'signed',
  string: 'text', bytes: 'text',
  fixed32: 'fixed32', sfixed32: 'fixed32',
  fixed64: 'fixed64', sfixed64: 'fixed64',
  float: 'float', double: 'double',
};

interface FieldType {
  kind: Kind;
  /** The scalar group (an enum is a number), or the message's name within its package. */
  name: string;
  message?: protobuf.Type;
  key?: FieldType;
  value?: FieldType;
}

function fieldType(f: protobuf.Field): FieldType {
  if (f.map) {
    const mf = f as unknown as protobuf.MapField;
    return { kind: 'MAP', name: 'map', key: scalarOrNamed(mf.keyType, undefined), value: scalarOrNamed(mf.type, mf.resolvedType) };
  }
  return scalarOrNamed(f.type, f.resolvedType);
}

function scalarOrNamed(type: string, resolved: protobuf.Type | protobuf.Enum | null | undefined): FieldType {
  if (type in SCALAR_GROUPS) return { kind: 'SCALAR', name: SCALAR_GROUPS[type]! };
  if (resolved instanceof protobuf.Enum) return { kind: 'SCALAR', name: 'number' };
  if (resolved instanceof protobuf.Type) return { kind: 'MESSAGE', name: localName(resolved), message: resolved };
  return { kind: 'MESSAGE', name: type };
}

/** A message's name within its package (`Order.Leg`), as a reader resolves it. */
function localName(t: protobuf.ReflectionObject): string {
  const parts: string[] = [];
  for (let at: protobuf.ReflectionObject | null = t; at && (at instanceof protobuf.Type || at instanceof protobuf.Enum); at = at.parent) parts.unshift(at.name);
  return parts.join('.');
}

function compareField(ctx: Ctx, original: protobuf.Field, update: protobuf.Field): void {
  if (original.name !== update.name) add(ctx, 'FIELD_NAME_CHANGED');
  const [o, u] = [fieldType(original), fieldType(update)];
  compareFieldTypes(ctx, o, u);
  if (o.kind === 'SCALAR' && u.kind === 'SCALAR' && o.name === u.name && (original.rule === 'repeated') !== (update.rule === 'repeated')) {
    add(ctx, o.name === 'text' ? 'FIELD_STRING_OR_BYTES_LABEL_CHANGED' : 'FIELD_NUMERIC_LABEL_CHANGED');
  }
}

function compareFieldTypes(ctx: Ctx, o: FieldType, u: FieldType): void {
  if (o.kind !== u.kind) return add(ctx, 'FIELD_KIND_CHANGED');
  if (o.kind === 'SCALAR') {
    if (o.name !== u.name) add(ctx, 'FIELD_SCALAR_KIND_CHANGED');
    return;
  }
  if (o.kind === 'MAP') {
    compareFieldTypes(ctx, o.key!, u.key!);
    compareFieldTypes(ctx, o.value!, u.value!);
    return;
  }
  if (o.name !== u.name || !o.message || !u.message) {
    if (o.name !== u.name) add(ctx, 'FIELD_NAMED_TYPE_CHANGED');
    return;
  }
  // The same message name: its own changes count, under the message's path.
  const sub: Ctx = { out: [], path: o.name.split('.'), active: ctx.active };
  compareMessage(sub, o.message, u.message);
  ctx.out.push(...sub.out);
  if (sub.out.some((d) => !isCompatibleProtobufChange(d.type))) add(ctx, 'FIELD_NAMED_TYPE_CHANGED');
}
