/**
 * What is the id the user gave? An event id, a stream, a business key (data.orderId by
 * default, or other key paths) or a correlation id. All four are looked up at once; the answer
 * says which, and an unknown or ambiguous id is a UserError naming the closest matches
 * (neighbours in sort order — which covers prefixes — ranked by edit distance, in SQL).
 */
import { UserError } from '../core/errors.js';
import { array, combine, join, param, raw, sql, type Fragment } from '../store/sql.js';
import type { TraceEvent } from './graph.js';
import type { EventSource, Probe } from './source.js';
import type { KeyPath } from './trace-index.js';

export const ID_KINDS = ['event', 'stream', 'key', 'correlation'] as const;
export type IdKind = (typeof ID_KINDS)[number];

export interface Resolution {
  input: string;
  kind: IdKind;
  /** For kind 'key': which key path matched. */
  keyPath?: string;
  /** The events the id names directly (an event id: every delivery of it). */
  seeds: TraceEvent[];
  /** Other kinds the id also is, naming the same trace (e.g. a correlation id equal to the order id). */
  alsoMatches: string[];
}

export interface ResolveOptions {
  keys: readonly KeyPath[];
  /** Only this kind (--as). */
  as?: IdKind;
}

interface Match {
  kind: IdKind;
  keyPath?: string;
  label: string;
  seeds: TraceEvent[];
}

export function kindLabel(kind: IdKind, keyPath?: string): string {
  switch (kind) {
    case 'event':
      return 'event id';
    case 'stream':
      return 'stream';
    case 'correlation':
      return 'correlation id';
    case 'key':
      return `business key ${keyPath}`;
  }
}

export async function resolveId(source: EventSource, input: string, options: ResolveOptions): Promise<Resolution> {
  if (input.trim() === '') throw new UserError('trace needs an id', 'e.g. evtrail trace ord-00000042 (an event id, stream, order id or correlation id)');
  const wanted = (kind: IdKind) => options.as === undefined || options.as === kind;
  const probes: Probe[] = [];
  if (wanted('event')) probes.push({ tag: 'event', kind: 'id', values: [input] });
  if (wanted('stream')) probes.push({ tag: 'stream', kind: 'stream', values: [input] });
  if (wanted('key')) for (const key of options.keys) probes.push({ tag: `key:${key.path}`, kind: key, values: [input] });
  if (wanted('correlation')) probes.push({ tag: 'correlation', kind: 'correlation', values: [input] });
  const results = await source.lookup(probes);

  const matches = new Map<string, Match>();
  for (const [label, events] of results) {
    if (events.length === 0) continue;
    const keyPath = label.startsWith('key:') ? label.slice(4) : undefined;
    const kind = (keyPath ? 'key' : label) as IdKind;
    matches.set(label, { kind, ...(keyPath ? { keyPath } : {}), label: kindLabel(kind, keyPath), seeds: [...events] });
  }
  const found = [...matches.values()];
  for (const m of found) m.seeds.sort((a, b) => a.seq - b.seq);

  if (found.length === 0) {
    const near = await closestMatches(source, input, options.keys);
    const what = options.as ? kindLabel(options.as, options.as === 'key' ? options.keys.map((k) => k.path).join(' / ') : undefined) : 'event id, stream, business key or correlation id';
    throw new UserError(
      `no ${what} ${JSON.stringify(input)} in the store`,
      near.length > 0
        ? `closest: ${near.map((n) => `${n.name} (${n.kind})`).join(', ')}`
        : 'evtrail query "select id, stream, correlation_id from events limit 20" shows what is there',
    );
  }
  if (found.length > 1) {
    // Several kinds: fine when they name the same trace (e.g. the correlation id is the order id).
    const scope = (m: Match) =>
      m.kind === 'event'
        ? `event:${m.seeds.map((e) => e.seq).join(',')}`
        : [...new Set(m.seeds.map((e) => (e.correlationId !== null ? `c:${e.correlationId}` : `s:${e.seq}`)))].sort().join('|');
    const scopes = new Set(found.map(scope));
    if (scopes.size > 1) {
      const described = found.map((m) => `${m.label} (${m.seeds.length} event${m.seeds.length === 1 ? '' : 's'})`);
      throw new UserError(
        `${input} is ambiguous: it is ${described.slice(0, -1).join(', ')} and ${described.at(-1)}`,
        `say which with --as ${[...new Set(found.map((m) => m.kind))].join(' | --as ')}`,
      );
    }
  }
  const order = (m: Match) => ID_KINDS.indexOf(m.kind);
  found.sort((a, b) => order(a) - order(b));
  const chosen = found[0]!;
  return {
    input,
    kind: chosen.kind,
    ...(chosen.keyPath ? { keyPath: chosen.keyPath } : {}),
    seeds: chosen.seeds,
    alsoMatches: found.slice(1).map((m) => m.label),
  };
}

export interface NearMatch {
  name: string;
  kind: string;
  distance: number;
}

/**
 * Strings one edit from `input` (a deletion, an insertion, a substitution or a swap of two
 * neighbours), with the characters of ids: what a typo makes of an id.
 */
export function editVariants(input: string, max = 4000): string[] {
  const alphabet = [...new Set([...'0123456789abcdefghijklmnopqrstuvwxyz-_.:', ...input, ...input.toLowerCase()])];
  const out = new Set<string>([input.toLowerCase(), input.toUpperCase()]);
  for (let i = 0; i < input.length; i++) {
    out.add(input.slice(0, i) + input.slice(i + 1));
    if (i + 1 < input.length) out.add(input.slice(0, i) + input[i + 1] + input[i] + input.slice(i + 2));
  }
  for (let i = 0; i <= input.length && out.size < max; i++) {
    for (const c of alphabet) {
      out.add(input.slice(0, i) + c + input.slice(i));
      if (i < input.length) out.add(input.slice(0, i) + c + input.slice(i + 1));
    }
  }
  out.delete(input);
  return [...out].slice(0, max);
}

/**
 * Names near `input`, ranked by edit distance (ignoring case, then with it): every event id,
 * stream, correlation id and business key one edit away (looked up through the trace index's
 * hashes, one integer join per table), and the names just before and after the input in sort
 * order (which covers an id typed only in part).
 */
export async function closestMatches(source: EventSource, input: string, keys: readonly KeyPath[], limit = 5): Promise<NearMatch[]> {
  // What the user typed is bound, not spliced (it is anything: quotes, a NUL).
  const probes = [...new Set([input, input.toLowerCase()])];
  const around = (kindSql: string, nameSql: string, from: string, extraWhere = raw('')) =>
    probes.flatMap((p) => [
      combine([param(p), extraWhere], (v, extra) => `(SELECT ${kindSql} AS kind, ${nameSql} AS name FROM ${from} WHERE ${nameSql} >= ${v} ${extra} ORDER BY ${nameSql} LIMIT 3)`),
      combine([param(p), extraWhere], (v, extra) => `(SELECT ${kindSql} AS kind, ${nameSql} AS name FROM ${from} WHERE ${nameSql} < ${v} ${extra} ORDER BY ${nameSql} DESC LIMIT 3)`),
    ]);
  const parts: Fragment[] = [...around(`'event id'`, 'id', 'events')];
  let variants = raw('');
  if (source.indexed) {
    // trace_names: distinct streams, correlation ids and keys, far fewer rows than events.
    const indexedKeys = keys.filter((k) => source.keyIndexed(k));
    const kinds = ['stream', 'correlation', ...indexedKeys.map((k) => `key:${k.path}`)];
    for (const kind of kinds) parts.push(...around('kind', 'name', 'trace_names', sql`AND kind = ${kind}`));
    // Up to 4000 variants: one bound list (a parameter each costs more than the lookup).
    variants = sql`, v(name) AS (SELECT unnest(${array(editVariants(input))}))`;
    parts.push(
      raw(`(SELECT 'event id', v.name FROM v JOIN trace_ids t ON t.h = hash(v.name))`),
      raw(`(SELECT 'stream', v.name FROM v JOIN trace_streams t ON t.h = hash(v.name))`),
      raw(`(SELECT 'correlation', v.name FROM v JOIN trace_corrs t ON t.h = hash(v.name))`),
      ...indexedKeys.map((k) => sql`(SELECT ${`key:${k.path}`}, v.name FROM v JOIN trace_keys t ON t.h = hash(${k.path}, v.name))`),
    );
  } else {
    parts.push(...around(`'stream'`, 'stream', 'events'), ...around(`'correlation'`, 'correlation_id', 'events'));
  }
  const rows = await source.store.all(sql`
    WITH dummy AS (SELECT 1)${variants}
    SELECT DISTINCT kind, name, levenshtein(lower(name), ${input.toLowerCase()}) AS distance,
      levenshtein(name, ${input}) AS exact_distance
    FROM (${join(parts, '\nUNION ALL\n')}) AS candidates(kind, name)
    WHERE name IS NOT NULL
    ORDER BY distance, exact_distance, name, kind LIMIT ${raw(String(limit))}`);
  return rows.map((r) => {
    const kind = String(r.kind);
    const label = kind === 'correlation' ? 'correlation id' : kind.startsWith('key:') ? `key ${kind.slice(4)}` : kind;
    return { name: String(r.name), kind: label, distance: Number(r.distance) };
  });
}
