/**
 * Replay's diffing, pure: two states of a projection compared entity by entity (added, removed,
 * changed fields). `replay --diff` and `--compare` and the explorer's replay screen use it; the
 * built-ins' rows come from SQL (./query.ts builtinDiff), custom projections' from their fold.
 */

export interface DiffRow {
  key: Record<string, unknown>;
  change: 'added' | 'removed' | 'changed';
  fields: string[];
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

/** Two custom projections' states diffed by `key` when keyed; without keys, rows are told apart by their place. */
export function diffStates(a: Record<string, unknown>[], b: Record<string, unknown>[], keyed: boolean): { keyColumns: string[]; rows: DiffRow[] } {
  if (keyed) return { keyColumns: ['key'], rows: diffObjects(a, b, ['key']) };
  const numbered = (rows: Record<string, unknown>[]) => rows.map((r, i) => ({ row: i + 1, ...r }));
  return { keyColumns: ['row'], rows: diffObjects(numbered(a), numbered(b), ['row']) };
}

/** Two row lists keyed by `keyColumns`, compared entity by entity (in the order of the keys). */
export function diffObjects(a: Record<string, unknown>[], b: Record<string, unknown>[], keyColumns: readonly string[]): DiffRow[] {
  const id = (o: Record<string, unknown>) => JSON.stringify(keyColumns.map((k) => o[k] ?? null));
  const before = new Map(a.map((o) => [id(o), o]));
  const after = new Map(b.map((o) => [id(o), o]));
  const ids = [...new Set([...before.keys(), ...after.keys()])].sort(byKeyText);
  return ids.flatMap((k) => diffOne(before.get(k) ?? null, after.get(k) ?? null, keyColumns) ?? []);
}

export function diffOne(before: Record<string, unknown> | null, after: Record<string, unknown> | null, keyColumns: readonly string[]): DiffRow | null {
  const some = (after ?? before)!;
  const key = Object.fromEntries(keyColumns.map((k) => [k, some[k] ?? null]));
  if (before === null) return { key, change: 'added', fields: Object.keys(after!), before: null, after };
  if (after === null) return { key, change: 'removed', fields: Object.keys(before), before, after: null };
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((f) => !deepEqual(before[f] ?? null, after[f] ?? null));
  return fields.length === 0 ? null : { key, change: 'changed', fields, before, after };
}

/** Keys as JSON text of their values: numbers in numeric order, then text in byte order. */
function byKeyText(a: string, b: string): number {
  const x = JSON.parse(a) as unknown[];
  const y = JSON.parse(b) as unknown[];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const u = x[i];
    const v = y[i];
    if (u === v) continue;
    if (typeof u === 'number' && typeof v === 'number') return u - v;
    const su = typeof u === 'string' ? u : JSON.stringify(u);
    const sv = typeof v === 'string' ? v : JSON.stringify(v);
    if (su !== sv) return su < sv ? -1 : 1;
  }
  return 0;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((x, i) => deepEqual(x, (b as unknown[])[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
