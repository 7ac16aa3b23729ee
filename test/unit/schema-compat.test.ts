import { describe, it, expect } from 'vitest';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { checkPair, checkVersions, diffSchemas, MODES, type CompatMode, type JsonSchema } from '../../src/schema/compat.js';

/**
 * Each case: an old and a new schema, and the differences Confluent's JSON Schema checker
 * reports in each reading, labelled by hand from Confluent's documented rules (a change is
 * compatible when the reader accepts everything the writer allowed; adding a property to an
 * open content model, removing one from a closed model, adding required, narrowing types,
 * enums, bounds … break). "backward" diffs old (writer) → new (reader), "forward" new → old.
 *
 * Independently of those labels, every reading labelled breaking carries a witness: a value
 * valid under the writer schema that Ajv rejects under the reader schema, so the verdict is
 * checked against real validation, not only against the labels.
 */
type Expect = [type: string, path: string, breaking: boolean];
interface Case {
  name: string;
  old: JsonSchema;
  new: JsonSchema;
  backward: Expect[];
  forward: Expect[];
  /** Valid under old, rejected by new (the backward reading breaks). */
  backWitness?: unknown;
  /** Valid under new, rejected by old (the forward reading breaks). */
  fwdWitness?: unknown;
  /** Why a reading Confluent's checker calls breaking has no witness (its verdict is conservative there). */
  noWitness?: string;
}

const obj = (properties: Record<string, JsonSchema>, extra: Record<string, unknown> = {}): JsonSchema => ({ type: 'object', properties, ...extra });
const closed = { additionalProperties: false };
const S = { type: 'string' };
const I = { type: 'integer' };

const CASES: Case[] = [
  {
    name: 'property added to an open content model',
    old: obj({ a: S }), new: obj({ a: S, b: I }),
    backward: [['PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL', '#/properties/b', true]],
    forward: [['PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL', '#/properties/b', false]],
    backWitness: { a: 'x', b: 'not an integer' },
  },
  {
    name: 'property with an empty schema added to an open content model',
    old: obj({ a: S }), new: obj({ a: S, b: {} }),
    backward: [['PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL', '#/properties/b', false]],
    forward: [['PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL', '#/properties/b', false]],
  },
  {
    name: 'optional property added to a closed content model',
    old: obj({ a: S }, closed), new: obj({ a: S, b: I }, closed),
    backward: [['OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL', '#/properties/b', false]],
    forward: [['PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL', '#/properties/b', true]],
    fwdWitness: { a: 'x', b: 1 },
  },
  {
    name: 'required property added to a closed content model',
    old: obj({ a: S }, closed), new: obj({ a: S, b: I }, { ...closed, required: ['b'] }),
    backward: [['REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL', '#/properties/b', true]],
    forward: [['PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL', '#/properties/b', true]],
    backWitness: { a: 'x' },
    fwdWitness: { a: 'x', b: 1 },
  },
  {
    name: 'required property with a default added to a closed content model',
    old: obj({ a: S }, closed), new: obj({ a: S, b: { type: 'integer', default: 0 } }, { ...closed, required: ['b'] }),
    backward: [['REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL', '#/properties/b', false]],
    forward: [['PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL', '#/properties/b', true]],
    fwdWitness: { a: 'x', b: 1 },
  },
  {
    name: 'property whose schema is false removed from a closed content model',
    old: obj({ a: S, b: false }, closed), new: obj({ a: S }, closed),
    backward: [['PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL', '#/properties/b', false]],
    forward: [['OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL', '#/properties/b', false]],
  },
  {
    name: 'property added, covered by a partially open content model',
    old: obj({ a: S }, { additionalProperties: S }), new: obj({ a: S, b: S }, { additionalProperties: S }),
    // Confluent also applies the closed-model rule to a partially open model: optional added.
    backward: [['PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', '#/properties/b', false], ['OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL', '#/properties/b', false]],
    forward: [['PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', '#/properties/b', false]],
  },
  {
    name: 'property added, stricter than the partially open content model (patternProperties)',
    old: obj({ a: S }, { patternProperties: { '^b': S }, additionalProperties: false }),
    new: obj({ a: S, b: { type: 'string', maxLength: 3 } }, { patternProperties: { '^b': S }, additionalProperties: false }),
    backward: [['MAX_LENGTH_ADDED', '#/properties/b/maxLength', true], ['PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', '#/properties/b', true], ['OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL', '#/properties/b', false]],
    forward: [['MAX_LENGTH_REMOVED', '#/properties/b/maxLength', false], ['PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', '#/properties/b', false]],
    backWitness: { a: 'x', b: 'too long' },
  },
  {
    name: 'required attribute added',
    old: obj({ a: S, b: I }), new: obj({ a: S, b: I }, { required: ['b'] }),
    backward: [['REQUIRED_ATTRIBUTE_ADDED', '#/required/b', true]],
    forward: [['REQUIRED_ATTRIBUTE_REMOVED', '#/required/b', false]],
    backWitness: { a: 'x' },
  },
  {
    name: 'required attribute with a default added',
    old: obj({ a: S, b: I }), new: obj({ a: S, b: { type: 'integer', default: 1 } }, { required: ['b'] }),
    backward: [['REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED', '#/required/b', false], ['DEFAULT_CHANGED', '#/properties/b', false]],
    forward: [['REQUIRED_ATTRIBUTE_REMOVED', '#/required/b', false], ['DEFAULT_CHANGED', '#/properties/b', false]],
  },
  {
    name: 'additional properties forbidden',
    old: obj({ a: S }), new: obj({ a: S }, closed),
    backward: [['ADDITIONAL_PROPERTIES_REMOVED', '#/additionalProperties', true]],
    forward: [['ADDITIONAL_PROPERTIES_ADDED', '#/additionalProperties', false]],
    backWitness: { a: 'x', extra: 1 },
  },
  {
    name: 'additional properties given a schema',
    old: obj({ a: S }), new: obj({ a: S }, { additionalProperties: S }),
    backward: [['ADDITIONAL_PROPERTIES_NARROWED', '#/additionalProperties', true]],
    forward: [['ADDITIONAL_PROPERTIES_EXTENDED', '#/additionalProperties', false]],
    backWitness: { a: 'x', extra: 1 },
  },
  {
    name: 'maxProperties added',
    old: obj({ a: S }), new: obj({ a: S }, { maxProperties: 1 }),
    backward: [['MAX_PROPERTIES_ADDED', '#/maxProperties', true]],
    forward: [['MAX_PROPERTIES_REMOVED', '#/maxProperties', false]],
    backWitness: { a: 'x', b: 1 },
  },
  {
    name: 'minProperties increased',
    old: obj({ a: S }, { minProperties: 1 }), new: obj({ a: S }, { minProperties: 2 }),
    backward: [['MIN_PROPERTIES_INCREASED', '#/minProperties', true]],
    forward: [['MIN_PROPERTIES_DECREASED', '#/minProperties', false]],
    backWitness: { a: 'x' },
  },
  {
    name: 'property dependency added',
    old: obj({ a: S, b: S }), new: obj({ a: S, b: S }, { dependencies: { a: ['b'] } }),
    backward: [['DEPENDENCY_ARRAY_ADDED', '#/dependencies/a', true]],
    forward: [['DEPENDENCY_ARRAY_REMOVED', '#/dependencies/a', false]],
    backWitness: { a: 'x' },
  },
  {
    name: 'property dependency extended',
    old: obj({ a: S }, { dependencies: { a: ['b'] } }), new: obj({ a: S }, { dependencies: { a: ['b', 'c'] } }),
    backward: [['DEPENDENCY_ARRAY_EXTENDED', '#/dependencies/a', true]],
    forward: [['DEPENDENCY_ARRAY_NARROWED', '#/dependencies/a', false]],
    backWitness: { a: 'x', b: 1 },
  },
  {
    name: 'type changed',
    old: obj({ a: S }), new: obj({ a: I }),
    backward: [['TYPE_CHANGED', '#/properties/a', true]],
    forward: [['TYPE_CHANGED', '#/properties/a', true]],
    backWitness: { a: 'x' },
    fwdWitness: { a: 1 },
  },
  {
    name: 'type widened integer → number',
    old: I, new: { type: 'number' },
    backward: [['TYPE_EXTENDED', '#', false]],
    forward: [['TYPE_NARROWED', '#', true]],
    fwdWitness: 1.5,
  },
  {
    name: 'single type → union with null (sum type extended)',
    old: S, new: { type: ['string', 'null'] },
    backward: [['SUM_TYPE_EXTENDED', '#', false]],
    forward: [['TYPE_CHANGED', '#', true]],
    fwdWitness: null,
  },
  {
    name: 'enum extended',
    old: { enum: ['LIMIT', 'MARKET'] }, new: { enum: ['LIMIT', 'MARKET', 'STOP'] },
    backward: [['ENUM_ARRAY_EXTENDED', '#/enum', false]],
    forward: [['ENUM_ARRAY_NARROWED', '#/enum', true]],
    fwdWitness: 'STOP',
  },
  {
    name: 'enum changed',
    old: { enum: ['LIMIT', 'MARKET'] }, new: { enum: ['LIMIT', 'STOP'] },
    backward: [['ENUM_ARRAY_CHANGED', '#/enum', true]],
    forward: [['ENUM_ARRAY_CHANGED', '#/enum', true]],
    backWitness: 'MARKET',
    fwdWitness: 'STOP',
  },
  {
    name: 'maxLength added',
    old: S, new: { type: 'string', maxLength: 3 },
    backward: [['MAX_LENGTH_ADDED', '#/maxLength', true]],
    forward: [['MAX_LENGTH_REMOVED', '#/maxLength', false]],
    backWitness: 'abcd',
  },
  {
    name: 'maxLength decreased',
    old: { type: 'string', maxLength: 10 }, new: { type: 'string', maxLength: 3 },
    backward: [['MAX_LENGTH_DECREASED', '#/maxLength', true]],
    forward: [['MAX_LENGTH_INCREASED', '#/maxLength', false]],
    backWitness: 'abcdef',
  },
  {
    name: 'minLength increased',
    old: { type: 'string', minLength: 1 }, new: { type: 'string', minLength: 3 },
    backward: [['MIN_LENGTH_INCREASED', '#/minLength', true]],
    forward: [['MIN_LENGTH_DECREASED', '#/minLength', false]],
    backWitness: 'a',
  },
  {
    name: 'minLength added',
    old: S, new: { type: 'string', minLength: 2 },
    backward: [['MIN_LENGTH_ADDED', '#/minLength', true]],
    forward: [['MIN_LENGTH_REMOVED', '#/minLength', false]],
    backWitness: '',
  },
  {
    name: 'pattern added',
    old: S, new: { type: 'string', pattern: '^ord-' },
    backward: [['PATTERN_ADDED', '#/pattern', true]],
    forward: [['PATTERN_REMOVED', '#/pattern', false]],
    backWitness: 'x',
  },
  {
    name: 'pattern changed',
    old: { type: 'string', pattern: '^ord-' }, new: { type: 'string', pattern: '^o-' },
    backward: [['PATTERN_CHANGED', '#/pattern', true]],
    forward: [['PATTERN_CHANGED', '#/pattern', true]],
    backWitness: 'ord-1',
    fwdWitness: 'o-1',
  },
  {
    name: 'maximum decreased',
    old: { type: 'number', maximum: 100 }, new: { type: 'number', maximum: 10 },
    backward: [['MAXIMUM_DECREASED', '#/maximum', true]],
    forward: [['MAXIMUM_INCREASED', '#/maximum', false]],
    backWitness: 50,
  },
  {
    name: 'maximum added',
    old: { type: 'number' }, new: { type: 'number', maximum: 10 },
    backward: [['MAXIMUM_ADDED', '#/maximum', true]],
    forward: [['MAXIMUM_REMOVED', '#/maximum', false]],
    backWitness: 11,
  },
  {
    name: 'minimum increased',
    old: { type: 'number', minimum: 0 }, new: { type: 'number', minimum: 1 },
    backward: [['MINIMUM_INCREASED', '#/minimum', true]],
    forward: [['MINIMUM_DECREASED', '#/minimum', false]],
    backWitness: 0.5,
  },
  {
    name: 'minimum added',
    old: I, new: { type: 'integer', minimum: 1 },
    backward: [['MINIMUM_ADDED', '#/minimum', true]],
    forward: [['MINIMUM_REMOVED', '#/minimum', false]],
    backWitness: 0,
  },
  {
    name: 'exclusiveMaximum decreased',
    old: { type: 'number', exclusiveMaximum: 100 }, new: { type: 'number', exclusiveMaximum: 10 },
    backward: [['EXCLUSIVE_MAXIMUM_DECREASED', '#/exclusiveMaximum', true]],
    forward: [['EXCLUSIVE_MAXIMUM_INCREASED', '#/exclusiveMaximum', false]],
    backWitness: 50,
  },
  {
    name: 'exclusiveMinimum added',
    old: { type: 'number' }, new: { type: 'number', exclusiveMinimum: 0 },
    backward: [['EXCLUSIVE_MINIMUM_ADDED', '#/exclusiveMinimum', true]],
    forward: [['EXCLUSIVE_MINIMUM_REMOVED', '#/exclusiveMinimum', false]],
    backWitness: 0,
  },
  {
    name: 'exclusiveMinimum increased',
    old: { type: 'number', exclusiveMinimum: 0 }, new: { type: 'number', exclusiveMinimum: 5 },
    backward: [['EXCLUSIVE_MINIMUM_INCREASED', '#/exclusiveMinimum', true]],
    forward: [['EXCLUSIVE_MINIMUM_DECREASED', '#/exclusiveMinimum', false]],
    backWitness: 1,
  },
  {
    name: 'multipleOf expanded (5 → 10)',
    old: { type: 'integer', multipleOf: 5 }, new: { type: 'integer', multipleOf: 10 },
    backward: [['MULTIPLE_OF_EXPANDED', '#/multipleOf', true]],
    forward: [['MULTIPLE_OF_REDUCED', '#/multipleOf', false]],
    backWitness: 15,
  },
  {
    name: 'multipleOf changed (4 → 6)',
    old: { type: 'integer', multipleOf: 4 }, new: { type: 'integer', multipleOf: 6 },
    backward: [['MULTIPLE_OF_CHANGED', '#/multipleOf', true]],
    forward: [['MULTIPLE_OF_CHANGED', '#/multipleOf', true]],
    backWitness: 4,
    fwdWitness: 6,
  },
  {
    name: 'multipleOf added',
    old: I, new: { type: 'integer', multipleOf: 100 },
    backward: [['MULTIPLE_OF_ADDED', '#/multipleOf', true]],
    forward: [['MULTIPLE_OF_REMOVED', '#/multipleOf', false]],
    backWitness: 7,
  },
  {
    name: 'array items type changed',
    old: { type: 'array', items: S }, new: { type: 'array', items: I },
    backward: [['TYPE_CHANGED', '#/items', true]],
    forward: [['TYPE_CHANGED', '#/items', true]],
    backWitness: ['x'],
    fwdWitness: [1],
  },
  {
    name: 'array items schema added',
    old: { type: 'array' }, new: { type: 'array', items: S },
    backward: [['SCHEMA_ADDED', '#/items', true]],
    forward: [['SCHEMA_REMOVED', '#/items', false]],
    backWitness: [1],
  },
  {
    name: 'maxItems decreased',
    old: { type: 'array', maxItems: 10 }, new: { type: 'array', maxItems: 2 },
    backward: [['MAX_ITEMS_DECREASED', '#/maxItems', true]],
    forward: [['MAX_ITEMS_INCREASED', '#/maxItems', false]],
    backWitness: [1, 2, 3],
  },
  {
    name: 'minItems added',
    old: { type: 'array' }, new: { type: 'array', minItems: 1 },
    backward: [['MIN_ITEMS_ADDED', '#/minItems', true]],
    forward: [['MIN_ITEMS_REMOVED', '#/minItems', false]],
    backWitness: [],
  },
  {
    name: 'uniqueItems added',
    old: { type: 'array' }, new: { type: 'array', uniqueItems: true },
    backward: [['UNIQUE_ITEMS_ADDED', '#/uniqueItems', true]],
    forward: [['UNIQUE_ITEMS_REMOVED', '#/uniqueItems', false]],
    backWitness: [1, 1],
  },
  {
    name: 'tuple item added to an open tuple (draft-07 items array)',
    old: { type: 'array', items: [S] }, new: { type: 'array', items: [S, I] },
    backward: [['ITEM_ADDED_TO_OPEN_CONTENT_MODEL', '#/items/1', true]],
    forward: [['ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL', '#/items/1', false]],
    backWitness: ['a', 'b'],
  },
  {
    name: 'tuple item added to a closed tuple',
    old: { type: 'array', items: [S], additionalItems: false }, new: { type: 'array', items: [S, I], additionalItems: false },
    backward: [['ITEM_ADDED_TO_CLOSED_CONTENT_MODEL', '#/items/1', false]],
    forward: [['ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL', '#/items/1', true]],
    fwdWitness: ['a', 1],
  },
  {
    name: 'tuple closed (2020-12 prefixItems, items: false)',
    old: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'array', prefixItems: [S] },
    new: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'array', prefixItems: [S], items: false },
    // Confluent's checker names the place of extra items additionalItems in both drafts.
    backward: [['ADDITIONAL_ITEMS_REMOVED', '#/additionalItems', true]],
    forward: [['ADDITIONAL_ITEMS_ADDED', '#/additionalItems', false]],
    backWitness: ['a', 'b'],
  },
  {
    name: 'oneOf alternative added',
    old: { oneOf: [S, I] }, new: { oneOf: [S, I, { type: 'boolean' }] },
    backward: [['SUM_TYPE_EXTENDED', '#', false]],
    forward: [['SUM_TYPE_NARROWED', '#', true]],
    fwdWitness: true,
  },
  {
    name: 'anyOf alternatives replaced',
    old: { anyOf: [S, I] }, new: { anyOf: [S, { type: 'boolean' }] },
    backward: [['COMBINED_TYPE_SUBSCHEMAS_CHANGED', '#', true]],
    forward: [['COMBINED_TYPE_SUBSCHEMAS_CHANGED', '#', true]],
    backWitness: 1,
    fwdWitness: true,
  },
  {
    name: 'allOf loses a subschema',
    old: { allOf: [obj({ a: I }, { required: ['a'] }), { type: 'object', required: ['b'] }] },
    new: { allOf: [obj({ a: I }, { required: ['a'] })] },
    backward: [['PRODUCT_TYPE_NARROWED', '#', false]],
    forward: [['PRODUCT_TYPE_EXTENDED', '#', true]],
    fwdWitness: { a: 1 },
  },
  {
    name: 'oneOf → anyOf (combined type extended)',
    old: { oneOf: [S, I] }, new: { anyOf: [S, I] },
    backward: [['COMBINED_TYPE_EXTENDED', '#', false]],
    forward: [['COMBINED_TYPE_CHANGED', '#', true]],
    // oneOf rejects a value matching both alternatives; anyOf accepts it.
    // (strings and integers never overlap, so no witness is possible for this pair.)
  },
  {
    name: 'not excludes more',
    old: { not: S }, new: { not: { type: ['string', 'integer'] } },
    backward: [['NOT_TYPE_EXTENDED', '#/not', true]],
    forward: [['NOT_TYPE_NARROWED', '#/not', false]],
    backWitness: 1,
  },
  {
    name: 'annotations only (title, description, $id)',
    old: { $id: 'https://example.com/a.json', title: 'A', description: 'old', type: 'string' }, new: { $id: 'https://example.com/b.json', title: 'B', description: 'new', type: 'string' },
    backward: [['ID_CHANGED', '#', false], ['TITLE_CHANGED', '#', false], ['DESCRIPTION_CHANGED', '#', false]],
    forward: [['ID_CHANGED', '#', false], ['TITLE_CHANGED', '#', false], ['DESCRIPTION_CHANGED', '#', false]],
  },
  {
    name: 'a change behind a local $ref',
    old: { definitions: { Id: { type: 'string', maxLength: 10 } }, ...obj({ a: { $ref: '#/definitions/Id' } }) as object },
    new: { definitions: { Id: { type: 'string', maxLength: 4 } }, ...obj({ a: { $ref: '#/definitions/Id' } }) as object },
    backward: [['MAX_LENGTH_DECREASED', '#/properties/a/maxLength', true]],
    forward: [['MAX_LENGTH_INCREASED', '#/properties/a/maxLength', false]],
    backWitness: { a: 'abcdefg' },
  },
  {
    name: 'minContains added (2020-12)',
    old: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'array', contains: S }, new: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'array', contains: S, minContains: 2 },
    backward: [['MIN_CONTAINS_ADDED', '#/minContains', true]],
    forward: [['MIN_CONTAINS_REMOVED', '#/minContains', false]],
    backWitness: ['a', 1],
  },
  {
    name: 'maxContains decreased (2020-12)',
    old: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'array', contains: S, maxContains: 3 }, new: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'array', contains: S, maxContains: 1 },
    backward: [['MAX_CONTAINS_DECREASED', '#/maxContains', true]],
    forward: [['MAX_CONTAINS_INCREASED', '#/maxContains', false]],
    backWitness: ['a', 'b'],
  },
  {
    name: 'unevaluatedItems: false added to an open tuple (2020-12)',
    old: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'array', prefixItems: [S] }, new: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'array', prefixItems: [S], unevaluatedItems: false },
    backward: [['UNEVALUATED_ITEMS_REMOVED', '#/unevaluatedItems', true]],
    forward: [['UNEVALUATED_ITEMS_ADDED', '#/unevaluatedItems', false]],
    backWitness: ['a', 'b'],
  },
  {
    name: 'a tuple item added under unevaluatedItems (a partially open content model, 2020-12)',
    old: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'array', prefixItems: [S], unevaluatedItems: I },
    new: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'array', prefixItems: [S, { type: 'integer', minimum: 0 }], unevaluatedItems: I },
    backward: [['MINIMUM_ADDED', '#/items/1/minimum', true], ['ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', '#/items/1', true]],
    forward: [['MINIMUM_REMOVED', '#/items/1/minimum', false], ['ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', '#/items/1', false]],
    backWitness: ['a', -1],
  },
  {
    name: 'list items became a tuple (draft-07)',
    old: { type: 'array', items: S }, new: { type: 'array', items: [S] },
    backward: [['SCHEMA_REMOVED', '#/items', false], ['ITEM_ADDED_TO_OPEN_CONTENT_MODEL', '#/items/0', true]],
    forward: [['SCHEMA_ADDED', '#/items', true], ['ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL', '#/items/0', false]],
    fwdWitness: ['a', 1],
    noWitness: 'backward: Confluent calls an item added to an open tuple breaking, though every all-string array still validates',
  },
  {
    name: 'allOf of two parts became one of them',
    old: { allOf: [obj({ a: S }), obj({ b: I })] }, new: obj({ a: S }),
    backward: [['PRODUCT_TYPE_NARROWED', '#', false]],
    forward: [['TYPE_CHANGED', '#', true]],
    fwdWitness: { a: 'x', b: 'not an integer' },
  },
  {
    name: 'optional property added to a model closed by unevaluatedProperties: false (2020-12)',
    old: { $schema: 'https://json-schema.org/draft/2020-12/schema', ...obj({ a: S }, { unevaluatedProperties: false }) as object },
    new: { $schema: 'https://json-schema.org/draft/2020-12/schema', ...obj({ a: S, b: I }, { unevaluatedProperties: false }) as object },
    backward: [['OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL', '#/properties/b', false]],
    forward: [['PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL', '#/properties/b', true]],
    fwdWitness: { a: 'x', b: 1 },
  },
  {
    name: 'property added under a partially open model (unevaluatedProperties: a schema, 2020-12)',
    old: { $schema: 'https://json-schema.org/draft/2020-12/schema', ...obj({ a: S }, { unevaluatedProperties: I }) as object },
    new: { $schema: 'https://json-schema.org/draft/2020-12/schema', ...obj({ a: S, b: S }, { unevaluatedProperties: I }) as object },
    backward: [['TYPE_CHANGED', '#/properties/b', true], ['PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', '#/properties/b', true], ['OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL', '#/properties/b', false]],
    forward: [['TYPE_CHANGED', '#/properties/b', true], ['PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', '#/properties/b', true]],
    backWitness: { a: 'x', b: 1 },
    fwdWitness: { a: 'x', b: 'y' },
  },
  {
    name: 'unevaluatedProperties: false added (2020-12)',
    old: { $schema: 'https://json-schema.org/draft/2020-12/schema', ...obj({ a: S }) as object }, new: { $schema: 'https://json-schema.org/draft/2020-12/schema', ...obj({ a: S }, { unevaluatedProperties: false }) as object },
    backward: [['UNEVALUATED_PROPERTIES_REMOVED', '#/unevaluatedProperties', true]],
    forward: [['UNEVALUATED_PROPERTIES_ADDED', '#/unevaluatedProperties', false]],
    backWitness: { a: 'x', z: 1 },
  },
  {
    name: 'a value removed from an enum with a type (everit reads it as allOf [type, enum])',
    old: { type: 'string', enum: ['BUY', 'SELL', 'SHORT'] }, new: { type: 'string', enum: ['BUY', 'SELL'] },
    backward: [['COMBINED_TYPE_SUBSCHEMAS_CHANGED', '#', true]],
    forward: [['ENUM_ARRAY_EXTENDED', '#/allOf/1/enum', false]],
    backWitness: 'SHORT',
  },
  {
    name: 'an enum given a type (a subschema added to the implicit allOf)',
    old: { enum: ['BUY', 'SELL'] }, new: { type: 'string', enum: ['BUY', 'SELL'] },
    backward: [['TYPE_CHANGED', '#', true]],
    forward: [['PRODUCT_TYPE_NARROWED', '#', false]],
    noWitness: 'backward: every old value is a string, but Confluent compares an enum with an allOf as another type',
  },
];

const okOf = (expects: Expect[]) => expects.every(([, , breaking]) => !breaking);

/** What each mode requires, from Confluent's definitions. */
function expectedCompatible(c: Case, mode: CompatMode): boolean {
  if (mode === 'NONE') return true;
  if (mode.startsWith('BACKWARD')) return okOf(c.backward);
  if (mode.startsWith('FORWARD')) return okOf(c.forward);
  return okOf(c.backward) && okOf(c.forward);
}

function validator(schema: JsonSchema) {
  const is2020 = typeof schema === 'object' && String(schema.$schema ?? '').includes('2020-12');
  const ajv = is2020 ? new Ajv2020({ strict: false }) : new Ajv({ strict: false });
  return ajv.compile(schema as object);
}

describe('schema compat: every change kind in every mode', () => {
  for (const c of CASES) {
    describe(c.name, () => {
      it('names each difference by kind and path, and judges it', () => {
        const back = diffSchemas(c.old, c.new);
        const fwd = diffSchemas(c.new, c.old);
        expect(back.map((d) => [d.type, d.path]).sort()).toEqual(c.backward.map(([t, p]) => [t, p]).sort());
        expect(fwd.map((d) => [d.type, d.path]).sort()).toEqual(c.forward.map(([t, p]) => [t, p]).sort());
      });

      it('a breaking reading has a witness that real validation rejects', () => {
        const oldV = validator(c.old);
        const newV = validator(c.new);
        if (!okOf(c.backward) && 'backWitness' in c) {
          expect(oldV(c.backWitness)).toBe(true);
          expect(newV(c.backWitness)).toBe(false);
        }
        if (!okOf(c.forward) && 'fwdWitness' in c) {
          expect(newV(c.fwdWitness)).toBe(true);
          expect(oldV(c.fwdWitness)).toBe(false);
        }
        // A case labelled breaking must say how it breaks (except where no value can show it).
        if (!okOf(c.backward) && !c.name.includes('→ anyOf') && !c.noWitness?.startsWith('backward')) expect('backWitness' in c).toBe(true);
        if (!okOf(c.forward) && !c.name.includes('→ anyOf') && !c.noWitness?.startsWith('forward')) expect('fwdWitness' in c).toBe(true);
      });

      for (const mode of MODES) {
        it(`${mode}`, () => {
          const result = checkPair(c.old, c.new, mode);
          expect(result.compatible).toBe(expectedCompatible(c, mode));
          const wanted: [string, string, string, boolean][] = [];
          if (mode === 'NONE' || mode.startsWith('BACKWARD') || mode.startsWith('FULL')) for (const [t, p, b] of c.backward) wanted.push(['backward', t, p, mode !== 'NONE' && b]);
          if (mode.startsWith('FORWARD') || mode.startsWith('FULL')) for (const [t, p, b] of c.forward) wanted.push(['forward', t, p, b]);
          expect(result.changes.map((x) => [x.direction, x.type, x.path, x.breaking]).sort()).toEqual(wanted.sort());
          for (const change of result.changes) expect(change.reason.length).toBeGreaterThan(10);
        });
      }
    });
  }

  it('a recursive schema ($ref to itself) terminates and still finds the change inside', () => {
    const node = (max: number): JsonSchema => ({
      definitions: { N: { type: 'object', properties: { name: { type: 'string', maxLength: max }, next: { $ref: '#/definitions/N' } } } },
      $ref: '#/definitions/N',
    });
    const diffs = diffSchemas(node(10), node(5));
    expect(diffs).toContainEqual({ type: 'MAX_LENGTH_DECREASED', path: '#/properties/name/maxLength' });
    expect(checkPair(node(10), node(5), 'BACKWARD').compatible).toBe(false);
    expect(validator(node(10))({ name: 'abcdefgh' })).toBe(true);
    expect(validator(node(5))({ name: 'abcdefgh' })).toBe(false);
  });

  it('identical schemas have no differences', () => {
    for (const c of CASES) expect(diffSchemas(c.old, c.old)).toEqual([]);
  });

  it('reasons name the reading: old/new swap between backward and forward', () => {
    const result = checkPair(obj({ a: S }), obj({ a: S }, closed), 'FULL');
    const back = result.changes.find((c) => c.direction === 'backward');
    expect(back?.reason).toMatch(/old events/);
  });
});

describe('schema compat: transitive modes across three versions', () => {
  // v1 → v2 adds a required property with a default (compatible), v2 → v3 drops the default
  // (an annotation change, compatible): each step passes, but v3 cannot read v1 events.
  const v1 = obj({ a: S }, closed);
  const v2 = obj({ a: S, b: { type: 'integer', default: 0 } }, { ...closed, required: ['b'] });
  const v3 = obj({ a: S, b: I }, { ...closed, required: ['b'] });
  const versions = [{ version: 1, schema: v1 }, { version: 2, schema: v2 }, { version: 3, schema: v3 }];

  it('BACKWARD checks consecutive pairs only, and passes', () => {
    const checks = checkVersions(versions, 'BACKWARD');
    expect(checks.map((c) => [c.version, c.against])).toEqual([[2, 1], [3, 2]]);
    expect(checks.every((c) => c.compatible)).toBe(true);
  });

  it('BACKWARD_TRANSITIVE checks every older version and fails on v3 against v1', () => {
    const checks = checkVersions(versions, 'BACKWARD_TRANSITIVE');
    expect(checks.map((c) => [c.version, c.against]).sort()).toEqual([[2, 1], [3, 1], [3, 2]]);
    const failed = checks.filter((c) => !c.compatible);
    expect(failed.map((c) => [c.version, c.against])).toEqual([[3, 1]]);
    expect(failed[0]!.changes.filter((c) => c.breaking).map((c) => c.type)).toEqual(['REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL']);
    // Real validation agrees: a v1 event is rejected by v3.
    expect(validator(v1)({ a: 'x' })).toBe(true);
    expect(validator(v3)({ a: 'x' })).toBe(false);
  });

  it('FORWARD_TRANSITIVE: the mirror image (versions in reverse order)', () => {
    const reversed = [{ version: 1, schema: v3 }, { version: 2, schema: v2 }, { version: 3, schema: v1 }];
    expect(checkVersions(reversed, 'FORWARD').every((c) => c.compatible)).toBe(true);
    const failed = checkVersions(reversed, 'FORWARD_TRANSITIVE').filter((c) => !c.compatible);
    expect(failed.map((c) => [c.version, c.against])).toEqual([[3, 1]]);
  });

  it('FULL_TRANSITIVE fails where FULL already fails, and NONE never does', () => {
    // v2 adds a property to a closed model: the forward reading (v1 reads v2) breaks.
    expect(checkVersions(versions, 'FULL').some((c) => !c.compatible)).toBe(true);
    expect(checkVersions(versions, 'FULL_TRANSITIVE').filter((c) => !c.compatible).length).toBeGreaterThanOrEqual(2);
    expect(checkVersions(versions, 'NONE').every((c) => c.compatible)).toBe(true);
  });
});

describe('schema compat: the order Confluent reports an array\'s differences in', () => {
  it('items, the tuple positions, additionalItems, unevaluatedItems, then maxItems, minItems, uniqueItems, maxContains, minContains', () => {
    const d = 'https://json-schema.org/draft/2020-12/schema';
    const old = { $schema: d, type: 'array', prefixItems: [S, S], contains: S, maxItems: 5 };
    const next = { $schema: d, type: 'array', prefixItems: [I], unevaluatedItems: false, contains: S, maxItems: 4, minItems: 1, uniqueItems: true, maxContains: 2, minContains: 1 };
    expect(diffSchemas(old, next).map((x) => x.path)).toEqual([
      '#/items/0', '#/items/1', '#/unevaluatedItems', '#/maxItems', '#/minItems', '#/uniqueItems', '#/maxContains', '#/minContains',
    ]);
  });
});

describe('schema compat: Confluent\'s lenient rule set', () => {
  it('lets through a property added to an open content model and additionalProperties narrowed, which strict refuses; the differences named are the same', () => {
    const open = obj({ a: S });
    const added = obj({ a: S, b: I });
    expect(checkPair(open, added, 'BACKWARD').compatible).toBe(false);
    const lenient = checkPair(open, added, 'BACKWARD', 'lenient');
    expect(lenient.compatible).toBe(true);
    expect(lenient.changes.map((c) => c.type)).toEqual(checkPair(open, added, 'BACKWARD').changes.map((c) => c.type));
    const narrowed = obj({ a: S }, { additionalProperties: S });
    expect(checkPair(open, narrowed, 'BACKWARD').compatible).toBe(false);
    expect(checkPair(open, narrowed, 'BACKWARD', 'lenient').compatible).toBe(true);
    // A change both sets refuse stays refused.
    expect(checkPair(obj({ a: S }), obj({ a: I }), 'BACKWARD', 'lenient').compatible).toBe(false);
  });
});
