/**
 * An independent, plain-JS validator for the JSON Schema subset evtrail supports, and crafted
 * data around a schema (valid, and broken one way at a time), for the audit's schema tests.
 */
import type { EventSchemaJson } from '../src/audit/json-schema.js';

type Prop = EventSchemaJson['properties'][string];

function isType(type: string, v: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'null':
      return v === null;
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'array':
      return Array.isArray(v);
    default:
      throw new Error(`type ${type}`);
  }
}

function propertyValid(p: Prop, v: unknown): boolean {
  if (p.type !== undefined && !([] as string[]).concat(p.type).some((t) => isType(t, v))) return false;
  if (p.enum !== undefined && !p.enum.some((e) => e === v)) return false;
  if (p.const !== undefined && p.const !== v) return false;
  if (typeof v === 'number') {
    if (p.minimum !== undefined && !(v >= p.minimum)) return false;
    if (p.maximum !== undefined && !(v <= p.maximum)) return false;
    if (p.exclusiveMinimum !== undefined && !(v > p.exclusiveMinimum)) return false;
    if (p.exclusiveMaximum !== undefined && !(v < p.exclusiveMaximum)) return false;
  }
  if (typeof v === 'string') {
    const length = [...v].length;
    if (p.minLength !== undefined && length < p.minLength) return false;
    if (p.maxLength !== undefined && length > p.maxLength) return false;
    if (p.pattern !== undefined && !new RegExp(p.pattern, 'u').test(v)) return false;
  }
  return true;
}

/** Whether data satisfies the schema. */
export function referenceValid(schema: EventSchemaJson, data: unknown): boolean {
  if (!isType('object', data)) return false;
  const obj = data as Record<string, unknown>;
  for (const r of schema.required) if (!(r in obj)) return false;
  for (const [name, p] of Object.entries(schema.properties)) {
    if (name in obj && !propertyValid(p, obj[name])) return false;
  }
  return true;
}

/** A value that satisfies p (in the shape a producer would write). */
function goodValue(p: Prop, name: string): unknown {
  if (p.const !== undefined) return p.const;
  if (p.enum) return p.enum[0];
  const type = ([] as string[]).concat(p.type ?? 'string')[0];
  if (type === 'integer') return (p.exclusiveMinimum ?? p.minimum ?? 0) + 7;
  if (type === 'number') return (p.exclusiveMinimum ?? p.minimum ?? 0) + 12.5;
  if (type === 'boolean') return true;
  if (type === 'null') return null;
  if (p.pattern === '^[A-Z]{3}$') return 'USD';
  return `${name}-1`;
}

/** Replacement values that probe each kind of constraint (valid or not: the reference decides). */
const PROBES: unknown[] = [
  '', 'x', 'a"b', 'back\\slash', 'tab\there', 'é', 'usd', 'USD', 'BUY', 'SELL', 'HOLD', 'GTC', '100', '12.5', 'null', 'true',
  0, -0, 1, -1, 7, 0.5, 1.0, 12.5, -12.5, 1e3, 2.5e-3, 123456789012, null, true, false, {}, { a: 1 }, [], [1, 'x'],
];

/** The valid object in the schema's property order, then variants: each field dropped, replaced by each probe, and a few orders and extras. */
export function craftedData(schema: EventSchemaJson): unknown[] {
  const names = Object.keys(schema.properties);
  const base: Record<string, unknown> = {};
  for (const n of names) base[n] = goodValue(schema.properties[n]!, n);
  const out: unknown[] = [base];
  for (const n of names) {
    const { [n]: _dropped, ...rest } = base;
    out.push(rest);
    for (const probe of PROBES) out.push({ ...base, [n]: probe });
  }
  out.push(Object.fromEntries(Object.entries(base).reverse()));
  out.push({ ...base, extra: 1 });
  out.push({ extra: 'x', ...base });
  out.push([base], 'a string', 5, null);
  return out;
}
