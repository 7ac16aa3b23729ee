/**
 * The pure parts of schema evolution: a schema from field statistics (buildSchema), the SQL
 * subset check's prefilter uses (sqlSubset), Ajv's verdicts in plain words (judge), registry
 * file names, nanosecond times.
 */
import { describe, expect, it } from 'vitest';
import { ENUM_MAX_VALUES, ENUM_MIN_EVENTS_PER_VALUE, buildSchema, type FieldStats, type GroupStats } from '../../src/schema/infer.js';
import { compileSchema, registryFileName } from '../../src/schema/registry.js';
import { isoFromNs } from '../../src/schema/timeline.js';
import { SAFE_DATE_TIME_PATTERN, judge, sqlSubset } from '../../src/schema/validate.js';

const group: GroupStats = { type: 'OrderPlaced', version: 2, events: 100, objects: 100, firstKeys: ['orderId', 'side', 'qty'] };
const field = (key: string, over: Partial<FieldStats>): FieldStats => ({ key, present: 100, kinds: 1, strings: 100, topStrings: null, notDateTime: 100, ...over });
const q = (s: string) => JSON.stringify(s);

describe('buildSchema', () => {
  it('required = present in every event; properties in the first event\'s order, then by presence', () => {
    const s = buildSchema(group, [field('extra', { present: 30 }), field('qty', { kinds: 64, strings: 0 }), field('orderId', {}), field('side', { present: 99 })]) as any;
    expect(Object.keys(s.properties)).toEqual(['orderId', 'side', 'qty', 'extra']);
    expect(s.required).toEqual(['orderId', 'qty']);
    expect(s['x-evtrail-inferred'].presence.side).toEqual({ count: 99, share: 0.99 });
    expect(s['x-evtrail-inferred'].presence.extra).toEqual({ count: 30, share: 0.3 });
    expect(s['x-evtrail-type']).toBe('OrderPlaced');
    expect(s['x-evtrail-version']).toBe(2);
    expect(s.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  });

  it('types: integer alone; integer with fractions is number; mixed kinds are a type list', () => {
    const s = buildSchema(group, [field('a', { kinds: 64 }), field('b', { kinds: 64 | 32 }), field('c', { kinds: 64 | 1, strings: 3 }), field('d', { kinds: 8 | 16 })]) as any;
    expect(s.properties.a).toEqual({ type: 'integer' });
    expect(s.properties.b).toEqual({ type: 'number' });
    expect(s.properties.c).toEqual({ type: ['string', 'integer'] });
    expect(s.properties.d).toEqual({ type: ['boolean', 'null'] });
  });

  it(`enum: at most ${ENUM_MAX_VALUES} distinct strings, each in ${ENUM_MIN_EVENTS_PER_VALUE}+ events on average`, () => {
    const values = (n: number) => Array.from({ length: n }, (_, i) => q(`V${i}`));
    const s = buildSchema(group, [
      field('side', { topStrings: [q('SELL'), q('BUY')] }),
      field('many', { topStrings: values(ENUM_MAX_VALUES + 1) }),
      field('ten', { topStrings: values(ENUM_MAX_VALUES) }),
      field('rare', { strings: 14, present: 14, topStrings: values(3) }), // 14 < 5 × 3
      field('common', { strings: 15, present: 15, topStrings: values(3) }),
      field('mixed', { kinds: 1 | 64, topStrings: [q('x')] }),
    ]) as any;
    expect(s.properties.side).toEqual({ type: 'string', enum: ['BUY', 'SELL'] });
    expect(s.properties.many).toEqual({ type: 'string' });
    expect(s.properties.ten.enum).toHaveLength(ENUM_MAX_VALUES);
    expect(s.properties.rare).toEqual({ type: 'string' });
    expect(s.properties.common).toEqual({ type: 'string', enum: ['V0', 'V1', 'V2'] });
    expect(s.properties.mixed).toEqual({ type: ['string', 'integer'] });
  });

  it('format date-time only when every string value is one', () => {
    const s = buildSchema(group, [field('at', { notDateTime: 0 }), field('almost', { notDateTime: 1 }), field('none', { kinds: 64, strings: 0, notDateTime: 0 })]) as any;
    expect(s.properties.at).toEqual({ type: 'string', format: 'date-time' });
    expect(s.properties.almost).toEqual({ type: 'string' });
    expect(s.properties.none).toEqual({ type: 'integer' });
  });

  it('the inferred schema is a valid 2020-12 schema Ajv compiles', () => {
    const s = buildSchema(group, [field('orderId', {}), field('at', { notDateTime: 0 })]);
    const validate = compileSchema('x', s as any);
    expect(validate({ orderId: 'o', at: '2025-08-26T09:30:00.123456789Z' })).toBe(true);
    expect(validate({ orderId: 'o', at: 'yesterday' })).toBe(false);
  });
});

describe('sqlSubset (the prefilter of check)', () => {
  const target = (schema: any) => ({ type: 'T', version: 1, file: 'T.v1.json', schema });
  it('keeps the pack-style subset, drops x-* annotations, turns date-time into a conservative pattern', () => {
    const s = sqlSubset(target({ type: 'object', 'x-evtrail-inferred': { events: 1 }, required: ['a'], properties: { a: { type: 'string', format: 'date-time' }, b: { enum: ['X'] } } }));
    expect(s).not.toBeNull();
    expect(s!.json.properties.a).toEqual({ type: 'string', pattern: SAFE_DATE_TIME_PATTERN });
  });
  it('refuses what the subset cannot say: other formats, nesting, combiners, closed objects', () => {
    expect(sqlSubset(target({ type: 'object', properties: { a: { type: 'string', format: 'email' } } }))).toBeNull();
    expect(sqlSubset(target({ type: 'object', properties: { a: { type: 'object', properties: { b: { type: 'string' } } } } }))).toBeNull();
    expect(sqlSubset(target({ allOf: [{ type: 'object' }] }))).toBeNull();
    expect(sqlSubset(target({ type: 'object', additionalProperties: false, properties: {} }))).toBeNull();
    expect(sqlSubset(target(true))).toBeNull();
  });
  it('the date-time pattern accepts only what ajv-formats accepts', () => {
    const re = new RegExp(SAFE_DATE_TIME_PATTERN);
    const validate = compileSchema('x', { type: 'string', format: 'date-time' });
    for (const t of ['2025-08-26T09:30:00Z', '2025-08-26T09:30:00.123456789+02:00', '2025-02-28T23:59:59-05:30']) {
      expect(re.test(t), t).toBe(true);
      expect(validate(t), t).toBe(true);
    }
    for (const t of ['2025-02-29T00:00:00Z', '2025-08-26T24:00:00Z', '2025-08-26T09:30:00', '2025-13-01T00:00:00Z', '2025-08-26 09:30:00Z']) expect(re.test(t), t).toBe(false);
  });
});

describe('judge (Ajv in plain words)', () => {
  const validate = compileSchema('OrderPlaced.v1.json', {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    required: ['qty', 'side'],
    properties: { qty: { type: 'integer' }, side: { enum: ['BUY', 'SELL'] }, venue: { type: 'object', additionalProperties: false, properties: { mic: { type: 'string' } } } },
  });
  it('every error with the path of the field, a missing one included', () => {
    expect(judge(validate, '{"qty":1,"side":"BUY"}')).toEqual([]);
    expect(judge(validate, '{"qty":"100","side":"HOLD","venue":{"mic":1,"x":2}}')).toEqual([
      { path: '/qty', message: 'must be integer (got "100")' },
      { path: '/side', message: 'must be one of "BUY", "SELL" (got "HOLD")' },
      { path: '/venue/x', message: 'property not allowed (additionalProperties is false)' },
      { path: '/venue/mic', message: 'must be string (got 1)' },
    ]);
    expect(judge(validate, '{"side":"BUY"}')).toEqual([{ path: '/qty', message: 'missing required property qty' }]);
    expect(judge(validate, null)).toEqual([{ path: '', message: 'must be object (got null)' }]);
  });
});

describe('registry file names and times', () => {
  it('a type is its own file name unless it has characters a file name cannot hold', () => {
    expect(registryFileName('OrderPlaced', 2)).toBe('OrderPlaced.v2.json');
    expect(registryFileName('com.acme.order-placed', 1)).toBe('com.acme.order-placed.v1.json');
    expect(registryFileName('a/b', 1)).toBe('a%2Fb.v1.json');
    expect(registryFileName('..', 1)).toBe('%2E%2E.v1.json');
  });
  it('isoFromNs keeps nine digits, before 1970 too', () => {
    expect(isoFromNs('1756200600123456789')).toBe('2025-08-26T09:30:00.123456789Z');
    expect(isoFromNs('-1')).toBe('1969-12-31T23:59:59.999999999Z');
    expect(isoFromNs(null)).toBeNull();
  });
});
