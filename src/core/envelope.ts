/**
 * The canonical envelope (docs/architecture.md §2): the fields every source is mapped to. `position` is the
 * source's own position (a store's global position, a stream sequence) when it has one.
 */
export const ENVELOPE_FIELDS = [
  'id',
  'stream',
  'rev',
  'type',
  'schema_version',
  'ts',
  'recorded_ts',
  'correlation_id',
  'causation_id',
  'source',
  'data',
  'meta',
  'position',
] as const;

export type EnvelopeField = (typeof ENVELOPE_FIELDS)[number];


/** How a field's value is typed once mapped; drives conversion and the reject reasons. */
export const FIELD_KIND: Record<EnvelopeField, 'text' | 'integer' | 'time' | 'json'> = {
  id: 'text',
  stream: 'text',
  rev: 'integer',
  type: 'text',
  schema_version: 'integer',
  ts: 'time',
  recorded_ts: 'time',
  correlation_id: 'text',
  causation_id: 'text',
  source: 'text',
  data: 'json',
  meta: 'json',
  position: 'integer',
};

/** An event as evtrail hands it to JavaScript (custom projections, tests). */
export interface EnvelopeEvent {
  seq: number;
  id: string;
  stream: string | null;
  rev: number | null;
  type: string;
  schema_version: number;
  /** ISO 8601 UTC with every digit the source had (up to nanoseconds). */
  ts: string | null;
  recorded_ts: string | null;
  correlation_id: string | null;
  causation_id: string | null;
  source: string | null;
  data: unknown;
  meta: unknown;
}

/**
 * A path into a record: dot-separated keys, e.g. `metadata.$correlationId`. A key that itself
 * contains dots can be written in brackets: `meta["a.b"]`.
 */
export function parsePath(path: string): string[] {
  const keys: string[] = [];
  const re = /([^.[\]]+)|\["((?:[^"\\]|\\.)*)"\]/g;
  let consumed = 0;
  for (const match of path.matchAll(re)) {
    const between = path.slice(consumed, match.index);
    if (between !== '' && between !== '.') throw new Error(`bad path "${path}"`);
    keys.push(match[1] ?? JSON.parse(`"${match[2] ?? ''}"`));
    consumed = match.index + match[0].length;
  }
  if (keys.length === 0 || consumed !== path.length) throw new Error(`bad path "${path}"`);
  return keys;
}
