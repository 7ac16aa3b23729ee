/**
 * The timeline's reads: pages of events by keyset pagination over seq (`seq > last ORDER BY seq
 * LIMIT n`, and the reverse for going back), filters in SQL with bound parameters, one event in
 * full for the detail pane. Nothing here holds more than a page.
 */
import type { DuckDBValue } from '@duckdb/node-api';
import { safeJson } from '../../../output/json.js';
import { UserError } from '../../../core/errors.js';
import { formatIsoNs, parseAt, timeLiteral, type At, type StoreBounds } from '../../../core/time.js';
import type { Row, Store } from '../../../store/store.js';

export interface EventFilter {
  types: string[];
  streams: string[];
  sources: string[];
  /** Free words: each must appear in the id, stream, type or data. */
  words: string[];
  since?: At;
  until?: At;
}

export const NO_FILTER: EventFilter = { types: [], streams: [], sources: [], words: [] };

export const FILTER_HELP = 'type:OrderFilled stream:order-ord-1* source:oms since:10:31 until:+1h words';

/**
 * `type:X stream:Y source:Z since:T until:T` and free words; a value may list alternatives
 * (`type:OrderFilled,OrderCancelled`) and use `*` as a wildcard. Times take --at's forms.
 */
export function parseFilter(text: string, bounds: StoreBounds): EventFilter {
  const filter: EventFilter = { types: [], streams: [], sources: [], words: [] };
  for (const token of text.trim().split(/\s+/).filter(Boolean)) {
    const m = /^(type|stream|source|since|until):(.*)$/i.exec(token);
    if (!m) {
      filter.words.push(token);
      continue;
    }
    const key = m[1]!.toLowerCase();
    const value = m[2]!;
    if (value === '') throw new UserError(`${key}: needs a value`, FILTER_HELP);
    if (key === 'since' || key === 'until') filter[key] = parseAt(value, bounds, key + ':');
    else filter[key === 'type' ? 'types' : key === 'stream' ? 'streams' : 'sources'].push(...value.split(',').filter(Boolean));
  }
  return filter;
}

export function filterText(f: EventFilter): string {
  const parts = [
    f.types.length ? `type:${f.types.join(',')}` : '',
    f.streams.length ? `stream:${f.streams.join(',')}` : '',
    f.sources.length ? `source:${f.sources.join(',')}` : '',
    f.since ? `since:${f.since.input}` : '',
    f.until ? `until:${f.until.input}` : '',
    ...f.words,
  ];
  return parts.filter(Boolean).join(' ');
}

export function isEmptyFilter(f: EventFilter): boolean {
  return filterText(f) === '';
}

/** A filter as a SQL condition on events, values bound as parameters (never spliced in). */
export function filterSql(f: EventFilter): { where: string; params: Record<string, string> } {
  const params: Record<string, string> = {};
  const bind = (value: string) => {
    const name = `p${Object.keys(params).length}`;
    params[name] = value;
    return `$${name}`;
  };
  // `*` is the user's wildcard; LIKE's own % and _ are escaped so they match themselves.
  const like = (v: string) => v.replace(/[\\%_]/g, (c) => `\\${c}`).replaceAll('*', '%');
  const match = (column: string, values: string[]) =>
    `(${values.map((v) => (v.includes('*') ? `${column} LIKE ${bind(like(v))} ESCAPE '\\'` : `${column} = ${bind(v)}`)).join(' OR ')})`;
  const parts: string[] = [];
  if (f.types.length) parts.push(match('type', f.types));
  if (f.streams.length) parts.push(match('stream', f.streams));
  if (f.sources.length) parts.push(match('source', f.sources));
  for (const w of f.words) {
    const p = bind(`%${like(w)}%`);
    parts.push(`(id ILIKE ${p} ESCAPE '\\' OR stream ILIKE ${p} ESCAPE '\\' OR type ILIKE ${p} ESCAPE '\\' OR data::VARCHAR ILIKE ${p} ESCAPE '\\')`);
  }
  if (f.since) parts.push(f.since.kind === 'seq' ? `seq >= ${f.since.seq}` : `ts >= ${timeLiteral(f.since.iso)}`);
  if (f.until) parts.push(f.until.kind === 'seq' ? `seq <= ${f.until.seq}` : `ts <= ${timeLiteral(f.until.iso)}`);
  return { where: parts.length ? parts.join(' AND ') : 'true', params };
}

export interface EventRow {
  seq: number;
  /** ISO time, nine fractional digits; null for an event without a time. */
  ts: string | null;
  type: string;
  stream: string | null;
  source: string | null;
  id: string;
}

/** A list row's columns, read by toRow (the replay screen's cursor event too). */
export const LIST_COLUMNS = `seq, epoch_ns(ts)::VARCHAR AS tns, type, stream, source, id`;

export function toRow(r: Row): EventRow {
  return {
    seq: Number(r.seq),
    ts: typeof r.tns === 'string' ? formatIsoNs(BigInt(r.tns)) : null,
    type: String(r.type),
    stream: (r.stream as string | null) ?? null,
    source: (r.source as string | null) ?? null,
    id: String(r.id),
  };
}

/** A seq as SQL text: whole numbers only (seq is BIGINT; a bound JS number would be a DOUBLE). */
function seqSql(seq: number): string {
  if (!Number.isSafeInteger(seq)) throw new Error(`internal: seq ${seq} is not a whole number`);
  return String(seq);
}

async function rows(store: Store, sql: string, params: Record<string, string>): Promise<Row[]> {
  return store.all(sql, params as Record<string, DuckDBValue>);
}

/** The first n events after seq `after` that pass the filter. */
export async function pageAfter(store: Store, filter: EventFilter, after: number, n: number): Promise<EventRow[]> {
  const { where, params } = filterSql(filter);
  const found = await rows(store, `SELECT ${LIST_COLUMNS} FROM events WHERE seq > ${seqSql(after)} AND ${where} ORDER BY seq LIMIT ${seqSql(n)}`, params);
  return found.map(toRow);
}

/** The last n events before seq `before` that pass the filter, in seq order. */
export async function pageBefore(store: Store, filter: EventFilter, before: number, n: number): Promise<EventRow[]> {
  const { where, params } = filterSql(filter);
  const found = await rows(store, `SELECT ${LIST_COLUMNS} FROM events WHERE seq < ${seqSql(before)} AND ${where} ORDER BY seq DESC LIMIT ${seqSql(n)}`, params);
  return found.map(toRow).reverse();
}

/** The page that starts at the first event at or after `at` (a time, or seq:N). */
export async function pageAt(store: Store, filter: EventFilter, at: At, n: number): Promise<EventRow[]> {
  if (at.kind === 'seq') return pageAfter(store, filter, Math.max(0, Number(at.seq) - 1), n);
  const { where, params } = filterSql(filter);
  const [first] = await rows(store, `SELECT min(seq)::VARCHAR AS s FROM events WHERE ts >= ${timeLiteral(at.iso)} AND ${where}`, params);
  const seq = first?.s === null || first?.s === undefined ? null : Number(first.s);
  // Past the last event: show the end of the log.
  if (seq === null) return pageBefore(store, filter, Number.MAX_SAFE_INTEGER, n);
  return pageAfter(store, filter, seq - 1, n);
}

export interface EventDetail {
  seq: number;
  fields: [string, string][];
  data: unknown;
  meta: unknown;
  id: string;
}

const parseJson = (text: unknown): unknown => (typeof text === 'string' ? safeJson(text) : null);

const DETAIL_COLUMNS = `e.seq, e.id, e.stream, e.rev, e.type, e.schema_version, epoch_ns(e.ts)::VARCHAR AS tns,
  epoch_ns(e.recorded_ts)::VARCHAR AS rns, e.correlation_id, e.causation_id, e.source, e.data::VARCHAR AS data,
  e.meta::VARCHAR AS meta, s.uri, e.source_pos, e.position, e.dup_kind, e.dup_of`;

function toDetail(r: Row): EventDetail {
  const time = (v: unknown) => (typeof v === 'string' ? formatIsoNs(BigInt(v)) : '');
  const text = (v: unknown) => (v === null || v === undefined ? '' : String(v));
  const fields: [string, string][] = [
    ['seq', text(r.seq)],
    ['id', text(r.id)],
    ['type', `${text(r.type)} (v${text(r.schema_version)})`],
    ['stream', `${text(r.stream)}${r.rev === null ? '' : ` rev ${text(r.rev)}`}`],
    ['time', time(r.tns)],
    ['recorded', time(r.rns)],
    ['source', text(r.source)],
    ['correlation', text(r.correlation_id)],
    ['causation', text(r.causation_id)],
    ['from', `${text(r.uri)}:${text(r.source_pos)}${r.position === null ? '' : ` (position ${text(r.position)})`}`],
  ];
  if (r.dup_kind) fields.push(['duplicate', `${text(r.dup_kind)} of seq ${text(r.dup_of)}`]);
  return { seq: Number(r.seq), id: String(r.id), fields: fields.filter(([, v]) => v !== ''), data: parseJson(r.data), meta: parseJson(r.meta) };
}

/** One event in full, by seq (a point lookup that DuckDB prunes to one row group). */
export async function eventBySeq(store: Store, seq: number): Promise<EventDetail | null> {
  const [r] = await store.all(`SELECT ${DETAIL_COLUMNS} FROM events e LEFT JOIN sources s USING (source_id) WHERE e.seq = ${seqSql(seq)}`);
  return r ? toDetail(r) : null;
}

/** The first delivery of an event id. */
export async function eventById(store: Store, id: string): Promise<EventDetail | null> {
  const [r] = await store.all(`SELECT ${DETAIL_COLUMNS} FROM events e LEFT JOIN sources s USING (source_id) WHERE e.id = $id ORDER BY e.seq LIMIT 1`, { id });
  return r ? toDetail(r) : null;
}
