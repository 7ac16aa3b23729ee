/**
 * One example edit per change kind, per format: an old and a new schema whose BACKWARD reading
 * (old data, new schema) shows the kind. The README's table of change kinds (change-kinds.ts)
 * runs the checkers on these pairs in each mode, so its verdicts are the code's, never typed by
 * hand; test/unit/schema-change-kinds.test.ts holds that every kind has an example, that the
 * example shows its kind, and that the README's table is the one these make.
 *
 * Kept in src/ (not in the tests) because the README generator (`npm run docs:change-kinds`)
 * runs from dist/ and needs them.
 */
import type { AvroDifferenceType, AvroJson } from './avro-compat.js';
import type { DifferenceType, JsonSchema } from './compat.js';
import type { ProtobufDifferenceType } from './protobuf-compat.js';

export interface KindExample<K extends string, S> {
  kind: K;
  /** The edit in a few words, old → new. */
  edit: string;
  old: S;
  new: S;
}

// --- JSON Schema -------------------------------------------------------------------------------

type J = KindExample<DifferenceType, JsonSchema>;
const S = { type: 'string' };
const I = { type: 'integer' };
const str = (extra: Record<string, unknown>): JsonSchema => ({ type: 'string', ...extra });
const num = (extra: Record<string, unknown>): JsonSchema => ({ type: 'number', ...extra });
const arr = (extra: Record<string, unknown>): JsonSchema => ({ type: 'array', ...extra });
const obj = (properties: Record<string, JsonSchema>, extra: Record<string, unknown> = {}): JsonSchema => ({ type: 'object', properties, ...extra });
const closed = { additionalProperties: false };
const j = (kind: DifferenceType, edit: string, old: JsonSchema, nu: JsonSchema): J => ({ kind, edit, old, new: nu });

/** For a keyword with a number bound: ADDED, REMOVED, INCREASED, DECREASED. */
function bounds(prefix: string, keyword: string, make: (extra: Record<string, unknown>) => JsonSchema, low: number, high: number): J[] {
  const k = (suffix: string) => `${prefix}_${suffix}` as DifferenceType;
  return [
    j(k('ADDED'), `${keyword}: none → ${low}`, make({}), make({ [keyword]: low })),
    j(k('REMOVED'), `${keyword}: ${low} → none`, make({ [keyword]: low }), make({})),
    j(k('INCREASED'), `${keyword}: ${low} → ${high}`, make({ [keyword]: low }), make({ [keyword]: high })),
    j(k('DECREASED'), `${keyword}: ${high} → ${low}`, make({ [keyword]: high }), make({ [keyword]: low })),
  ];
}
const items = (extra: Record<string, unknown>) => arr({ items: S, ...extra });
const contains = (extra: Record<string, unknown>) => arr({ contains: S, ...extra });
const noProps = (extra: Record<string, unknown>) => obj({}, extra);

export const JSON_SCHEMA_EXAMPLES: J[] = [
  j('ID_CHANGED', '$id: a → b', str({ $id: 'urn:a' }), str({ $id: 'urn:b' })),
  j('TITLE_CHANGED', 'title: Qty → Quantity', str({ title: 'Qty' }), str({ title: 'Quantity' })),
  j('DESCRIPTION_CHANGED', 'description reworded', str({ description: 'qty' }), str({ description: 'quantity' })),
  j('DEFAULT_CHANGED', 'default: "a" → "b"', str({ default: 'a' }), str({ default: 'b' })),
  j('SCHEMA_ADDED', 'array `items`: none → string', arr({}), arr({ items: S })),
  j('SCHEMA_REMOVED', 'array `items`: string → none', arr({ items: S }), arr({})),
  j('TYPE_CHANGED', 'string → integer', S, I),
  j('TYPE_EXTENDED', 'integer → number', I, { type: 'number' }),
  j('TYPE_NARROWED', 'number → integer', { type: 'number' }, I),
  ...bounds('MAX_LENGTH', 'maxLength', str, 5, 10),
  ...bounds('MIN_LENGTH', 'minLength', str, 5, 10),
  j('PATTERN_ADDED', 'pattern: none → ^[A-Z]+$', str({}), str({ pattern: '^[A-Z]+$' })),
  j('PATTERN_REMOVED', 'pattern: ^[A-Z]+$ → none', str({ pattern: '^[A-Z]+$' }), str({})),
  j('PATTERN_CHANGED', 'pattern: ^[A-Z]+$ → ^[a-z]+$', str({ pattern: '^[A-Z]+$' }), str({ pattern: '^[a-z]+$' })),
  ...bounds('MAXIMUM', 'maximum', num, 100, 200),
  ...bounds('MINIMUM', 'minimum', num, 100, 200),
  ...bounds('EXCLUSIVE_MAXIMUM', 'exclusiveMaximum', num, 100, 200),
  ...bounds('EXCLUSIVE_MINIMUM', 'exclusiveMinimum', num, 100, 200),
  j('MULTIPLE_OF_ADDED', 'multipleOf: none → 5', num({}), num({ multipleOf: 5 })),
  j('MULTIPLE_OF_REMOVED', 'multipleOf: 5 → none', num({ multipleOf: 5 }), num({})),
  j('MULTIPLE_OF_EXPANDED', 'multipleOf: 5 → 10', num({ multipleOf: 5 }), num({ multipleOf: 10 })),
  j('MULTIPLE_OF_REDUCED', 'multipleOf: 10 → 5', num({ multipleOf: 10 }), num({ multipleOf: 5 })),
  j('MULTIPLE_OF_CHANGED', 'multipleOf: 4 → 6', num({ multipleOf: 4 }), num({ multipleOf: 6 })),

  j('REQUIRED_ATTRIBUTE_ADDED', 'an existing property made required', obj({ a: S, b: I }), obj({ a: S, b: I }, { required: ['b'] })),
  j('REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED', 'an existing property with a default made required', obj({ a: S, b: { type: 'integer', default: 0 } }), obj({ a: S, b: { type: 'integer', default: 0 } }, { required: ['b'] })),
  j('REQUIRED_ATTRIBUTE_REMOVED', 'a required property made optional', obj({ a: S, b: I }, { required: ['b'] }), obj({ a: S, b: I })),
  j('PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL', 'a property added to an open object', obj({ a: S }), obj({ a: S, b: I })),
  j('PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL', 'a property `{}` added to an open object', obj({ a: S }), obj({ a: S, b: {} })),
  j('REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL', 'a required property added to a closed object', obj({ a: S }, closed), obj({ a: S, b: I }, { ...closed, required: ['b'] })),
  j('REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL', 'a required property with a default added to a closed object', obj({ a: S }, closed), obj({ a: S, b: { type: 'integer', default: 0 } }, { ...closed, required: ['b'] })),
  j('OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL', 'an optional property added to a closed object', obj({ a: S }, closed), obj({ a: S, b: I }, closed)),
  j('PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL', 'a property removed from an open object', obj({ a: S, b: I }), obj({ a: S })),
  j('PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL', 'a property removed from a closed object', obj({ a: S, b: I }, closed), obj({ a: S }, closed)),
  j('PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL', 'a property `false` removed from a closed object', obj({ a: S, b: false }, closed), obj({ a: S }, closed)),
  j('PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', 'a string property added where additionalProperties is string', obj({ a: S }, { additionalProperties: S }), obj({ a: S, b: S }, { additionalProperties: S })),
  j('PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', 'a shorter string property added where additionalProperties is string', obj({ a: S }, { additionalProperties: S }), obj({ a: S, b: str({ maxLength: 3 }) }, { additionalProperties: S })),
  j('PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', 'a string property removed where additionalProperties is string', obj({ a: S, b: S }, { additionalProperties: S }), obj({ a: S }, { additionalProperties: S })),
  j('PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', 'an integer property removed where additionalProperties is string', obj({ a: S, b: I }, { additionalProperties: S }), obj({ a: S }, { additionalProperties: S })),
  ...bounds('MAX_PROPERTIES', 'maxProperties', noProps, 3, 5),
  ...bounds('MIN_PROPERTIES', 'minProperties', noProps, 3, 5),
  j('ADDITIONAL_PROPERTIES_ADDED', 'additionalProperties: false → absent', obj({ a: S }, closed), obj({ a: S })),
  j('ADDITIONAL_PROPERTIES_REMOVED', 'additionalProperties: absent → false', obj({ a: S }), obj({ a: S }, closed)),
  j('ADDITIONAL_PROPERTIES_EXTENDED', 'additionalProperties: string → absent', obj({ a: S }, { additionalProperties: S }), obj({ a: S })),
  j('ADDITIONAL_PROPERTIES_NARROWED', 'additionalProperties: absent → string', obj({ a: S }), obj({ a: S }, { additionalProperties: S })),
  j('DEPENDENCY_ARRAY_ADDED', 'dependencies a: none → [b]', obj({ a: S, b: S }), obj({ a: S, b: S }, { dependencies: { a: ['b'] } })),
  j('DEPENDENCY_ARRAY_REMOVED', 'dependencies a: [b] → none', obj({ a: S, b: S }, { dependencies: { a: ['b'] } }), obj({ a: S, b: S })),
  j('DEPENDENCY_ARRAY_EXTENDED', 'dependencies a: [b] → [b, c]', obj({ a: S, b: S, c: S }, { dependencies: { a: ['b'] } }), obj({ a: S, b: S, c: S }, { dependencies: { a: ['b', 'c'] } })),
  j('DEPENDENCY_ARRAY_NARROWED', 'dependencies a: [b, c] → [b]', obj({ a: S, b: S, c: S }, { dependencies: { a: ['b', 'c'] } }), obj({ a: S, b: S, c: S }, { dependencies: { a: ['b'] } })),
  j('DEPENDENCY_ARRAY_CHANGED', 'dependencies a: [b] → [c]', obj({ a: S, b: S, c: S }, { dependencies: { a: ['b'] } }), obj({ a: S, b: S, c: S }, { dependencies: { a: ['c'] } })),
  j('DEPENDENCY_SCHEMA_ADDED', 'dependencies a: none → a schema', obj({ a: S, b: S }), obj({ a: S, b: S }, { dependencies: { a: { required: ['b'] } } })),
  j('DEPENDENCY_SCHEMA_REMOVED', 'dependencies a: a schema → none', obj({ a: S, b: S }, { dependencies: { a: { required: ['b'] } } }), obj({ a: S, b: S })),

  ...bounds('MAX_ITEMS', 'maxItems', items, 3, 5),
  ...bounds('MIN_ITEMS', 'minItems', items, 3, 5),
  j('UNIQUE_ITEMS_ADDED', 'uniqueItems: absent → true', items({}), items({ uniqueItems: true })),
  j('UNIQUE_ITEMS_REMOVED', 'uniqueItems: true → absent', items({ uniqueItems: true }), items({})),
  j('ADDITIONAL_ITEMS_ADDED', 'tuple additionalItems: false → absent', arr({ items: [S], additionalItems: false }), arr({ items: [S] })),
  j('ADDITIONAL_ITEMS_REMOVED', 'tuple additionalItems: absent → false', arr({ items: [S] }), arr({ items: [S], additionalItems: false })),
  j('ADDITIONAL_ITEMS_EXTENDED', 'tuple additionalItems: integer → absent', arr({ items: [S], additionalItems: I }), arr({ items: [S] })),
  j('ADDITIONAL_ITEMS_NARROWED', 'tuple additionalItems: absent → integer', arr({ items: [S] }), arr({ items: [S], additionalItems: I })),
  j('UNEVALUATED_PROPERTIES_ADDED', 'unevaluatedProperties: false → absent (2020-12)', obj({ a: S }, { unevaluatedProperties: false }), obj({ a: S })),
  j('UNEVALUATED_PROPERTIES_REMOVED', 'unevaluatedProperties: absent → false (2020-12)', obj({ a: S }), obj({ a: S }, { unevaluatedProperties: false })),
  j('UNEVALUATED_PROPERTIES_EXTENDED', 'unevaluatedProperties: string → absent (2020-12)', obj({ a: S }, { unevaluatedProperties: S }), obj({ a: S })),
  j('UNEVALUATED_PROPERTIES_NARROWED', 'unevaluatedProperties: absent → string (2020-12)', obj({ a: S }), obj({ a: S }, { unevaluatedProperties: S })),
  j('UNEVALUATED_ITEMS_ADDED', 'unevaluatedItems: false → absent (2020-12)', arr({ prefixItems: [S], unevaluatedItems: false }), arr({ prefixItems: [S] })),
  j('UNEVALUATED_ITEMS_REMOVED', 'unevaluatedItems: absent → false (2020-12)', arr({ prefixItems: [S] }), arr({ prefixItems: [S], unevaluatedItems: false })),
  j('UNEVALUATED_ITEMS_EXTENDED', 'unevaluatedItems: string → absent (2020-12)', arr({ prefixItems: [S], unevaluatedItems: S }), arr({ prefixItems: [S] })),
  j('UNEVALUATED_ITEMS_NARROWED', 'unevaluatedItems: absent → string (2020-12)', arr({ prefixItems: [S] }), arr({ prefixItems: [S], unevaluatedItems: S })),
  ...bounds('MAX_CONTAINS', 'maxContains', contains, 3, 5),
  ...bounds('MIN_CONTAINS', 'minContains', contains, 3, 5),
  j('ITEM_ADDED_TO_OPEN_CONTENT_MODEL', 'a tuple item added to an open tuple', arr({ items: [S] }), arr({ items: [S, I] })),
  j('ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL', 'a tuple item `{}` added to an open tuple', arr({ items: [S] }), arr({ items: [S, {}] })),
  j('ITEM_ADDED_TO_CLOSED_CONTENT_MODEL', 'a tuple item added to a closed tuple', arr({ items: [S], additionalItems: false }), arr({ items: [S, I], additionalItems: false })),
  j('ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL', 'a tuple item removed from an open tuple', arr({ items: [S, I] }), arr({ items: [S] })),
  j('ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL', 'a tuple item removed from a closed tuple', arr({ items: [S, I], additionalItems: false }), arr({ items: [S], additionalItems: false })),
  j('ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL', 'a tuple item `false` removed from a closed tuple', arr({ items: [S, false], additionalItems: false }), arr({ items: [S], additionalItems: false })),
  j('ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', 'a string tuple item added where additionalItems is string', arr({ items: [S], additionalItems: S }), arr({ items: [S, S], additionalItems: S })),
  j('ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', 'a shorter string tuple item added where additionalItems is string', arr({ items: [S], additionalItems: S }), arr({ items: [S, str({ maxLength: 3 })], additionalItems: S })),
  j('ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', 'a string tuple item removed where additionalItems is string', arr({ items: [S, S], additionalItems: S }), arr({ items: [S], additionalItems: S })),
  j('ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', 'an integer tuple item removed where additionalItems is string', arr({ items: [S, I], additionalItems: S }), arr({ items: [S], additionalItems: S })),

  j('ENUM_ARRAY_EXTENDED', 'enum [a, b] → [a, b, c]', { enum: ['a', 'b'] }, { enum: ['a', 'b', 'c'] }),
  j('ENUM_ARRAY_NARROWED', 'enum [a, b, c] → [a, b]', { enum: ['a', 'b', 'c'] }, { enum: ['a', 'b'] }),
  j('ENUM_ARRAY_CHANGED', 'enum [a, b] → [a, c]', { enum: ['a', 'b'] }, { enum: ['a', 'c'] }),
  j('COMBINED_TYPE_EXTENDED', 'oneOf [string, integer] → anyOf', { oneOf: [S, I] }, { anyOf: [S, I] }),
  j('COMBINED_TYPE_CHANGED', 'anyOf [string, integer] → oneOf', { anyOf: [S, I] }, { oneOf: [S, I] }),
  j('PRODUCT_TYPE_EXTENDED', 'allOf [minimum, maximum] → allOf [minimum, maximum, multipleOf]', { allOf: [num({ minimum: 0 }), num({ maximum: 100 })] }, { allOf: [num({ minimum: 0 }), num({ maximum: 100 }), num({ multipleOf: 5 })] }),
  j('PRODUCT_TYPE_NARROWED', 'allOf [minimum, maximum, multipleOf] → allOf [minimum, maximum]', { allOf: [num({ minimum: 0 }), num({ maximum: 100 }), num({ multipleOf: 5 })] }, { allOf: [num({ minimum: 0 }), num({ maximum: 100 })] }),
  j('SUM_TYPE_EXTENDED', 'oneOf [string, integer] → [string, integer, boolean]', { oneOf: [S, I] }, { oneOf: [S, I, { type: 'boolean' }] }),
  j('SUM_TYPE_NARROWED', 'oneOf [string, integer, boolean] → [string, integer]', { oneOf: [S, I, { type: 'boolean' }] }, { oneOf: [S, I] }),
  j('COMBINED_TYPE_SUBSCHEMAS_CHANGED', 'anyOf [string, integer] → [string, boolean]', { anyOf: [S, I] }, { anyOf: [S, { type: 'boolean' }] }),
  j('NOT_TYPE_EXTENDED', 'not: short strings → not: any string', { not: str({ maxLength: 3 }) }, { not: S }),
  j('NOT_TYPE_NARROWED', 'not: any string → not: short strings', { not: S }, { not: str({ maxLength: 3 }) }),
];

// --- Avro -------------------------------------------------------------------------------------

type A = KindExample<AvroDifferenceType, AvroJson>;
const rec = (fields: unknown[], extra: Record<string, unknown> = {}): AvroJson => ({ type: 'record', name: 'Order', namespace: 'acme', fields, ...extra });
const side = (symbols: string[], extra: Record<string, unknown> = {}) => rec([{ name: 'side', type: { type: 'enum', name: 'Side', symbols, ...extra } }]);
const a = (kind: AvroDifferenceType, edit: string, old: AvroJson, nu: AvroJson): A => ({ kind, edit, old, new: nu });
const qty = { name: 'qty', type: 'int' };

export const AVRO_EXAMPLES: A[] = [
  a('TYPE_MISMATCH', 'a field long → int', rec([{ name: 'qty', type: 'long' }]), rec([qty])),
  a('NAME_MISMATCH', 'the record renamed, no alias', rec([qty]), { type: 'record', name: 'Trade', namespace: 'acme', fields: [qty] }),
  a('FIXED_SIZE_MISMATCH', 'a fixed size 16 → 32', { type: 'fixed', name: 'Hash', size: 16 }, { type: 'fixed', name: 'Hash', size: 32 }),
  a('MISSING_ENUM_SYMBOLS', 'an enum symbol removed, no enum default', side(['BUY', 'SELL', 'SHORT']), side(['BUY', 'SELL'])),
  a('READER_FIELD_MISSING_DEFAULT_VALUE', 'a field added without a default', rec([qty]), rec([qty, { name: 'tif', type: 'string' }])),
  a('MISSING_UNION_BRANCH', 'a union branch removed', rec([{ name: 'px', type: ['null', 'double', 'string'] }]), rec([{ name: 'px', type: ['null', 'double'] }])),
  a('FIELD_ADDED_WITH_DEFAULT', 'a field added with a default', rec([qty]), rec([qty, { name: 'tif', type: 'string', default: 'DAY' }])),
  a('FIELD_REMOVED', 'a field removed', rec([qty, { name: 'note', type: 'string' }]), rec([qty])),
  a('FIELD_RENAMED_WITH_ALIAS', 'a field renamed, the old name an alias', rec([qty]), rec([{ name: 'quantity', aliases: ['qty'], type: 'int' }])),
  a('NAME_MATCHED_BY_ALIAS', 'the record renamed, the old name an alias', rec([qty]), { type: 'record', name: 'Trade', namespace: 'acme', aliases: ['Order'], fields: [qty] }),
  a('TYPE_PROMOTED', 'a field int → long', rec([qty]), rec([{ name: 'qty', type: 'long' }])),
  a('ENUM_SYMBOL_ADDED', 'an enum symbol added', side(['BUY', 'SELL']), side(['BUY', 'SELL', 'SHORT'])),
  a('ENUM_SYMBOL_REMOVED_WITH_DEFAULT', 'an enum symbol removed, the enum has a default', side(['BUY', 'SELL', 'SHORT'], { default: 'SELL' }), side(['BUY', 'SELL'], { default: 'SELL' })),
  a('UNION_BRANCH_ADDED', 'a union branch added', rec([{ name: 'px', type: ['null', 'double'] }]), rec([{ name: 'px', type: ['null', 'double', 'string'] }])),
  a('TYPE_WIDENED_TO_UNION', 'a field double → [null, double]', rec([{ name: 'px', type: 'double' }]), rec([{ name: 'px', type: ['null', 'double'] }])),
];

// --- Protobuf ---------------------------------------------------------------------------------

type P = KindExample<ProtobufDifferenceType, string>;
/** A .proto file's text: proto3 in package `trading` unless the body says otherwise. */
const proto = (body: string, header = 'syntax = "proto3";\npackage trading;'): string => `${header}\n${body}\n`;
const proto2 = (body: string) => proto(body, 'syntax = "proto2";\npackage trading;');
const p = (kind: ProtobufDifferenceType, edit: string, old: string, nu: string): P => ({ kind, edit, old, new: nu });
const ORDER = 'message Order { string id = 1; int64 qty = 2; }';
const FILL = 'message Fill { int64 qty = 1; }';

export const PROTOBUF_EXAMPLES: P[] = [
  p('PACKAGE_CHANGED', 'package trading → trading.v2', proto(ORDER), proto(ORDER, 'syntax = "proto3";\npackage trading.v2;')),
  p('MESSAGE_ADDED', 'a message added', proto(ORDER), proto(`${ORDER} ${FILL}`)),
  p('MESSAGE_REMOVED', 'a message removed', proto(`${ORDER} ${FILL}`), proto(ORDER)),
  p('MESSAGE_MOVED', 'two messages swapped in the file', proto(`${ORDER} ${FILL}`), proto(`${FILL} ${ORDER}`)),
  p('ENUM_ADDED', 'an enum added', proto(ORDER), proto(`${ORDER} enum Side { BUY = 0; SELL = 1; }`)),
  p('ENUM_REMOVED', 'an enum removed', proto(`${ORDER} enum Side { BUY = 0; SELL = 1; }`), proto(ORDER)),
  p('ENUM_CONST_ADDED', 'an enum value added', proto('enum Side { BUY = 0; }'), proto('enum Side { BUY = 0; SELL = 1; }')),
  p('ENUM_CONST_CHANGED', 'an enum value renamed', proto('enum Side { BUY = 0; SELL = 1; }'), proto('enum Side { BUY = 0; ASK = 1; }')),
  p('ENUM_CONST_REMOVED', 'an enum value removed', proto('enum Side { BUY = 0; SELL = 1; }'), proto('enum Side { BUY = 0; }')),
  p('FIELD_ADDED', 'a field added', proto(ORDER), proto('message Order { string id = 1; int64 qty = 2; string venue = 3; }')),
  p('FIELD_REMOVED', 'a field removed', proto(ORDER), proto('message Order { string id = 1; }')),
  p('FIELD_NAME_CHANGED', 'a field renamed', proto(ORDER), proto('message Order { string id = 1; int64 quantity = 2; }')),
  p('FIELD_KIND_CHANGED', 'a scalar field became a map', proto(ORDER), proto('message Order { string id = 1; map<string, int64> qty = 2; }')),
  p('FIELD_SCALAR_KIND_CHANGED', 'int64 → sint64 (another wire group)', proto(ORDER), proto('message Order { string id = 1; sint64 qty = 2; }')),
  p('FIELD_NAMED_TYPE_CHANGED', 'a field of message A → of message B', proto('message A { int64 v = 1; } message B { int64 v = 1; } message Order { A leg = 1; }'), proto('message A { int64 v = 1; } message B { int64 v = 1; } message Order { B leg = 1; }')),
  p('FIELD_NUMERIC_LABEL_CHANGED', 'int64 → repeated int64', proto(ORDER), proto('message Order { string id = 1; repeated int64 qty = 2; }')),
  p('FIELD_STRING_OR_BYTES_LABEL_CHANGED', 'string → repeated string', proto(ORDER), proto('message Order { repeated string id = 1; int64 qty = 2; }')),
  p('REQUIRED_FIELD_ADDED', 'a required field added (proto2)', proto2('message Order { optional string id = 1; }'), proto2('message Order { optional string id = 1; required int64 qty = 2; }')),
  p('REQUIRED_FIELD_REMOVED', 'a required field removed (proto2)', proto2('message Order { optional string id = 1; required int64 qty = 2; }'), proto2('message Order { optional string id = 1; }')),
  p('ONEOF_ADDED', 'a oneof added with a new field', proto(ORDER), proto('message Order { string id = 1; int64 qty = 2; oneof px { double limit = 3; } }')),
  p('ONEOF_REMOVED', 'a oneof removed with its field', proto('message Order { string id = 1; int64 qty = 2; oneof px { double limit = 3; } }'), proto(ORDER)),
  p('ONEOF_FIELD_ADDED', 'a field added to a oneof', proto('message Order { oneof px { double limit = 3; } }'), proto('message Order { oneof px { double limit = 3; double stop = 4; } }')),
  p('ONEOF_FIELD_REMOVED', 'a field removed from a oneof', proto('message Order { oneof px { double limit = 3; double stop = 4; } }'), proto('message Order { oneof px { double limit = 3; } }')),
  p('MULTIPLE_FIELDS_MOVED_TO_ONEOF', 'two fields moved into a new oneof', proto('message Order { double limit = 3; double stop = 4; }'), proto('message Order { oneof px { double limit = 3; double stop = 4; } }')),
  p('FIELD_MOVED_TO_EXISTING_ONEOF', 'a field moved into a oneof that had one', proto('message Order { double stop = 4; oneof px { double limit = 3; } }'), proto('message Order { oneof px { double limit = 3; double stop = 4; } }')),
  p('RESERVED_NUMBER_REUSED', 'a field on a reserved number', proto('message Order { string id = 1; reserved 2; }'), proto('message Order { string id = 1; int64 qty = 2; }')),
  p('RESERVED_NAME_REUSED', 'a field on a reserved name', proto('message Order { string id = 1; reserved "qty"; }'), proto('message Order { string id = 1; int64 qty = 3; }')),
];
