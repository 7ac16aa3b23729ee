/**
 * The README's table of change kinds per format (src/schema/change-kinds.ts): every kind of each
 * checker has one example edit (src/schema/change-kind-examples.ts) whose BACKWARD reading shows
 * that kind and whose BACKWARD verdict is that kind's own; each example is judged in every mode
 * (the _TRANSITIVE modes as their plain ones on a pair, FULL as both readings, NONE never
 * breaking); Avro's verdicts are held against avsc (a breaking reading has a value the reader
 * cannot decode, a compatible one none); and the README's block is the one the code makes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AVRO_DIFFERENCE_TYPES, diffAvro, isCompatibleAvroChange } from '../../src/schema/avro-compat.js';
import { checkAvroPair, findWitness } from '../../src/schema/avro-schema.js';
import { AVRO_EXAMPLES, JSON_SCHEMA_EXAMPLES, PROTOBUF_EXAMPLES } from '../../src/schema/change-kind-examples.js';
import { BEGIN, changeKindsMarkdown, changeKindTables, END } from '../../src/schema/change-kinds.js';
import { checkPair, DIFFERENCE_TYPES, diffSchemas, isCompatibleChange, MODES, type CompatMode } from '../../src/schema/compat.js';
import { diffProtobuf, isCompatibleProtobufChange, PROTOBUF_DIFFERENCE_TYPES } from '../../src/schema/protobuf-compat.js';
import { checkProtobufPair, protoFileFromText } from '../../src/schema/protobuf-schema.js';

interface Format {
  name: string;
  kinds: readonly string[];
  examples: { kind: string; old: unknown; new: unknown }[];
  backwardKinds: (old: unknown, nu: unknown) => string[];
  compatible: (kind: string) => boolean;
  judge: (old: unknown, nu: unknown, mode: CompatMode) => { compatible: boolean; changes: { direction: string; breaking: boolean }[] };
}

const FORMATS: Format[] = [
  {
    name: 'JSON Schema', kinds: DIFFERENCE_TYPES, examples: JSON_SCHEMA_EXAMPLES,
    backwardKinds: (o, n) => diffSchemas(o as never, n as never).map((d) => d.type),
    compatible: (k) => isCompatibleChange(k as never), judge: (o, n, m) => checkPair(o as never, n as never, m),
  },
  {
    name: 'Avro', kinds: AVRO_DIFFERENCE_TYPES, examples: AVRO_EXAMPLES,
    backwardKinds: (o, n) => diffAvro(o as never, n as never).map((d) => d.type),
    compatible: (k) => isCompatibleAvroChange(k as never), judge: (o, n, m) => checkAvroPair(o as never, n as never, m),
  },
  {
    name: 'Protobuf', kinds: PROTOBUF_DIFFERENCE_TYPES, examples: PROTOBUF_EXAMPLES,
    backwardKinds: (o, n) => diffProtobuf(protoFileFromText(o as string), protoFileFromText(n as string)).map((d) => d.type),
    compatible: (k) => isCompatibleProtobufChange(k as never),
    judge: (o, n, m) => checkProtobufPair(protoFileFromText(o as string), protoFileFromText(n as string), m),
  },
];

describe.each(FORMATS)('$name: one example per change kind', (f) => {
  it('every kind has exactly one example, in the order the checker lists its kinds', () => {
    expect(f.examples.map((e) => e.kind)).toEqual([...f.kinds]);
  });

  it.each(f.examples.map((e) => [e.kind, e] as const))('%s: the BACKWARD reading shows it, and its verdict is the kind\'s', (kind, e) => {
    const seen = f.backwardKinds(e.old, e.new);
    expect(seen).toContain(kind);
    // Any other kind the edit brings along does not decide the verdict: the row is about this kind.
    const others = seen.filter((k) => k !== kind);
    if (f.compatible(kind)) expect(others.filter((k) => !f.compatible(k))).toEqual([]);
    expect(f.judge(e.old, e.new, 'BACKWARD').compatible).toBe(f.compatible(kind));
  });

  it('every example in all seven modes: FULL is both readings, _TRANSITIVE is its plain mode on a pair, NONE never breaks', () => {
    for (const e of f.examples) {
      const v = Object.fromEntries(MODES.map((m) => [m, f.judge(e.old, e.new, m)]));
      expect(v.FULL!.compatible, e.kind).toBe(v.BACKWARD!.compatible && v.FORWARD!.compatible);
      for (const m of ['BACKWARD', 'FORWARD', 'FULL'] as const) expect(v[`${m}_TRANSITIVE`]!.compatible, `${e.kind} ${m}`).toBe(v[m]!.compatible);
      expect(v.NONE!.compatible, e.kind).toBe(true);
      expect(v.NONE!.changes.some((c) => c.breaking), e.kind).toBe(false);
      // FORWARD is the reverse edit read BACKWARD.
      expect(v.FORWARD!.compatible, e.kind).toBe(f.judge(e.new, e.old, 'BACKWARD').compatible);
    }
  });
});

describe('Avro examples against avsc', () => {
  it.each(AVRO_EXAMPLES.map((e) => [e.kind, e] as const))('%s: each reading breaks exactly when avsc cannot read some written value', (_kind, e) => {
    for (const [w, r, mode] of [[e.old, e.new, 'BACKWARD'], [e.new, e.old, 'FORWARD']] as const) {
      const breaks = !checkAvroPair(e.old, e.new, mode).compatible;
      expect(findWitness(w, r, 300) !== undefined, mode).toBe(breaks);
    }
  });
});

describe('the reference\'s table of change kinds (docs/reference.md)', () => {
  it('has every kind of each format, with BACKWARD, FORWARD and FULL verdicts', () => {
    const tables = changeKindTables();
    expect(tables.map((t) => [t.title, t.rows.length])).toEqual([['JSON Schema', DIFFERENCE_TYPES.length], ['Avro', AVRO_DIFFERENCE_TYPES.length], ['Protobuf', PROTOBUF_DIFFERENCE_TYPES.length]]);
    const md = changeKindsMarkdown();
    expect(md).toContain('| kind | example edit (old → new) | BACKWARD | FORWARD (what that reading sees) | FULL |');
    // Spot checks of the computed verdicts against what the formats' rules say.
    expect(md).toMatch(/\| `PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL` \| [^|]+ \| \*\*breaks\*\*; `--lenient`: ok \| ok \(`PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL`\) \| \*\*breaks\*\*; `--lenient`: ok \|/);
    expect(md).toMatch(/\| `READER_FIELD_MISSING_DEFAULT_VALUE` \| [^|]+ \| \*\*breaks\*\* \| ok \(`FIELD_REMOVED`\) \| \*\*breaks\*\* \|/);
    expect(md).toMatch(/\| `ONEOF_FIELD_REMOVED` \| [^|]+ \| \*\*breaks\*\* \| ok \(`ONEOF_FIELD_ADDED`\) \| \*\*breaks\*\* \|/);
    expect(md).toMatch(/\| `FIELD_ADDED_WITH_DEFAULT` \| [^|]+ \| ok \| ok \(`FIELD_REMOVED`\) \| ok \|/);
  });

  it('is the one the checkers make from the examples (npm run docs:change-kinds rewrites it)', () => {
    const readme = fs.readFileSync(path.resolve(import.meta.dirname, '..', '..', 'docs', 'reference.md'), 'utf8');
    // The block alone, so a difference shows as the rows that differ, not the whole README.
    const block = readme.slice(readme.indexOf(BEGIN), readme.indexOf(END) + END.length);
    expect(block).toEqual(changeKindsMarkdown());
  });
});

describe('the verdict of each kind is Confluent\'s', () => {
  // The kinds Confluent Schema Registry counts compatible: COMPATIBLE_CHANGES in
  // confluentinc/schema-registry json-schema-provider/src/main/java/io/confluent/kafka/schemaregistry/json/diff/SchemaDiff.java
  // and protobuf-provider/src/main/java/io/confluent/kafka/schemaregistry/protobuf/diff/SchemaDiff.java
  // (the names only: facts, not their code).
  const CONFLUENT_JSON = `ID_CHANGED DESCRIPTION_CHANGED TITLE_CHANGED DEFAULT_CHANGED SCHEMA_REMOVED TYPE_EXTENDED
    MAX_LENGTH_INCREASED MAX_LENGTH_REMOVED MIN_LENGTH_DECREASED MIN_LENGTH_REMOVED PATTERN_REMOVED
    MAXIMUM_INCREASED MAXIMUM_REMOVED MINIMUM_DECREASED MINIMUM_REMOVED EXCLUSIVE_MAXIMUM_INCREASED EXCLUSIVE_MAXIMUM_REMOVED
    EXCLUSIVE_MINIMUM_DECREASED EXCLUSIVE_MINIMUM_REMOVED MULTIPLE_OF_REDUCED MULTIPLE_OF_REMOVED
    REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED REQUIRED_ATTRIBUTE_REMOVED DEPENDENCY_ARRAY_NARROWED DEPENDENCY_ARRAY_REMOVED
    DEPENDENCY_SCHEMA_REMOVED MAX_PROPERTIES_INCREASED MAX_PROPERTIES_REMOVED MIN_PROPERTIES_DECREASED MIN_PROPERTIES_REMOVED
    ADDITIONAL_PROPERTIES_ADDED ADDITIONAL_PROPERTIES_EXTENDED PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL
    REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL
    PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL
    PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
    MAX_ITEMS_INCREASED MAX_ITEMS_REMOVED MIN_ITEMS_DECREASED MIN_ITEMS_REMOVED UNIQUE_ITEMS_REMOVED
    ADDITIONAL_ITEMS_ADDED ADDITIONAL_ITEMS_EXTENDED ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL
    ITEM_ADDED_TO_CLOSED_CONTENT_MODEL ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL
    ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
    ENUM_ARRAY_EXTENDED COMBINED_TYPE_EXTENDED PRODUCT_TYPE_NARROWED SUM_TYPE_EXTENDED NOT_TYPE_NARROWED`.split(/\s+/);
  // 2020-12 keywords the stored SchemaDiff predates; judged by the same rule (the reader accepts more, or as much).
  const EVTRAIL_JSON = ['UNEVALUATED_PROPERTIES_ADDED', 'UNEVALUATED_PROPERTIES_EXTENDED', 'UNEVALUATED_ITEMS_ADDED', 'UNEVALUATED_ITEMS_EXTENDED',
    'MAX_CONTAINS_REMOVED', 'MAX_CONTAINS_INCREASED', 'MIN_CONTAINS_REMOVED', 'MIN_CONTAINS_DECREASED'];
  const CONFLUENT_PROTOBUF = `PACKAGE_CHANGED MESSAGE_ADDED MESSAGE_MOVED ENUM_ADDED ENUM_REMOVED ENUM_CONST_ADDED ENUM_CONST_CHANGED
    ENUM_CONST_REMOVED FIELD_ADDED FIELD_REMOVED FIELD_NAME_CHANGED FIELD_STRING_OR_BYTES_LABEL_CHANGED ONEOF_ADDED ONEOF_REMOVED
    ONEOF_FIELD_ADDED`.split(/\s+/);

  it('JSON Schema: the compatible kinds are Confluent\'s, and the 2020-12 ones evtrail adds', () => {
    expect(DIFFERENCE_TYPES.filter((k) => isCompatibleChange(k)).sort()).toEqual([...CONFLUENT_JSON, ...EVTRAIL_JSON].sort());
  });

  it('Protobuf: the compatible kinds are Confluent\'s (evtrail\'s own two reserved-name checks break)', () => {
    expect(PROTOBUF_DIFFERENCE_TYPES.filter((k) => isCompatibleProtobufChange(k)).sort()).toEqual([...CONFLUENT_PROTOBUF].sort());
  });
});
