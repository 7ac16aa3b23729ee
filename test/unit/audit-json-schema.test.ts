/** The schema subset and its fast path, against an independent plain-JS validator. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fastPathRegex, parseEventSchema, type EventSchema } from '../../src/audit/json-schema.js';
import { ROOT } from '../helpers.js';
import { craftedData, referenceValid } from '../schema-reference.js';

const dir = path.join(ROOT, 'src', 'packs', 'trading', 'schemas');
const schemas: EventSchema[] = fs.readdirSync(dir).map((f) => parseEventSchema(f, JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))));

describe('trading pack schemas', () => {
  it('cover the vocabulary, OrderPlaced v1 and v2 included', () => {
    const pack = JSON.parse(fs.readFileSync(path.join(ROOT, 'src', 'packs', 'trading', 'pack.json'), 'utf8'));
    expect([...new Set(schemas.map((s) => s.type))].sort()).toEqual([...pack.vocabulary].sort());
    expect(schemas.filter((s) => s.type === 'OrderPlaced').map((s) => s.version).sort()).toEqual([1, 2]);
  });

  it('every one has a fast path', () => {
    for (const s of schemas) expect(fastPathRegex(s), `${s.type} v${s.version}`).not.toBeNull();
  });
});

describe('the fast path (one regular expression over the data text)', () => {
  it('never accepts data the reference refuses, and accepts compact data in the schema order', () => {
    let accepted = 0;
    let refused = 0;
    for (const s of schemas) {
      const re = new RegExp(`^(?:${fastPathRegex(s)!})$`, 'u');
      const data = craftedData(s.json);
      expect(re.test(JSON.stringify(data[0])), `${s.type}: the valid object in order`).toBe(true);
      for (const d of data) {
        const text = JSON.stringify(d);
        if (re.test(text)) {
          accepted++;
          expect(referenceValid(s.json, d), `${s.type} accepted ${text}`).toBe(true);
        } else if (!referenceValid(s.json, d)) refused++;
      }
    }
    // Both sides were exercised.
    expect(accepted).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(300);
  });

  it('has none for constraints it cannot express exactly', () => {
    const schema = (properties: Record<string, unknown>, required = Object.keys(properties)) =>
      parseEventSchema('x.json', { 'x-evtrail-type': 'X', 'x-evtrail-version': 1, type: 'object', required, properties });
    expect(fastPathRegex(schema({ a: { type: 'integer', minimum: 5 } }))).toBeNull();
    expect(fastPathRegex(schema({ a: { type: 'string', minLength: 2 } }))).toBeNull();
    expect(fastPathRegex(schema({ a: { type: 'string', pattern: '^a.b$' } }))).toBeNull();
    expect(fastPathRegex(schema({ a: { type: ['string', 'null'] } }))).toBeNull();
    expect(fastPathRegex(schema({ a: { type: 'object' } }))).toBeNull();
    expect(fastPathRegex(schema({ a: { type: 'string' }, b: { type: 'string' } }, ['b']))).toBeNull(); // first field optional
    expect(fastPathRegex(schema({ a: { type: 'string', pattern: '^[A-Z]{3}$' } }))).toBe('\\{"a":"[A-Z]{3}"\\}');
  });
});

describe('schema files', () => {
  const base = { 'x-evtrail-type': 'X', 'x-evtrail-version': 1, type: 'object', properties: { a: { type: 'string' } } };
  it('refuse what the subset does not support, naming the field', () => {
    expect(() => parseEventSchema('x.json', { ...base, properties: { a: { type: 'string', format: 'date', oneOf: [] } } })).toThrow(/^properties\.a: not supported: oneOf$/);
    expect(() => parseEventSchema('x.json', { ...base, additionalProperties: false })).toThrow(/additionalProperties: only true is supported/);
    expect(() => parseEventSchema('x.json', { ...base, required: ['b'] })).toThrow(/required: b is not in properties/);
    expect(() => parseEventSchema('x.json', { ...base, 'x-evtrail-version': 0 })).toThrow(/x-evtrail-version/);
    expect(() => parseEventSchema('x.json', { ...base, properties: { a: { pattern: '(' } } })).toThrow(/properties\.a\.pattern: not a valid regular expression/);
    expect(parseEventSchema('x.json', base)).toMatchObject({ type: 'X', version: 1 });
  });
});
