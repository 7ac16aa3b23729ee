/**
 * Avro schema compatibility by Avro's own schema resolution rules (the specification's "Schema
 * Resolution" section; the kinds of incompatibility are those Avro's SchemaCompatibility reports
 * and Confluent's registry shows): diff a *writer* schema (the data's) against a *reader*
 * schema, name every difference with a path, and say whether it stops the reader reading the
 * writer's data. BACKWARD reads old data with the new schema, FORWARD the reverse (compat.ts
 * has the modes).
 *
 * Pure logic: no I/O. Parsing and validation of the documents, and the witnesses (a value that
 * one schema writes and the other cannot read), are avro-schema.ts's, on the avsc library.
 */
import type { Direction } from './compat.js';

export type AvroJson = string | AvroJson[] | { [key: string]: unknown };

type Primitive = 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string';
const PRIMITIVES = new Set<string>(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

interface Named {
  fullName: string;
  name: string;
  aliases: string[];
}
type AvroNode =
  | { kind: 'primitive'; type: Primitive }
  | (Named & { kind: 'record'; fields: AvroField[] })
  | (Named & { kind: 'enum'; symbols: string[]; default?: string })
  | (Named & { kind: 'fixed'; size: number })
  | { kind: 'array'; items: AvroNode }
  | { kind: 'map'; values: AvroNode }
  | { kind: 'union'; branches: AvroNode[] };
interface AvroField {
  name: string;
  aliases: string[];
  type: AvroNode;
  hasDefault: boolean;
}

/** The kinds of difference. `true`: the reader still reads every value the writer wrote. */
const KINDS = {
  // Avro's incompatibilities (SchemaCompatibility.SchemaIncompatibilityType).
  TYPE_MISMATCH: [false, 'the {R} schema has another type here, which {W} values cannot be resolved to'],
  NAME_MISMATCH: [false, 'the named type has another name in the {R} schema and no alias for the {W} name'],
  FIXED_SIZE_MISMATCH: [false, 'the fixed size changed: {W} values have the other length'],
  MISSING_ENUM_SYMBOLS: [false, 'the {R} enum lacks a symbol the {W} schema writes and has no default symbol to read it as'],
  READER_FIELD_MISSING_DEFAULT_VALUE: [false, 'the {R} record has a field the {W} data lacks, with no default to fill it'],
  MISSING_UNION_BRANCH: [false, 'the {W} schema writes a type here that no branch of the {R} union accepts'],
  // Differences the resolution rules absorb.
  FIELD_ADDED_WITH_DEFAULT: [true, 'a field the {W} data lacks is filled from its default in the {R} schema'],
  FIELD_REMOVED: [true, 'a field the {W} data holds is not in the {R} schema: the reader skips it'],
  FIELD_RENAMED_WITH_ALIAS: [true, 'the field has another name in the {R} schema, whose aliases name the {W} field'],
  NAME_MATCHED_BY_ALIAS: [true, 'the named type has another name in the {R} schema, whose aliases name the {W} type'],
  TYPE_PROMOTED: [true, 'the {W} type is promoted to the {R} type (int → long, float, double; long → float, double; float → double; string ↔ bytes)'],
  ENUM_SYMBOL_ADDED: [true, 'the {R} enum has a symbol the {W} schema never writes'],
  ENUM_SYMBOL_REMOVED_WITH_DEFAULT: [true, 'the {R} enum lacks a symbol the {W} schema writes, which reads as the {R} enum default'],
  UNION_BRANCH_ADDED: [true, 'the {R} union accepts a type the {W} schema never writes'],
  TYPE_WIDENED_TO_UNION: [true, 'the {R} schema is a union with a branch that reads the {W} type'],
} as const;

export type AvroDifferenceType = keyof typeof KINDS;
export const AVRO_DIFFERENCE_TYPES = Object.keys(KINDS) as AvroDifferenceType[];

export interface AvroDifference {
  type: AvroDifferenceType;
  /** Where, as a path through the reader schema's structure: `/fields/qty/type`, `/items`, `/1` (union branch). */
  path: string;
}

export function isCompatibleAvroChange(type: AvroDifferenceType): boolean {
  return KINDS[type][0];
}

export function avroReasonFor(type: AvroDifferenceType, direction: Direction): string {
  const [w, r] = direction === 'backward' ? ['old', 'new'] : ['new', 'old'];
  return KINDS[type][1].replaceAll('{W}', w).replaceAll('{R}', r);
}

// --- parsing the JSON form into a graph (named types are shared, so recursion is a cycle) ----

class AvroParseError extends Error {}

/** The schema as a graph; throws AvroParseError on what the specification does not allow. */
export function parseAvro(schema: AvroJson): AvroNode {
  const named = new Map<string, AvroNode>();
  return parseNode(schema, '', named);
}

function fullNameOf(name: string, namespace: string): string {
  return name.includes('.') || namespace === '' ? name : `${namespace}.${name}`;
}

function parseNode(s: unknown, namespace: string, named: Map<string, AvroNode>): AvroNode {
  if (typeof s === 'string') {
    if (PRIMITIVES.has(s)) return { kind: 'primitive', type: s as Primitive };
    const ref = named.get(fullNameOf(s, namespace)) ?? named.get(s);
    if (!ref) throw new AvroParseError(`unknown type ${s}`);
    return ref;
  }
  if (Array.isArray(s)) return { kind: 'union', branches: s.map((b) => parseNode(b, namespace, named)) };
  if (typeof s !== 'object' || s === null) throw new AvroParseError(`not a schema: ${JSON.stringify(s)}`);
  const o = s as Record<string, unknown>;
  const type = o.type;
  if (typeof type === 'string' && PRIMITIVES.has(type)) return { kind: 'primitive', type: type as Primitive };
  if (type === 'array') return { kind: 'array', items: parseNode(o.items, namespace, named) };
  if (type === 'map') return { kind: 'map', values: parseNode(o.values, namespace, named) };
  if (type === 'record' || type === 'error' || type === 'enum' || type === 'fixed') {
    if (typeof o.name !== 'string') throw new AvroParseError(`a ${type} needs a name`);
    const ns = o.name.includes('.') ? o.name.slice(0, o.name.lastIndexOf('.')) : typeof o.namespace === 'string' ? o.namespace : namespace;
    const fullName = fullNameOf(o.name, ns);
    const base: Named = {
      fullName,
      name: fullName.slice(fullName.lastIndexOf('.') + 1),
      aliases: (Array.isArray(o.aliases) ? o.aliases.map(String) : []).map((a) => fullNameOf(a, ns)),
    };
    if (type === 'enum') {
      const node: AvroNode = { ...base, kind: 'enum', symbols: (o.symbols as unknown[]).map(String), ...(typeof o.default === 'string' ? { default: o.default } : {}) };
      named.set(fullName, node);
      return node;
    }
    if (type === 'fixed') {
      const node: AvroNode = { ...base, kind: 'fixed', size: Number(o.size) };
      named.set(fullName, node);
      return node;
    }
    const node: AvroNode & { kind: 'record' } = { ...base, kind: 'record', fields: [] };
    named.set(fullName, node); // before the fields: a field may refer to its own record
    for (const f of (o.fields as Record<string, unknown>[]) ?? []) {
      node.fields.push({
        name: String(f.name),
        aliases: Array.isArray(f.aliases) ? f.aliases.map(String) : [],
        type: parseNode(f.type, ns, named),
        hasDefault: 'default' in f,
      });
    }
    return node;
  }
  // {"type": "OrderPlaced"}: a reference written as an object, or a primitive with attributes.
  if (typeof type === 'string' || Array.isArray(type) || (typeof type === 'object' && type !== null)) return parseNode(type, namespace, named);
  throw new AvroParseError(`not a schema: ${JSON.stringify(s).slice(0, 80)}`);
}

export { AvroParseError };

// --- resolution ---------------------------------------------------------------------------------

const PROMOTIONS: Record<string, readonly string[]> = {
  int: ['long', 'float', 'double'],
  long: ['float', 'double'],
  float: ['double'],
  string: ['bytes'],
  bytes: ['string'],
};

interface Walk {
  out: AvroDifference[];
  /** Pairs of named types already being compared (recursive schemas). */
  seen: Set<string>;
}

/** Every difference between the writer's and the reader's schema, in the order the reader's schema has them. */
export function diffAvro(writer: AvroJson, reader: AvroJson): AvroDifference[] {
  const walk: Walk = { out: [], seen: new Set() };
  compare(walk, parseAvro(writer), parseAvro(reader), '');
  return walk.out;
}

/** Whether the reader reads the writer's values at this place, without recording anything. */
function resolves(w: AvroNode, r: AvroNode, seen: Set<string>): boolean {
  const probe: Walk = { out: [], seen: new Set(seen) };
  compare(probe, w, r, '');
  return probe.out.every((d) => isCompatibleAvroChange(d.type));
}

function namesMatch(w: Named, r: Named): 'same' | 'alias' | false {
  if (w.name === r.name) return 'same';
  return r.aliases.some((a) => a === w.fullName || a.slice(a.lastIndexOf('.') + 1) === w.name) ? 'alias' : false;
}

function compare(walk: Walk, w: AvroNode, r: AvroNode, at: string): void {
  const add = (type: AvroDifferenceType, path = at): void => {
    walk.out.push({ type, path: path === '' ? '/' : path });
  };
  if (w.kind === 'union') {
    if (r.kind === 'union') {
      w.branches.forEach((wb, i) => {
        const j = r.branches.findIndex((rb) => resolves(wb, rb, walk.seen));
        if (j < 0) add('MISSING_UNION_BRANCH', `${at}/${i}`);
        else compare(walk, wb, r.branches[j]!, `${at}/${j}`);
      });
      r.branches.forEach((rb, j) => {
        if (!w.branches.some((wb) => resolves(wb, rb, walk.seen))) add('UNION_BRANCH_ADDED', `${at}/${j}`);
      });
    } else {
      // Every branch the writer may have written must resolve against the reader.
      w.branches.forEach((wb, i) => compare(walk, wb, r, `${at}/${i}`));
    }
    return;
  }
  if (r.kind === 'union') {
    const j = r.branches.findIndex((rb) => resolves(w, rb, walk.seen));
    if (j < 0) return add('MISSING_UNION_BRANCH');
    add('TYPE_WIDENED_TO_UNION');
    compare(walk, w, r.branches[j]!, `${at}/${j}`);
    return;
  }
  if (w.kind === 'primitive' && r.kind === 'primitive') {
    if (w.type === r.type) return;
    return add(PROMOTIONS[w.type]?.includes(r.type) ? 'TYPE_PROMOTED' : 'TYPE_MISMATCH');
  }
  if (w.kind !== r.kind) return add('TYPE_MISMATCH');
  switch (r.kind) {
    case 'array':
      return compare(walk, (w as typeof r).items, r.items, `${at}/items`);
    case 'map':
      return compare(walk, (w as typeof r).values, r.values, `${at}/values`);
    case 'fixed': {
      const wf = w as typeof r;
      const names = namesMatch(wf, r);
      if (!names) return add('NAME_MISMATCH');
      if (names === 'alias') add('NAME_MATCHED_BY_ALIAS');
      if (wf.size !== r.size) add('FIXED_SIZE_MISMATCH', `${at}/size`);
      return;
    }
    case 'enum': {
      const we = w as typeof r;
      const names = namesMatch(we, r);
      if (!names) return add('NAME_MISMATCH');
      if (names === 'alias') add('NAME_MATCHED_BY_ALIAS');
      const missing = we.symbols.filter((s) => !r.symbols.includes(s));
      const covered = r.default !== undefined && r.symbols.includes(r.default);
      for (const s of missing) add(covered ? 'ENUM_SYMBOL_REMOVED_WITH_DEFAULT' : 'MISSING_ENUM_SYMBOLS', `${at}/symbols/${s}`);
      for (const s of r.symbols) if (!we.symbols.includes(s)) add('ENUM_SYMBOL_ADDED', `${at}/symbols/${s}`);
      return;
    }
    case 'record': {
      const wr = w as typeof r;
      const names = namesMatch(wr, r);
      if (!names) return add('NAME_MISMATCH');
      const key = `${wr.fullName}|${r.fullName}`;
      if (walk.seen.has(key)) return;
      walk.seen.add(key);
      if (names === 'alias') add('NAME_MATCHED_BY_ALIAS');
      const used = new Set<string>();
      for (const rf of r.fields) {
        const path = `${at}/fields/${rf.name}`;
        const byName = wr.fields.find((f) => f.name === rf.name);
        const wf = byName ?? wr.fields.find((f) => rf.aliases.includes(f.name));
        if (wf) {
          used.add(wf.name);
          if (!byName) add('FIELD_RENAMED_WITH_ALIAS', path);
          compare(walk, wf.type, rf.type, `${path}/type`);
        } else add(rf.hasDefault ? 'FIELD_ADDED_WITH_DEFAULT' : 'READER_FIELD_MISSING_DEFAULT_VALUE', path);
      }
      for (const wf of wr.fields) if (!used.has(wf.name)) add('FIELD_REMOVED', `${at}/fields/${wf.name}`);
      return;
    }
    default:
      return;
  }
}
