/**
 * Avro compatibility (src/schema/avro-compat.ts): every kind of difference on a pair made for
 * it, judged in each mode; then the verdict held against the avsc library's own schema
 * resolution over many random schema changes (the breaking readings must have a witness, a
 * value one schema writes and the other cannot read, and the compatible ones none).
 */
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { diffAvro, type AvroJson } from '../../src/schema/avro-compat.js';
import { checkAvroPair, findWitness } from '../../src/schema/avro-schema.js';
import { seededRandom } from '../helpers.js';

const rec = (fields: unknown[], extra: Record<string, unknown> = {}): AvroJson => ({ type: 'record', name: 'Order', namespace: 'acme', fields, ...extra });
const kinds = (w: AvroJson, r: AvroJson) => diffAvro(w, r).map((d) => `${d.type} ${d.path}`);

describe('Avro differences, one kind each', () => {
  const side = { type: 'enum', name: 'Side', symbols: ['BUY', 'SELL'] };
  const cases: { name: string; writer: AvroJson; reader: AvroJson; expect: string[] }[] = [
    { name: 'a field added with a default', writer: rec([{ name: 'qty', type: 'int' }]), reader: rec([{ name: 'qty', type: 'int' }, { name: 'tif', type: 'string', default: 'DAY' }]), expect: ['FIELD_ADDED_WITH_DEFAULT /fields/tif'] },
    { name: 'a field added without a default', writer: rec([{ name: 'qty', type: 'int' }]), reader: rec([{ name: 'qty', type: 'int' }, { name: 'tif', type: 'string' }]), expect: ['READER_FIELD_MISSING_DEFAULT_VALUE /fields/tif'] },
    { name: 'a field removed', writer: rec([{ name: 'qty', type: 'int' }, { name: 'note', type: 'string' }]), reader: rec([{ name: 'qty', type: 'int' }]), expect: ['FIELD_REMOVED /fields/note'] },
    { name: 'a field renamed with an alias', writer: rec([{ name: 'qty', type: 'int' }]), reader: rec([{ name: 'quantity', aliases: ['qty'], type: 'int' }]), expect: ['FIELD_RENAMED_WITH_ALIAS /fields/quantity'] },
    { name: 'int promoted to long', writer: rec([{ name: 'qty', type: 'int' }]), reader: rec([{ name: 'qty', type: 'long' }]), expect: ['TYPE_PROMOTED /fields/qty/type'] },
    { name: 'long narrowed to int', writer: rec([{ name: 'qty', type: 'long' }]), reader: rec([{ name: 'qty', type: 'int' }]), expect: ['TYPE_MISMATCH /fields/qty/type'] },
    { name: 'string to bytes', writer: rec([{ name: 'id', type: 'string' }]), reader: rec([{ name: 'id', type: 'bytes' }]), expect: ['TYPE_PROMOTED /fields/id/type'] },
    { name: 'a record renamed', writer: rec([]), reader: { type: 'record', name: 'Trade', fields: [] }, expect: ['NAME_MISMATCH /'] },
    { name: 'a record renamed with an alias', writer: rec([]), reader: { type: 'record', name: 'Trade', namespace: 'acme', aliases: ['Order'], fields: [] }, expect: ['NAME_MATCHED_BY_ALIAS /'] },
    { name: 'an enum symbol removed', writer: rec([{ name: 'side', type: { ...side, symbols: ['BUY', 'SELL', 'SHORT'] } }]), reader: rec([{ name: 'side', type: side }]), expect: ['MISSING_ENUM_SYMBOLS /fields/side/type/symbols/SHORT'] },
    { name: 'an enum symbol removed, read as the default', writer: rec([{ name: 'side', type: { ...side, symbols: ['BUY', 'SELL', 'SHORT'] } }]), reader: rec([{ name: 'side', type: { ...side, default: 'SELL' } }]), expect: ['ENUM_SYMBOL_REMOVED_WITH_DEFAULT /fields/side/type/symbols/SHORT'] },
    { name: 'an enum symbol added', writer: rec([{ name: 'side', type: side }]), reader: rec([{ name: 'side', type: { ...side, symbols: ['BUY', 'SELL', 'SHORT'] } }]), expect: ['ENUM_SYMBOL_ADDED /fields/side/type/symbols/SHORT'] },
    { name: 'a fixed size changed', writer: { type: 'fixed', name: 'Hash', size: 16 }, reader: { type: 'fixed', name: 'Hash', size: 32 }, expect: ['FIXED_SIZE_MISMATCH /size'] },
    { name: 'a union branch removed', writer: rec([{ name: 'px', type: ['null', 'double', 'string'] }]), reader: rec([{ name: 'px', type: ['null', 'double'] }]), expect: ['MISSING_UNION_BRANCH /fields/px/type/2'] },
    { name: 'a union branch added', writer: rec([{ name: 'px', type: ['null', 'double'] }]), reader: rec([{ name: 'px', type: ['null', 'double', 'string'] }]), expect: ['UNION_BRANCH_ADDED /fields/px/type/2'] },
    { name: 'a type widened to a union', writer: rec([{ name: 'px', type: 'double' }]), reader: rec([{ name: 'px', type: ['null', 'double'] }]), expect: ['TYPE_WIDENED_TO_UNION /fields/px/type'] },
    { name: 'a union narrowed to one of its types', writer: rec([{ name: 'px', type: ['null', 'double'] }]), reader: rec([{ name: 'px', type: 'double' }]), expect: ['TYPE_MISMATCH /fields/px/type/0'] },
    { name: 'array items promoted', writer: { type: 'array', items: 'float' }, reader: { type: 'array', items: 'double' }, expect: ['TYPE_PROMOTED /items'] },
    { name: 'map values changed', writer: { type: 'map', values: 'string' }, reader: { type: 'map', values: 'int' }, expect: ['TYPE_MISMATCH /values'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(kinds(c.writer, c.reader)).toEqual(c.expect);
    });
  }

  it('a recursive record is compared once per pair of named types', () => {
    const node = (extra: unknown[]) => ({ type: 'record', name: 'Node', fields: [{ name: 'next', type: ['null', 'Node'] }, ...extra] });
    expect(kinds(node([]), node([{ name: 'v', type: 'int', default: 0 }]))).toEqual(['FIELD_ADDED_WITH_DEFAULT /fields/v']);
  });

  it('the record names compare unqualified, as Avro Java and Confluent do (avsc asks for the same namespace)', () => {
    expect(kinds({ type: 'record', name: 'a.Order', fields: [] }, { type: 'record', name: 'b.Order', fields: [] })).toEqual([]);
  });
});

describe('modes', () => {
  const v1 = rec([{ name: 'qty', type: 'int' }]);
  const v2 = rec([{ name: 'qty', type: 'int' }, { name: 'tif', type: 'string' }]);
  it('a field added without a default breaks BACKWARD, not FORWARD, and FULL with the reading named', () => {
    expect(checkAvroPair(v1, v2, 'BACKWARD').compatible).toBe(false);
    expect(checkAvroPair(v1, v2, 'FORWARD').compatible).toBe(true);
    const full = checkAvroPair(v1, v2, 'FULL');
    expect(full.compatible).toBe(false);
    expect(full.changes.map((c) => [c.direction, c.type, c.breaking])).toEqual([
      ['backward', 'READER_FIELD_MISSING_DEFAULT_VALUE', true],
      ['forward', 'FIELD_REMOVED', false],
    ]);
    expect(full.witnesses.map((w) => w.direction)).toEqual(['backward']);
    expect(checkAvroPair(v1, v2, 'NONE').compatible).toBe(true);
  });
});

// --- against avsc -------------------------------------------------------------------------------

const rng = seededRandom;

type Json = any;
const PRIMS = ['int', 'long', 'float', 'double', 'string', 'bytes', 'boolean'];

function generate(rand: () => number, depth: number, names: { n: number }): Json {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const r = rand();
  if (depth <= 0 || r < 0.4) return pick(PRIMS);
  if (r < 0.5) return { type: 'enum', name: `E${names.n++}`, symbols: ['A', 'B', 'C'].slice(0, 1 + Math.floor(rand() * 3)) };
  if (r < 0.6) return { type: 'array', items: generate(rand, depth - 1, names) };
  if (r < 0.7) return { type: 'map', values: generate(rand, depth - 1, names) };
  if (r < 0.8) return ['null', pick(PRIMS)];
  const fields = Array.from({ length: 1 + Math.floor(rand() * 3) }, (_, i) => ({ name: `f${i}`, type: generate(rand, depth - 1, names) }));
  return { type: 'record', name: `R${names.n++}`, fields };
}

/** One random change somewhere in the schema (a copy). */
function mutate(rand: () => number, schema: Json): Json {
  const copy = structuredClone(schema);
  const spots: { get: () => Json; set: (v: Json) => void }[] = [];
  const visit = (get: () => Json, set: (v: Json) => void) => {
    spots.push({ get, set });
    const s = get();
    if (Array.isArray(s)) s.forEach((_, i) => visit(() => get()[i], (v) => { get()[i] = v; }));
    else if (s && typeof s === 'object') {
      if (s.type === 'record') s.fields.forEach((f: Json) => visit(() => f.type, (v) => { f.type = v; }));
      if (s.type === 'array') visit(() => s.items, (v) => { s.items = v; });
      if (s.type === 'map') visit(() => s.values, (v) => { s.values = v; });
    }
  };
  let root = copy;
  visit(() => root, (v) => { root = v; });
  const spot = spots[Math.floor(rand() * spots.length)]!;
  const s = spot.get();
  const r = rand();
  if (typeof s === 'string') {
    if (r < 0.6) spot.set(PRIMS[Math.floor(rand() * PRIMS.length)]);
    else spot.set(r < 0.8 ? ['null', s] : [s, 'null']);
  } else if (Array.isArray(s)) {
    if (r < 0.5 && s.length > 1) spot.set(s.slice(0, -1));
    else spot.set([...s, s.includes('string') ? 'long' : 'string']);
  } else if (s.type === 'enum') {
    if (r < 0.3) s.symbols = [...s.symbols, 'Z'];
    else if (r < 0.6 && s.symbols.length > 1) s.symbols = s.symbols.slice(1);
    else if (r < 0.8 && s.symbols.length > 1) { s.symbols = s.symbols.slice(1); s.default = s.symbols[0]; }
    else { s.name = `${s.name}x`; if (rand() < 0.5) s.aliases = [s.name.slice(0, -1)]; }
  } else if (s.type === 'record') {
    if (r < 0.25) s.fields.push({ name: `g${s.fields.length}`, type: 'int', default: 0 });
    else if (r < 0.45) s.fields.push({ name: `g${s.fields.length}`, type: 'string' });
    else if (r < 0.65 && s.fields.length > 1) s.fields.splice(Math.floor(rand() * s.fields.length), 1);
    else if (r < 0.85) { const f = s.fields[0]; f.aliases = [f.name]; f.name = `${f.name}_renamed`; if (rand() < 0.3) delete f.aliases; }
    else { s.name = `${s.name}x`; if (rand() < 0.5) s.aliases = [s.name.slice(0, -1)]; }
  } else spot.set(PRIMS[Math.floor(rand() * PRIMS.length)]);
  return root;
}

function validAvro(schema: Json): boolean {
  try {
    avro.Type.forSchema(schema);
    return true;
  } catch {
    return false;
  }
}

describe('the verdict agrees with avsc', () => {
  it('over 1,000 random changes, in both readings: breaking exactly when avsc cannot read some written value', () => {
    let breaking = 0;
    let checked = 0;
    for (let seed = 1; seed <= 1000; seed++) {
      const rand = rng(seed);
      const names = { n: 0 };
      const a = { type: 'record', name: 'Root', fields: [{ name: 'x', type: generate(rand, 3, names) }, { name: 'y', type: generate(rand, 2, names) }] };
      const b = mutate(rand, a);
      if (!validAvro(b)) continue; // e.g. a union wrapped in a union: not a schema
      for (const [w, r] of [[a, b], [b, a]]) {
        const ours = diffAvro(w, r).some((d) => !['FIELD_ADDED_WITH_DEFAULT', 'FIELD_REMOVED', 'FIELD_RENAMED_WITH_ALIAS', 'NAME_MATCHED_BY_ALIAS', 'TYPE_PROMOTED', 'ENUM_SYMBOL_ADDED', 'ENUM_SYMBOL_REMOVED_WITH_DEFAULT', 'UNION_BRANCH_ADDED', 'TYPE_WIDENED_TO_UNION'].includes(d.type));
        const witness = findWitness(w, r, 300);
        if (ours !== (witness !== undefined)) {
          throw new Error(`seed ${seed}: evtrail says ${ours ? 'breaking' : 'compatible'}, avsc ${witness ? `cannot read ${witness.value} (${witness.error})` : 'reads every value tried'}\nwriter ${JSON.stringify(w)}\nreader ${JSON.stringify(r)}`);
        }
        checked++;
        if (ours) breaking++;
      }
    }
    // The changes are not all of one kind: both verdicts are well represented.
    console.log(`avro property: ${checked} readings, ${breaking} breaking`);
    expect(checked).toBeGreaterThan(1600);
    expect(breaking).toBeGreaterThan(400);
    expect(checked - breaking).toBeGreaterThan(400);
  });
});

describe('the reference\'s table of change kinds (docs/reference.md)', () => {
  it('is the one the checker\'s code makes (npm run docs:change-kinds rewrites it)', async () => {
    const fs = await import('node:fs');
    const path = await import('node:path');
    const { changeKindsMarkdown } = await import('../../src/schema/change-kinds.js');
    const readme = fs.readFileSync(path.resolve(import.meta.dirname, '..', '..', 'docs', 'reference.md'), 'utf8');
    expect(readme).toContain(changeKindsMarkdown());
  });
});
