/**
 * JSON Schema compatibility, with the semantics of Confluent Schema Registry's JSON Schema
 * checker (io.confluent.kafka.schemaregistry.json.diff): diff a *writer* schema (the one the
 * data was written with) against a *reader* schema (the one that must accept it); every
 * difference has a kind (Confluent's names), a JSON-pointer path and a compatible/breaking
 * verdict; a change is breaking when it is not in Confluent's set of compatible changes.
 *
 * BACKWARD: the new schema reads data written with the old one (diff old → new).
 * FORWARD:  the old schema reads data written with the new one (diff new → old).
 * FULL:     both. *_TRANSITIVE: against every older version, not only the previous one.
 * NONE:     always compatible (the differences are still listed, none breaking).
 *
 * Pure logic: no I/O. Schemas are plain JSON values (objects or booleans).
 */

export type JsonSchema = boolean | { [key: string]: unknown };

export const MODES = ['BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE', 'NONE'] as const;
export type CompatMode = (typeof MODES)[number];

/** One difference found diffing a writer schema against a reader schema. */
export interface Difference {
  type: DifferenceType;
  /** JSON pointer into the schemas, e.g. "#/properties/qty/maximum". */
  path: string;
}

export type Direction = 'backward' | 'forward';

export interface Change extends Difference {
  breaking: boolean;
  /** Which reading was checked: backward = the new schema reads old data, forward = the reverse. */
  direction: Direction;
  /** Plain words: what changed and why it does or does not break readers. */
  reason: string;
}

export interface CompatResult {
  compatible: boolean;
  mode: CompatMode;
  changes: Change[];
}

// The kinds of difference, named as Confluent names them. The reason is written for a writer
// schema W (whose data is read) and a reader schema R; {W}/{R} become "old"/"new".
const REASONS = {
  ID_CHANGED: [true, '$id changed: annotation only, validation is unaffected'],
  TITLE_CHANGED: [true, 'title changed: annotation only'],
  DESCRIPTION_CHANGED: [true, 'description changed: annotation only'],
  DEFAULT_CHANGED: [true, 'default changed: defaults do not take part in validation'],
  SCHEMA_ADDED: [false, 'a schema appears in the {R} version where the {W} one had none; data the {W} schema allowed freely may now be rejected'],
  SCHEMA_REMOVED: [true, 'the {R} schema no longer constrains this place, so it accepts whatever the {W} one did'],
  TYPE_CHANGED: [false, 'the type changed: values valid under the {W} schema are of another type than the {R} schema accepts'],
  TYPE_EXTENDED: [true, 'the type was widened (integer → number): every {W} value is still accepted'],
  TYPE_NARROWED: [false, 'the type was narrowed (number → integer): {W} values with a fraction are rejected by the {R} schema'],

  MAX_LENGTH_ADDED: [false, 'maxLength added: longer strings the {W} schema allowed are rejected by the {R} schema'],
  MAX_LENGTH_REMOVED: [true, 'maxLength removed: the {R} schema accepts strings of any length'],
  MAX_LENGTH_INCREASED: [true, 'maxLength increased: every string the {W} schema allowed still fits'],
  MAX_LENGTH_DECREASED: [false, 'maxLength decreased: strings between the two limits are rejected by the {R} schema'],
  MIN_LENGTH_ADDED: [false, 'minLength added: shorter strings the {W} schema allowed are rejected by the {R} schema'],
  MIN_LENGTH_REMOVED: [true, 'minLength removed: the {R} schema accepts strings of any length'],
  MIN_LENGTH_INCREASED: [false, 'minLength increased: strings between the two limits are rejected by the {R} schema'],
  MIN_LENGTH_DECREASED: [true, 'minLength decreased: every string the {W} schema allowed is still long enough'],
  PATTERN_ADDED: [false, 'pattern added: strings the {W} schema allowed may not match it'],
  PATTERN_REMOVED: [true, 'pattern removed: the {R} schema accepts any string'],
  PATTERN_CHANGED: [false, 'pattern changed: strings matching the {W} pattern may not match the {R} one'],

  MAXIMUM_ADDED: [false, 'maximum added: larger numbers the {W} schema allowed are rejected by the {R} schema'],
  MAXIMUM_REMOVED: [true, 'maximum removed: the {R} schema accepts any large number'],
  MAXIMUM_INCREASED: [true, 'maximum increased: every number the {W} schema allowed is still under it'],
  MAXIMUM_DECREASED: [false, 'maximum decreased: numbers between the two limits are rejected by the {R} schema'],
  MINIMUM_ADDED: [false, 'minimum added: smaller numbers the {W} schema allowed are rejected by the {R} schema'],
  MINIMUM_REMOVED: [true, 'minimum removed: the {R} schema accepts any small number'],
  MINIMUM_INCREASED: [false, 'minimum increased: numbers between the two limits are rejected by the {R} schema'],
  MINIMUM_DECREASED: [true, 'minimum decreased: every number the {W} schema allowed is still above it'],
  EXCLUSIVE_MAXIMUM_ADDED: [false, 'exclusiveMaximum added: larger numbers the {W} schema allowed are rejected by the {R} schema'],
  EXCLUSIVE_MAXIMUM_REMOVED: [true, 'exclusiveMaximum removed: the {R} schema accepts any large number'],
  EXCLUSIVE_MAXIMUM_INCREASED: [true, 'exclusiveMaximum increased: every number the {W} schema allowed is still under it'],
  EXCLUSIVE_MAXIMUM_DECREASED: [false, 'exclusiveMaximum decreased: numbers between the two limits are rejected by the {R} schema'],
  EXCLUSIVE_MINIMUM_ADDED: [false, 'exclusiveMinimum added: smaller numbers the {W} schema allowed are rejected by the {R} schema'],
  EXCLUSIVE_MINIMUM_REMOVED: [true, 'exclusiveMinimum removed: the {R} schema accepts any small number'],
  EXCLUSIVE_MINIMUM_INCREASED: [false, 'exclusiveMinimum increased: numbers between the two limits are rejected by the {R} schema'],
  EXCLUSIVE_MINIMUM_DECREASED: [true, 'exclusiveMinimum decreased: every number the {W} schema allowed is still above it'],
  MULTIPLE_OF_ADDED: [false, 'multipleOf added: numbers the {W} schema allowed may not be multiples of it'],
  MULTIPLE_OF_REMOVED: [true, 'multipleOf removed: the {R} schema accepts any number'],
  MULTIPLE_OF_EXPANDED: [false, 'multipleOf expanded (the {R} one is a multiple of the {W} one): some {W} values are not multiples of it'],
  MULTIPLE_OF_REDUCED: [true, 'multipleOf reduced (the {R} one divides the {W} one): every {W} value is still a multiple'],
  MULTIPLE_OF_CHANGED: [false, 'multipleOf changed to a value that does not divide the {W} one: some {W} values are rejected'],

  REQUIRED_ATTRIBUTE_ADDED: [false, 'the property became required: {W} events without it are rejected by the {R} schema'],
  REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED: [true, 'the property became required but has a default, which readers fill in for {W} events without it'],
  REQUIRED_ATTRIBUTE_REMOVED: [true, 'the property is no longer required: the {R} schema accepts events with or without it'],
  PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL: [false, 'property added while the {W} schema was open (additionalProperties allowed): {W} events may already carry a property of that name with any value, which the {R} schema now constrains'],
  PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL: [true, 'property added with an empty schema ({}) to an open content model: it accepts any value, as before'],
  REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL: [false, 'required property added: {W} events never have it and are rejected by the {R} schema'],
  REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL: [true, 'required property added with a default to a closed content model: readers fill it in for {W} events'],
  OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL: [true, 'optional property added to a closed content model: {W} events cannot have it, so nothing they carry is newly constrained'],
  PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL: [true, 'property removed, and the {R} schema is open: it accepts the property as an additional one'],
  PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL: [false, 'property removed while the {R} schema is closed (additionalProperties: false): {W} events that carry it are rejected'],
  PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL: [true, 'the removed property had the schema false, so no {W} event can carry it'],
  PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL: [true, 'property added, and the {W} schema already constrained it as strictly through patternProperties/additionalProperties'],
  PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL: [false, 'property added with a schema stricter than what the {W} patternProperties/additionalProperties allowed for that name'],
  PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL: [true, 'property removed, and the {R} patternProperties/additionalProperties still accept its {W} values'],
  PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL: [false, 'property removed, and the {R} patternProperties/additionalProperties reject some of its {W} values'],
  MAX_PROPERTIES_ADDED: [false, 'maxProperties added: {W} events with more properties are rejected'],
  MAX_PROPERTIES_REMOVED: [true, 'maxProperties removed'],
  MAX_PROPERTIES_INCREASED: [true, 'maxProperties increased'],
  MAX_PROPERTIES_DECREASED: [false, 'maxProperties decreased: {W} events between the two limits are rejected'],
  MIN_PROPERTIES_ADDED: [false, 'minProperties added: {W} events with fewer properties are rejected'],
  MIN_PROPERTIES_REMOVED: [true, 'minProperties removed'],
  MIN_PROPERTIES_INCREASED: [false, 'minProperties increased: {W} events between the two limits are rejected'],
  MIN_PROPERTIES_DECREASED: [true, 'minProperties decreased'],
  ADDITIONAL_PROPERTIES_ADDED: [true, 'additional properties are now allowed: the {R} schema accepts more'],
  ADDITIONAL_PROPERTIES_REMOVED: [false, 'additional properties are no longer allowed: {W} events with extra properties are rejected'],
  ADDITIONAL_PROPERTIES_EXTENDED: [true, 'the schema of additional properties was dropped: any extra property is accepted'],
  ADDITIONAL_PROPERTIES_NARROWED: [false, 'additional properties now need to match a schema: {W} extras of any value may not'],
  DEPENDENCY_ARRAY_ADDED: [false, 'a property dependency was added: {W} events may lack the properties it asks for'],
  DEPENDENCY_ARRAY_REMOVED: [true, 'a property dependency was removed'],
  DEPENDENCY_ARRAY_EXTENDED: [false, 'a property dependency asks for more properties: {W} events may lack them'],
  DEPENDENCY_ARRAY_NARROWED: [true, 'a property dependency asks for fewer properties'],
  DEPENDENCY_ARRAY_CHANGED: [false, 'a property dependency asks for other properties: {W} events may lack them'],
  DEPENDENCY_SCHEMA_ADDED: [false, 'a schema dependency was added: {W} events may not satisfy it'],
  DEPENDENCY_SCHEMA_REMOVED: [true, 'a schema dependency was removed'],

  MAX_ITEMS_ADDED: [false, 'maxItems added: longer {W} arrays are rejected'],
  MAX_ITEMS_REMOVED: [true, 'maxItems removed'],
  MAX_ITEMS_INCREASED: [true, 'maxItems increased'],
  MAX_ITEMS_DECREASED: [false, 'maxItems decreased: {W} arrays between the two limits are rejected'],
  MIN_ITEMS_ADDED: [false, 'minItems added: shorter {W} arrays are rejected'],
  MIN_ITEMS_REMOVED: [true, 'minItems removed'],
  MIN_ITEMS_INCREASED: [false, 'minItems increased: {W} arrays between the two limits are rejected'],
  MIN_ITEMS_DECREASED: [true, 'minItems decreased'],
  UNIQUE_ITEMS_ADDED: [false, 'uniqueItems added: {W} arrays with repeated items are rejected'],
  UNIQUE_ITEMS_REMOVED: [true, 'uniqueItems removed'],
  ADDITIONAL_ITEMS_ADDED: [true, 'additional items are now allowed'],
  ADDITIONAL_ITEMS_REMOVED: [false, 'additional items are no longer allowed: longer {W} arrays are rejected'],
  ADDITIONAL_ITEMS_EXTENDED: [true, 'the schema of additional items was dropped: any extra item is accepted'],
  ADDITIONAL_ITEMS_NARROWED: [false, 'additional items now need to match a schema'],
  UNEVALUATED_PROPERTIES_ADDED: [true, 'unevaluatedProperties: false was dropped or relaxed: properties no other keyword evaluates are now allowed'],
  UNEVALUATED_PROPERTIES_REMOVED: [false, 'unevaluatedProperties: false was added: {W} objects with properties no other keyword evaluates are rejected'],
  UNEVALUATED_PROPERTIES_EXTENDED: [true, 'the schema of unevaluated properties was dropped or emptied: any such property is accepted'],
  UNEVALUATED_PROPERTIES_NARROWED: [false, 'unevaluated properties now need to match a schema'],
  UNEVALUATED_ITEMS_ADDED: [true, 'unevaluatedItems: false was dropped or relaxed: items no other keyword evaluates are now allowed'],
  UNEVALUATED_ITEMS_REMOVED: [false, 'unevaluatedItems: false was added: {W} arrays with items no other keyword evaluates are rejected'],
  UNEVALUATED_ITEMS_EXTENDED: [true, 'the schema of unevaluated items was dropped or emptied: any such item is accepted'],
  UNEVALUATED_ITEMS_NARROWED: [false, 'unevaluated items now need to match a schema'],
  MAX_CONTAINS_ADDED: [false, 'maxContains added: {W} arrays with more matching items are rejected'],
  MAX_CONTAINS_REMOVED: [true, 'maxContains removed'],
  MAX_CONTAINS_INCREASED: [true, 'maxContains increased'],
  MAX_CONTAINS_DECREASED: [false, 'maxContains decreased: {W} arrays between the two limits are rejected'],
  MIN_CONTAINS_ADDED: [false, 'minContains added: {W} arrays with fewer matching items are rejected'],
  MIN_CONTAINS_REMOVED: [true, 'minContains removed'],
  MIN_CONTAINS_INCREASED: [false, 'minContains increased: {W} arrays between the two limits are rejected'],
  MIN_CONTAINS_DECREASED: [true, 'minContains decreased'],
  ITEM_ADDED_TO_OPEN_CONTENT_MODEL: [false, 'tuple item added while the {W} tuple was open: {W} arrays may already have any value there'],
  ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL: [true, 'tuple item with an empty schema added to an open tuple: it accepts any value, as before'],
  ITEM_ADDED_TO_CLOSED_CONTENT_MODEL: [true, 'tuple item added to a closed tuple: {W} arrays cannot have it'],
  ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL: [true, 'tuple item removed, and the {R} tuple is open: it still accepts the item'],
  ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL: [false, 'tuple item removed while the {R} tuple is closed: {W} arrays that have it are rejected'],
  ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL: [true, 'the removed tuple item had the schema false, so no {W} array has it'],
  ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL: [true, 'tuple item added, as strict as the {W} additionalItems schema'],
  ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL: [false, 'tuple item added, stricter than the {W} additionalItems schema'],
  ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL: [true, 'tuple item removed, and the {R} additionalItems schema accepts its values'],
  ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL: [false, 'tuple item removed, and the {R} additionalItems schema rejects some of its values'],

  ENUM_ARRAY_EXTENDED: [true, 'enum extended: every {W} value is still allowed'],
  ENUM_ARRAY_NARROWED: [false, 'enum narrowed: {W} events with a dropped value are rejected'],
  ENUM_ARRAY_CHANGED: [false, 'enum changed: some {W} values are no longer allowed'],

  COMBINED_TYPE_EXTENDED: [true, 'the combination became looser (e.g. oneOf/allOf → anyOf): whatever matched before still matches'],
  COMBINED_TYPE_CHANGED: [false, 'the combination changed (e.g. anyOf → allOf or oneOf): {W} values may no longer match'],
  PRODUCT_TYPE_EXTENDED: [false, 'allOf has more subschemas: {W} values must now satisfy one more'],
  PRODUCT_TYPE_NARROWED: [true, 'allOf has fewer subschemas: fewer constraints'],
  SUM_TYPE_EXTENDED: [true, 'oneOf/anyOf has more alternatives (or a single type became one of several): {W} values still match one'],
  SUM_TYPE_NARROWED: [false, 'oneOf/anyOf has fewer alternatives: {W} values of a dropped alternative are rejected'],
  COMBINED_TYPE_SUBSCHEMAS_CHANGED: [false, 'the subschemas of oneOf/anyOf/allOf do not pair up compatibly: some {W} alternative has no compatible {R} counterpart'],
  NOT_TYPE_EXTENDED: [false, '"not" excludes more: some {W} values are now excluded'],
  NOT_TYPE_NARROWED: [true, '"not" excludes less: the {R} schema accepts more'],
} as const satisfies Record<string, readonly [boolean, string]>;

export type DifferenceType = keyof typeof REASONS;
export const DIFFERENCE_TYPES = Object.keys(REASONS) as DifferenceType[];

/** Is this kind of difference compatible (the reader still accepts all the writer's data)? */
export function isCompatibleChange(type: DifferenceType, rules: RuleSet = 'strict'): boolean {
  return REASONS[type][0] || (rules === 'lenient' && LENIENT_EXTRA.has(type));
}

/**
 * Confluent's two rule sets: `strict` (the default) and `lenient`, which also lets through the
 * changes of an open or partly open content model that strict refuses (a property added to an
 * open model; additionalProperties narrowed or removed; a property added or removed that the
 * partly open model does not cover).
 */
export type RuleSet = 'strict' | 'lenient';
const LENIENT_EXTRA = new Set<DifferenceType>([
  'ADDITIONAL_PROPERTIES_NARROWED', 'ADDITIONAL_PROPERTIES_REMOVED',
  'PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL', 'PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL',
  'PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', 'PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
]);

/** The plain-words reason, for a direction ('backward': writer old, reader new). */
export function reasonFor(type: DifferenceType, direction: Direction): string {
  const [w, r] = direction === 'backward' ? ['old', 'new'] : ['new', 'old'];
  return REASONS[type][1].replaceAll('{W}', w).replaceAll('{R}', r);
}

// ---------------------------------------------------------------------------------------------
// Normalised schema model (after everit, which Confluent's checker uses).

type Obj = { [key: string]: unknown };
type Kind = 'empty' | 'false' | 'string' | 'number' | 'boolean' | 'null' | 'object' | 'array' | 'enum' | 'combined' | 'not';

interface Node {
  kind: Kind;
  raw: Obj;
  /** Number: integer only. */
  integer?: boolean;
  /** Combined: the criterion and subschemas (raw). */
  criterion?: 'allOf' | 'anyOf' | 'oneOf';
  subschemas?: JsonSchema[];
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const ANNOTATIONS = new Set(['$schema', '$id', 'id', 'title', 'description', 'default', 'examples', '$comment', 'definitions', '$defs', 'format', 'readOnly', 'writeOnly', 'deprecated']);
const STRING_KEYS = ['maxLength', 'minLength', 'pattern'];
const NUMBER_KEYS = ['maximum', 'minimum', 'exclusiveMaximum', 'exclusiveMinimum', 'multipleOf'];
const OBJECT_KEYS = ['properties', 'required', 'additionalProperties', 'unevaluatedProperties', 'patternProperties', 'maxProperties', 'minProperties', 'dependencies', 'dependentRequired', 'dependentSchemas', 'propertyNames'];
const ARRAY_KEYS = ['items', 'prefixItems', 'additionalItems', 'unevaluatedItems', 'maxItems', 'minItems', 'uniqueItems', 'contains', 'minContains', 'maxContains'];
const COMBINERS = ['allOf', 'anyOf', 'oneOf'] as const;

class Resolver {
  constructor(private readonly root: JsonSchema) {}
  /** Follows local $refs (#/definitions/x, #/$defs/x, #); remote refs are left as they are. */
  resolve(schema: JsonSchema, seen = new Set<string>()): JsonSchema {
    if (!isObj(schema) || typeof schema.$ref !== 'string' || !schema.$ref.startsWith('#')) return schema;
    const ref = schema.$ref;
    if (seen.has(ref)) return true;
    seen.add(ref);
    let target: unknown = this.root;
    for (const part of ref.slice(1).split('/').filter(Boolean)) {
      const key = decodeURIComponent(part).replaceAll('~1', '/').replaceAll('~0', '~');
      target = isObj(target) ? target[key] : Array.isArray(target) ? target[Number(key)] : undefined;
    }
    if (target === undefined) return schema;
    return this.resolve(target as JsonSchema, seen);
  }
}

function subschemaOf(raw: Obj, keep: (key: string) => boolean): Obj {
  return Object.fromEntries(Object.entries(raw).filter(([k]) => keep(k)));
}

function normalize(schema: JsonSchema): Node {
  if (schema === true) return { kind: 'empty', raw: {} };
  if (schema === false) return { kind: 'false', raw: {} };
  const raw = schema;
  if (isObj(raw.not) && Object.keys(raw.not).length === 0) return { kind: 'false', raw };
  const combiners = COMBINERS.filter((c) => Array.isArray(raw[c]));
  const typed = Array.isArray(raw.type) ? (raw.type as unknown[]).filter((t): t is string => typeof t === 'string') : typeof raw.type === 'string' ? [raw.type] : [];
  const rest = Object.keys(raw).filter((k) => !ANNOTATIONS.has(k) && !(COMBINERS as readonly string[]).includes(k));
  if ('enum' in raw || 'const' in raw) {
    // everit (Confluent's loader) makes an enum beside other keywords (a type, bounds) an allOf
    // of the two: a value removed from such an enum changes the allOf's subschemas.
    const beside = rest.filter((k) => k !== 'enum' && k !== 'const');
    if (beside.length === 0 && combiners.length === 0) return { kind: 'enum', raw };
    const enumPart = subschemaOf(raw, (k) => k === 'enum' || k === 'const');
    const parts: JsonSchema[] = [subschemaOf(raw, (k) => beside.includes(k)), enumPart, ...combiners.map((c) => ({ [c]: raw[c] }) as Obj)];
    return { kind: 'combined', raw, criterion: 'allOf', subschemas: parts };
  }
  if (combiners.length > 0) {
    const criterion = combiners[0]!;
    const subs = [...(raw[criterion] as JsonSchema[])];
    // A combiner beside other keywords (or a second combiner): everit makes it allOf of the parts.
    if (rest.length > 0 || combiners.length > 1) {
      const parts: JsonSchema[] = combiners.map((c) => ({ [c]: raw[c] }) as Obj);
      if (rest.length > 0) parts.unshift(subschemaOf(raw, (k) => rest.includes(k)));
      return { kind: 'combined', raw, criterion: 'allOf', subschemas: parts };
    }
    return { kind: 'combined', raw, criterion, subschemas: subs };
  }
  if ('not' in raw && rest.length === 1) return { kind: 'not', raw };
  if (typed.length > 1) {
    // type: [a, b] → anyOf of one schema per type, each with the keywords that apply to it.
    const subs = typed.map((t) => ({ ...subschemaOf(raw, (k) => k !== 'type' && !ANNOTATIONS.has(k)), type: t }));
    return { kind: 'combined', raw, criterion: 'anyOf', subschemas: subs };
  }
  const type = typed[0] ?? inferType(raw);
  switch (type) {
    case 'string': return { kind: 'string', raw };
    case 'integer': return { kind: 'number', raw, integer: true };
    case 'number': return { kind: 'number', raw, integer: false };
    case 'boolean': return { kind: 'boolean', raw };
    case 'null': return { kind: 'null', raw };
    case 'object': return { kind: 'object', raw };
    case 'array': return { kind: 'array', raw };
    default: return { kind: 'empty', raw };
  }
}

function inferType(raw: Obj): string | undefined {
  const has = (keys: string[]) => keys.some((k) => k in raw);
  if (has(OBJECT_KEYS)) return 'object';
  if (has(ARRAY_KEYS)) return 'array';
  if (has(STRING_KEYS)) return 'string';
  if (has(NUMBER_KEYS)) return 'number';
  return undefined;
}

// ---------------------------------------------------------------------------------------------

class Context {
  readonly differences: Difference[] = [];
  constructor(
    readonly path: string[],
    readonly resolvers: { writer: Resolver; reader: Resolver },
    readonly visiting: Set<string>,
  ) {}
  add(type: DifferenceType, ...sub: string[]): void {
    this.differences.push({ type, path: pointer([...this.path, ...sub]) });
  }
  sub(...segments: string[]): Context {
    return new Context([...this.path, ...segments], this.resolvers, this.visiting);
  }
  merge(other: Context): void {
    this.differences.push(...other.differences);
  }
  get compatible(): boolean {
    return this.differences.every((d) => isCompatibleChange(d.type));
  }
}

function pointer(segments: string[]): string {
  return '#' + segments.map((s) => '/' + s.replaceAll('~', '~0').replaceAll('/', '~1')).join('');
}

/**
 * Diffs the schema data was written with (writer) against the schema that must read it
 * (reader), as Confluent's SchemaDiff.compare(original, update) does.
 */
export function diffSchemas(writer: JsonSchema, reader: JsonSchema): Difference[] {
  const ctx = new Context([], { writer: new Resolver(writer), reader: new Resolver(reader) }, new Set());
  compare(ctx, writer, reader);
  return ctx.differences;
}

function compare(ctx: Context, writerSchema: JsonSchema | undefined, readerSchema: JsonSchema | undefined): void {
  if (writerSchema === undefined && readerSchema === undefined) return;
  if (writerSchema === undefined) return ctx.add('SCHEMA_ADDED');
  if (readerSchema === undefined) return ctx.add('SCHEMA_REMOVED');
  const ws = ctx.resolvers.writer.resolve(writerSchema);
  const rs = ctx.resolvers.reader.resolve(readerSchema);
  // Recursive schemas: a pair already being compared higher up is assumed compatible.
  const key = JSON.stringify(ws) + '\u0000' + JSON.stringify(rs);
  if (ctx.visiting.has(key)) return;
  const w = normalize(ws);
  const r = normalize(rs);

  if (w.kind !== 'combined' && r.kind === 'combined') {
    const subs = r.subschemas ?? [];
    if (subs.length === 1) {
      const sub = ctx.sub();
      compare(sub, ws, subs[0]);
      if (sub.compatible) return ctx.merge(sub);
    } else if (r.criterion === 'anyOf' || r.criterion === 'oneOf') {
      for (const s of subs) {
        const sub = ctx.sub();
        compare(sub, ws, s);
        if (sub.compatible) {
          ctx.merge(sub);
          return ctx.add('SUM_TYPE_EXTENDED');
        }
      }
    }
  } else if (w.kind === 'combined' && r.kind !== 'combined') {
    const subs = w.subschemas ?? [];
    if (subs.length === 1) {
      const sub = ctx.sub();
      compare(sub, subs[0], rs);
      if (sub.compatible) return ctx.merge(sub);
    } else if (w.criterion === 'allOf') {
      // allOf of several became one of its parts (or a schema one part alone satisfies): fewer constraints.
      for (const s of subs) {
        const sub = ctx.sub();
        compare(sub, s, rs);
        if (sub.compatible) {
          ctx.merge(sub);
          return ctx.add('PRODUCT_TYPE_NARROWED');
        }
      }
    }
  }

  if (w.kind !== r.kind) {
    if (w.kind === 'false' || r.kind === 'empty') return;
    return ctx.add('TYPE_CHANGED');
  }

  ctx.visiting.add(key);
  try {
    const wr = w.raw;
    const rr = r.raw;
    if (!same(wr.$id ?? wr.id, rr.$id ?? rr.id)) ctx.add('ID_CHANGED');
    if (!same(wr.title, rr.title)) ctx.add('TITLE_CHANGED');
    if (!same(wr.description, rr.description)) ctx.add('DESCRIPTION_CHANGED');
    if (!same(wr.default, rr.default)) ctx.add('DEFAULT_CHANGED');
    switch (w.kind) {
      case 'string': return compareString(ctx, wr, rr);
      case 'number': return compareNumber(ctx, w, r);
      case 'enum': return compareEnum(ctx, wr, rr);
      case 'combined': return compareCombined(ctx, w, r);
      case 'not': return compareNot(ctx, wr, rr);
      case 'object': return compareObject(ctx, wr, rr);
      case 'array': return compareArray(ctx, wr, rr);
      default: return;
    }
  } finally {
    ctx.visiting.delete(key);
  }
}

function same(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

/** JSON text with object keys sorted, to compare values and subschemas structurally. */
function canonical(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return '[' + value.map(canonical).join(',') + ']';
  if (isObj(value)) return '{' + Object.keys(value).sort().map((k) => JSON.stringify(k) + ':' + canonical(value[k])).join(',') + '}';
  return JSON.stringify(value);
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** maxX / minX: ADDED, REMOVED, INCREASED, DECREASED, as Confluent names them. */
function bound(ctx: Context, keyword: string, prefix: string, w: unknown, r: unknown): void {
  const a = num(w);
  const b = num(r);
  if (a === b) return;
  const t = (suffix: string) => `${prefix}_${suffix}` as DifferenceType;
  if (a === undefined) ctx.add(t('ADDED'), keyword);
  else if (b === undefined) ctx.add(t('REMOVED'), keyword);
  else ctx.add(t(a < b ? 'INCREASED' : 'DECREASED'), keyword);
}

function compareString(ctx: Context, w: Obj, r: Obj): void {
  bound(ctx, 'maxLength', 'MAX_LENGTH', w.maxLength, r.maxLength);
  bound(ctx, 'minLength', 'MIN_LENGTH', w.minLength, r.minLength);
  if (!same(w.pattern, r.pattern)) {
    if (w.pattern === undefined) ctx.add('PATTERN_ADDED', 'pattern');
    else if (r.pattern === undefined) ctx.add('PATTERN_REMOVED', 'pattern');
    else ctx.add('PATTERN_CHANGED', 'pattern');
  }
}

function compareNumber(ctx: Context, w: Node, r: Node): void {
  const wr = w.raw;
  const rr = r.raw;
  bound(ctx, 'maximum', 'MAXIMUM', wr.maximum, rr.maximum);
  bound(ctx, 'minimum', 'MINIMUM', wr.minimum, rr.minimum);
  // Draft-04 booleans exclusiveMaximum/Minimum are not numbers and are ignored here.
  bound(ctx, 'exclusiveMaximum', 'EXCLUSIVE_MAXIMUM', wr.exclusiveMaximum, rr.exclusiveMaximum);
  bound(ctx, 'exclusiveMinimum', 'EXCLUSIVE_MINIMUM', wr.exclusiveMinimum, rr.exclusiveMinimum);
  const a = num(wr.multipleOf);
  const b = num(rr.multipleOf);
  if (a !== b) {
    if (a === undefined) ctx.add('MULTIPLE_OF_ADDED', 'multipleOf');
    else if (b === undefined) ctx.add('MULTIPLE_OF_REMOVED', 'multipleOf');
    else if (isMultiple(b, a)) ctx.add('MULTIPLE_OF_EXPANDED', 'multipleOf');
    else if (isMultiple(a, b)) ctx.add('MULTIPLE_OF_REDUCED', 'multipleOf');
    else ctx.add('MULTIPLE_OF_CHANGED', 'multipleOf');
  }
  if (w.integer !== r.integer) ctx.add(w.integer ? 'TYPE_EXTENDED' : 'TYPE_NARROWED');
}

function isMultiple(x: number, of: number): boolean {
  const q = x / of;
  return Math.abs(q - Math.round(q)) < 1e-9;
}

function enumValues(raw: Obj): unknown[] {
  if (Array.isArray(raw.enum)) return raw.enum as unknown[];
  return 'const' in raw ? [raw.const] : [];
}

function compareEnum(ctx: Context, w: Obj, r: Obj): void {
  const a = new Set(enumValues(w).map(canonical));
  const b = new Set(enumValues(r).map(canonical));
  const aInB = [...a].every((v) => b.has(v));
  const bInA = [...b].every((v) => a.has(v));
  if (aInB && bInA) return;
  const path = 'enum' in w || 'enum' in r ? 'enum' : 'const';
  if (aInB) ctx.add('ENUM_ARRAY_EXTENDED', path);
  else if (bInA) ctx.add('ENUM_ARRAY_NARROWED', path);
  else ctx.add('ENUM_ARRAY_CHANGED', path);
}

function compareNot(ctx: Context, w: Obj, r: Obj): void {
  // The reader's exclusion must exclude no more than the writer's did: diff reversed.
  const sub = ctx.sub('not');
  compare(sub, r.not as JsonSchema, w.not as JsonSchema);
  if (sub.differences.length === 0) return;
  ctx.add(sub.compatible ? 'NOT_TYPE_NARROWED' : 'NOT_TYPE_EXTENDED', 'not');
}

function compareCombined(ctx: Context, w: Node, r: Node): void {
  const wc = w.criterion!;
  const rc = r.criterion!;
  const wSubs = dedupe(w.subschemas ?? []);
  const rSubs = dedupe(r.subschemas ?? []);
  if (wc !== rc) {
    let type: DifferenceType;
    if (rc === 'anyOf') type = 'COMBINED_TYPE_EXTENDED';
    else if (rc === 'oneOf') type = wSubs.length === 1 ? 'COMBINED_TYPE_EXTENDED' : 'COMBINED_TYPE_CHANGED';
    else type = wSubs.length === 1 && rSubs.length === 1 ? 'COMBINED_TYPE_EXTENDED' : 'COMBINED_TYPE_CHANGED';
    // Confluent reports the combination's own changes at the combined schema's path.
    ctx.add(type);
    if (type === 'COMBINED_TYPE_CHANGED') return;
  }
  if (wSubs.length < rSubs.length) ctx.add(rc === 'allOf' ? 'PRODUCT_TYPE_EXTENDED' : 'SUM_TYPE_EXTENDED');
  else if (wSubs.length > rSubs.length) ctx.add(rc === 'allOf' ? 'PRODUCT_TYPE_NARROWED' : 'SUM_TYPE_NARROWED');

  // Pair every writer alternative with a compatible reader one: a maximum bipartite matching.
  const edges: (Difference[] | undefined)[][] = wSubs.map((ws, i) =>
    rSubs.map((rs) => {
      const sub = ctx.sub(wc, String(i));
      compare(sub, ws, rs);
      return sub.compatible ? sub.differences : undefined;
    }),
  );
  const matchOfReader: (number | undefined)[] = rSubs.map(() => undefined);
  const augment = (i: number, seen: boolean[]): boolean => {
    for (let j = 0; j < rSubs.length; j++) {
      if (!edges[i]?.[j] || seen[j]) continue;
      seen[j] = true;
      const current = matchOfReader[j];
      if (current === undefined || augment(current, seen)) {
        matchOfReader[j] = i;
        return true;
      }
    }
    return false;
  };
  let matched = 0;
  for (let i = 0; i < wSubs.length; i++) if (augment(i, rSubs.map(() => false))) matched++;
  matchOfReader.forEach((i, j) => {
    if (i !== undefined) ctx.differences.push(...(edges[i]?.[j] ?? []));
  });
  if (matched < Math.min(wSubs.length, rSubs.length)) ctx.add('COMBINED_TYPE_SUBSCHEMAS_CHANGED');
}

function dedupe(subs: JsonSchema[]): JsonSchema[] {
  const seen = new Set<string>();
  return subs.filter((s) => {
    const k = canonical(s);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

// --- objects ---------------------------------------------------------------------------------

const props = (raw: Obj): Obj => (isObj(raw.properties) ? raw.properties : {});
const required = (raw: Obj): Set<string> => new Set(Array.isArray(raw.required) ? (raw.required as unknown[]).filter((x): x is string => typeof x === 'string') : []);
const patternProps = (raw: Obj): Obj => (isObj(raw.patternProperties) ? raw.patternProperties : {});
/** additionalProperties: false → not permitted; an object schema (not {}) → a schema. */
const permitsAdditional = (raw: Obj): boolean => raw.additionalProperties !== false;
function additionalSchema(raw: Obj): JsonSchema | undefined {
  const a = raw.additionalProperties;
  if (a === undefined || a === true || a === false) return undefined;
  if (isObj(a) && Object.keys(a).length === 0) return undefined;
  return a as JsonSchema;
}
/** Open: any other property is accepted (no pattern or additional schema; unevaluatedProperties absent or empty). */
const isOpen = (raw: Obj): boolean =>
  Object.keys(patternProps(raw)).length === 0 && additionalSchema(raw) === undefined && permitsAdditional(raw) &&
  (raw.unevaluatedProperties === undefined || isEmptySchema(raw.unevaluatedProperties));
const isEmptySchema = (s: unknown): boolean => s === true || (isObj(s) && Object.keys(s).filter((k) => !ANNOTATIONS.has(k)).length === 0);
const hasDefault = (s: unknown): boolean => isObj(s) && 'default' in s;

function partialSchema(raw: Obj, key: string): JsonSchema | undefined {
  for (const [pattern, schema] of Object.entries(patternProps(raw))) {
    try {
      if (new RegExp(pattern, 'u').test(key)) return schema as JsonSchema;
    } catch {
      // an invalid pattern matches nothing
    }
  }
  const additional = additionalSchema(raw);
  if (additional !== undefined) return additional;
  // With additionalProperties absent, unevaluatedProperties says what other properties must be.
  const u = raw.unevaluatedProperties;
  if (raw.additionalProperties === undefined && u !== undefined && u !== false && !isEmptySchema(u)) return u as JsonSchema;
  return undefined;
}

/** Compares a property with the schema a partially open model gives it (into `at`); whether it is covered. */
function covered(at: Context, w: JsonSchema | undefined, r: JsonSchema | undefined): boolean {
  const sub = at.sub();
  compare(sub, w, r);
  at.merge(sub);
  return sub.compatible;
}

function compareObject(ctx: Context, w: Obj, r: Obj): void {
  const wp = props(w);
  const rp = props(r);
  const wReq = required(w);
  const rReq = required(r);
  // required
  for (const key of Object.keys(wp)) {
    if (!(key in rp)) continue;
    if (wReq.has(key) && !rReq.has(key)) ctx.add('REQUIRED_ATTRIBUTE_REMOVED', 'required', key);
    else if (!wReq.has(key) && rReq.has(key)) ctx.add(hasDefault(rp[key]) ? 'REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED' : 'REQUIRED_ATTRIBUTE_ADDED', 'required', key);
  }
  // properties
  for (const key of new Set([...Object.keys(wp), ...Object.keys(rp)])) {
    const at = ctx.sub('properties', key);
    const ws = wp[key] as JsonSchema | undefined;
    const rs = rp[key] as JsonSchema | undefined;
    if (rs === undefined) {
      if (isOpen(r)) at.add('PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL');
      else {
        const partial = partialSchema(r, key);
        if (partial !== undefined) {
          at.add(covered(at, ws, partial) ? 'PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL' : 'PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL');
        } else at.add(ws === false ? 'PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL' : 'PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL');
      }
    } else if (ws === undefined) {
      if (isOpen(w)) at.add(isEmptySchema(rs) ? 'PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL' : 'PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL');
      else {
        const partial = partialSchema(w, key);
        if (partial !== undefined) {
          at.add(covered(at, partial, rs) ? 'PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL' : 'PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL');
        }
        if (rReq.has(key)) at.add(hasDefault(rs) ? 'REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL' : 'REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL');
        else at.add('OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL');
      }
    } else compare(at, ws, rs);
    ctx.merge(at);
  }
  // dependencies (draft-07 "dependencies"; 2020-12 dependentRequired / dependentSchemas)
  const deps = (raw: Obj): { arrays: Map<string, string[]>; schemas: Map<string, JsonSchema> } => {
    const arrays = new Map<string, string[]>();
    const schemas = new Map<string, JsonSchema>();
    for (const source of [raw.dependencies, raw.dependentRequired, raw.dependentSchemas]) {
      if (!isObj(source)) continue;
      for (const [k, v] of Object.entries(source)) {
        if (Array.isArray(v)) arrays.set(k, v.map(String));
        else schemas.set(k, v as JsonSchema);
      }
    }
    return { arrays, schemas };
  };
  const wd = deps(w);
  const rd = deps(r);
  for (const key of new Set([...wd.arrays.keys(), ...rd.arrays.keys()])) {
    const a = wd.arrays.get(key);
    const b = rd.arrays.get(key);
    if (b === undefined) ctx.add('DEPENDENCY_ARRAY_REMOVED', 'dependencies', key);
    else if (a === undefined) ctx.add('DEPENDENCY_ARRAY_ADDED', 'dependencies', key);
    else {
      const aInB = a.every((x) => b.includes(x));
      const bInA = b.every((x) => a.includes(x));
      if (aInB && bInA) continue;
      ctx.add(aInB ? 'DEPENDENCY_ARRAY_EXTENDED' : bInA ? 'DEPENDENCY_ARRAY_NARROWED' : 'DEPENDENCY_ARRAY_CHANGED', 'dependencies', key);
    }
  }
  for (const key of new Set([...wd.schemas.keys(), ...rd.schemas.keys()])) {
    const a = wd.schemas.get(key);
    const b = rd.schemas.get(key);
    if (b === undefined) ctx.add('DEPENDENCY_SCHEMA_REMOVED', 'dependencies', key);
    else if (a === undefined) ctx.add('DEPENDENCY_SCHEMA_ADDED', 'dependencies', key);
    else {
      const sub = ctx.sub('dependencies', key);
      compare(sub, a, b);
      ctx.merge(sub);
    }
  }
  // additionalProperties
  if (permitsAdditional(w) !== permitsAdditional(r)) ctx.add(permitsAdditional(r) ? 'ADDITIONAL_PROPERTIES_ADDED' : 'ADDITIONAL_PROPERTIES_REMOVED', 'additionalProperties');
  else {
    const a = additionalSchema(w);
    const b = additionalSchema(r);
    if (a === undefined && b !== undefined) ctx.add('ADDITIONAL_PROPERTIES_NARROWED', 'additionalProperties');
    else if (a !== undefined && b === undefined) ctx.add('ADDITIONAL_PROPERTIES_EXTENDED', 'additionalProperties');
    else if (a !== undefined && b !== undefined) {
      const sub = ctx.sub('additionalProperties');
      compare(sub, a, b);
      ctx.merge(sub);
    }
  }
  compareUnevaluated(ctx, 'unevaluatedProperties', 'UNEVALUATED_PROPERTIES', w.unevaluatedProperties as JsonSchema | undefined, r.unevaluatedProperties as JsonSchema | undefined);
  bound(ctx, 'maxProperties', 'MAX_PROPERTIES', w.maxProperties, r.maxProperties);
  bound(ctx, 'minProperties', 'MIN_PROPERTIES', w.minProperties, r.minProperties);
}

/** unevaluatedProperties / unevaluatedItems: false, a schema, or absent / empty (anything goes). */
function compareUnevaluated(ctx: Context, keyword: string, prefix: 'UNEVALUATED_PROPERTIES' | 'UNEVALUATED_ITEMS', wu: JsonSchema | undefined, ru: JsonSchema | undefined): void {
  if (wu === undefined && ru === undefined) return;
  const at = ctx.sub(keyword);
  const kind = (suffix: 'ADDED' | 'REMOVED' | 'EXTENDED' | 'NARROWED') => `${prefix}_${suffix}` as DifferenceType;
  if (wu === undefined) at.add(kind(ru === false ? 'REMOVED' : 'NARROWED'));
  else if (ru === undefined) at.add(kind(wu === false ? 'ADDED' : 'EXTENDED'));
  else if (wu === false && ru !== false) at.add(kind('ADDED'));
  else if (wu !== false && ru === false) at.add(kind('REMOVED'));
  else if (isEmptySchema(wu) && !isEmptySchema(ru)) at.add(kind('NARROWED'));
  else if (!isEmptySchema(wu) && isEmptySchema(ru)) at.add(kind('EXTENDED'));
  else compare(at, wu, ru);
  ctx.merge(at);
}

// --- arrays ----------------------------------------------------------------------------------

interface ArrayModel {
  /** One schema for every item (list validation); undefined for a tuple or no `items`. */
  all?: JsonSchema;
  /** Tuple validation: a schema per position (draft-07 `items: [...]`, 2020-12 `prefixItems`). */
  tuple: JsonSchema[];
  /** Are items beyond the tuple allowed (`additionalItems`, or 2020-12 `items` after `prefixItems`)? */
  permitsAdditional: boolean;
  /** Their schema, when one constrains them (not true, not {}). */
  additional?: JsonSchema;
  /** `unevaluatedItems`, when given. */
  unevaluated?: JsonSchema;
}

function arrayModel(raw: Obj): ArrayModel {
  const prefix = Array.isArray(raw.prefixItems);
  const tupleRaw = prefix ? raw.prefixItems : Array.isArray(raw.items) ? raw.items : undefined;
  const extra = prefix ? raw.items : Array.isArray(raw.items) ? raw.additionalItems : undefined;
  return {
    all: tupleRaw === undefined && raw.items !== undefined ? (raw.items as JsonSchema) : undefined,
    tuple: (tupleRaw as JsonSchema[] | undefined) ?? [],
    permitsAdditional: extra !== false,
    additional: extra === undefined || extra === false || isEmptySchema(extra) ? undefined : (extra as JsonSchema),
    unevaluated: raw.unevaluatedItems as JsonSchema | undefined,
  };
}

/** Fully open: any extra item is accepted (no additional-items schema, and unevaluatedItems absent or empty). */
const openItems = (m: ArrayModel): boolean => m.permitsAdditional && m.additional === undefined && (m.unevaluated === undefined || isEmptySchema(m.unevaluated));
/** Partially open: extra items must match a schema (additionalItems's, or unevaluatedItems's when that is the only one). */
function partialItems(m: ArrayModel): JsonSchema | undefined {
  if (m.additional !== undefined) return m.additional;
  if (m.permitsAdditional && m.unevaluated !== undefined && m.unevaluated !== false && !isEmptySchema(m.unevaluated)) return m.unevaluated;
  return undefined;
}

/** In Confluent's order: items, the tuple's positions, additionalItems, unevaluatedItems, then the bounds. */
function compareArray(ctx: Context, w: Obj, r: Obj): void {
  const a = arrayModel(w);
  const b = arrayModel(r);
  const items = ctx.sub('items');
  compare(items, a.all, b.all);
  ctx.merge(items);

  for (let i = 0; i < Math.max(a.tuple.length, b.tuple.length); i++) {
    const at = ctx.sub('items', String(i));
    const ws = a.tuple[i];
    const rs = b.tuple[i];
    if (ws !== undefined && rs !== undefined) compare(at, ws, rs);
    else if (rs === undefined) {
      const partial = partialItems(b);
      if (openItems(b)) at.add('ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL');
      else if (partial !== undefined) at.add(covered(at, ws, partial) ? 'ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL' : 'ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL');
      else at.add(ws === false ? 'ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL' : 'ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL');
    } else {
      const partial = partialItems(a);
      if (openItems(a)) at.add(isEmptySchema(rs) ? 'ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL' : 'ITEM_ADDED_TO_OPEN_CONTENT_MODEL');
      else if (partial !== undefined) at.add(covered(at, partial, rs) ? 'ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL' : 'ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL');
      else at.add('ITEM_ADDED_TO_CLOSED_CONTENT_MODEL');
    }
    ctx.merge(at);
  }

  const additional = ctx.sub('additionalItems');
  if (a.permitsAdditional !== b.permitsAdditional) additional.add(b.permitsAdditional ? 'ADDITIONAL_ITEMS_ADDED' : 'ADDITIONAL_ITEMS_REMOVED');
  else if (a.additional === undefined && b.additional !== undefined) additional.add('ADDITIONAL_ITEMS_NARROWED');
  else if (a.additional !== undefined && b.additional === undefined) additional.add('ADDITIONAL_ITEMS_EXTENDED');
  else if (a.additional !== undefined && b.additional !== undefined) compare(additional, a.additional, b.additional);
  ctx.merge(additional);

  compareUnevaluated(ctx, 'unevaluatedItems', 'UNEVALUATED_ITEMS', a.unevaluated, b.unevaluated);

  bound(ctx, 'maxItems', 'MAX_ITEMS', w.maxItems, r.maxItems);
  bound(ctx, 'minItems', 'MIN_ITEMS', w.minItems, r.minItems);
  const wUnique = w.uniqueItems === true;
  const rUnique = r.uniqueItems === true;
  if (wUnique !== rUnique) ctx.add(rUnique ? 'UNIQUE_ITEMS_ADDED' : 'UNIQUE_ITEMS_REMOVED', 'uniqueItems');
  bound(ctx, 'maxContains', 'MAX_CONTAINS', w.maxContains, r.maxContains);
  bound(ctx, 'minContains', 'MIN_CONTAINS', w.minContains, r.minContains);
}

// --- modes -----------------------------------------------------------------------------------

export function isMode(value: string): value is CompatMode {
  return (MODES as readonly string[]).includes(value);
}

/** The readings a mode checks. */
export function directionsOf(mode: CompatMode): Direction[] {
  if (mode.startsWith('BACKWARD')) return ['backward'];
  if (mode.startsWith('FORWARD')) return ['forward'];
  if (mode.startsWith('FULL')) return ['backward', 'forward'];
  return ['backward'];
}

/** The changes from one schema version to the next, judged for a mode. */
export function checkPair(oldSchema: JsonSchema, newSchema: JsonSchema, mode: CompatMode, rules: RuleSet = 'strict'): CompatResult {
  const changes: Change[] = [];
  for (const direction of directionsOf(mode)) {
    const diffs = direction === 'backward' ? diffSchemas(oldSchema, newSchema) : diffSchemas(newSchema, oldSchema);
    for (const d of diffs) {
      changes.push({ ...d, breaking: mode !== 'NONE' && !isCompatibleChange(d.type, rules), direction, reason: reasonFor(d.type, direction) });
    }
  }
  return { compatible: changes.every((c) => !c.breaking), mode, changes };
}

export interface VersionedSchema {
  version: number;
  schema: JsonSchema;
}

export type VersionCheck<R extends { compatible: boolean } = CompatResult> = R & {
  version: number;
  against: number;
};

/**
 * Every version of one type checked as a registry would have when it was registered: against
 * the previous version, or against every older one for the *_TRANSITIVE modes. `pair` judges
 * two versions (JSON Schema by default; Avro and Protobuf bring their own).
 */
export function checkVersions<S = JsonSchema, R extends { compatible: boolean } = CompatResult>(
  versions: { version: number; schema: S }[],
  mode: CompatMode,
  pair: (oldSchema: S, newSchema: S, mode: CompatMode) => R = checkPair as unknown as (oldSchema: S, newSchema: S, mode: CompatMode) => R,
): VersionCheck<R>[] {
  const sorted = [...versions].sort((a, b) => a.version - b.version);
  const out: VersionCheck<R>[] = [];
  for (let i = 1; i < sorted.length; i++) {
    const current = sorted[i]!;
    const olders = mode.endsWith('_TRANSITIVE') ? sorted.slice(0, i) : [sorted[i - 1]!];
    for (const older of olders) out.push({ ...pair(older.schema, current.schema, mode), version: current.version, against: older.version });
  }
  return out;
}
