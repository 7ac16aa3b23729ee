/**
 * `verify --source` for an event store (PostgreSQL: Message DB, Marten, Emmett, a plain table;
 * NATS JetStream): the store is read again once, the way ingest reads it (COPY over two
 * connections, or two ordered consumers), into a temporary store, and the event hashes are
 * compared with the store's by the source's own position. That is one read of the source, at
 * ingest's speed, as a file is read once to hash it (BENCHMARKS.md, "verify --source").
 *
 * Only what the store took is compared: positions up to its checkpoint. A position the source
 * now has that the store lacks is a difference unless the store keeps it as an open gap (a
 * transaction was running when it was read; the next ingest reads it).
 *
 * The server is found from the store's URI (no credentials are stored); a postgres:// or
 * nats:// argument of --source with the same host, port and database (stream) gives them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { firstLine } from '../core/errors.js';
import { makeTmpDir } from '../ingest/sources.js';
import { Store } from '../store/store.js';
import type { IntegrityProblem } from './verify.js';
import type { SourceCheck } from './source-check.js';
import { sqlString } from '../store/sql.js';

export interface StoreSourceRow {
  source_id: number;
  uri: string;
  kind: string;
  preset: string | null;
  mapping: string | null;
  checkpoint: string | null;
}

interface Mapping {
  preset?: string;
  map?: Record<string, string>;
  schema?: string;
  table?: string;
  stream?: string;
  subject?: string | null;
}

/** host:port/path of a URL without its user and password, for matching. */
function where(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.hostname}:${u.port}${u.pathname}`;
  } catch {
    return url;
  }
}

/** The URL to connect with: a --source argument for the same server, else the stored URI's server. */
export function connectUrl(row: StoreSourceRow, args: readonly string[]): string {
  const stored = new URL(row.uri);
  // postgres://host:port/db/schema.table → postgres://host:port/db; nats://host:port/STREAM → nats://host:port
  const base = row.kind === 'postgres' ? `${stored.protocol}//${stored.host}/${stored.pathname.split('/')[1] ?? ''}` : `${stored.protocol}//${stored.host}`;
  const given = args.find((a) => /^(postgres|postgresql|nats):\/\//i.test(a) && where(a).replace(/\/+$/, '') === where(base).replace(/\/+$/, ''));
  return given ?? base;
}

export async function checkStoreSource(store: Store, row: StoreSourceRow, args: readonly string[]): Promise<{ check: SourceCheck; problems: IntegrityProblem[] }> {
  const mapping = (row.mapping ? JSON.parse(row.mapping) : {}) as Mapping;
  const url = connectUrl(row, args);
  const tmp = makeTmpDir();
  const db = path.join(tmp, 'check.duckdb');
  try {
    const { openStoreSource } = await import('../ingest/stores/open.js');
    const { ingestStore } = await import('../ingest/stores/ingest-store.js');
    const source = await openStoreSource(url, {
      preset: row.preset ?? mapping.preset ?? 'canonical', map: (mapping.map ?? {}) as never,
      ...(row.kind === 'postgres' ? { schema: mapping.schema, table: mapping.table } : { stream: mapping.stream, ...(mapping.subject ? { subject: mapping.subject } : {}) }),
    });
    const other = await Store.open(db, { create: true });
    try {
      await ingestStore(other, source, {});
    } finally {
      other.close();
    }
  } catch (error) {
    fs.rmSync(tmp, { recursive: true, force: true });
    const message = `${row.uri}: could not be read again (${firstLine(error)})`;
    return { check: { uri: row.uri, kind: row.kind, status: 'not-read', message }, problems: [{ kind: 'source-unreadable', source: row.uri, message }] };
  }
  try {
    await store.run(`ATTACH ${sqlString(db)} AS evt_check (READ_ONLY)`);
    try {
      const checkpoint = row.checkpoint !== null && /^\d+$/.test(row.checkpoint) ? row.checkpoint : 'NULL';
      const diffs = await store.all(`
        WITH a AS (SELECT e.position AS pos, e.seq, e.id, h.hash FROM events e JOIN event_hashes h ON h.seq = e.seq WHERE e.source_id = ${row.source_id}),
        b AS (SELECT e.position AS pos, e.id, h.hash FROM evt_check.events e JOIN evt_check.event_hashes h ON h.seq = e.seq
              WHERE e.position <= coalesce(${checkpoint}, (SELECT max(pos) FROM a))
                AND NOT EXISTS (SELECT 1 FROM source_gaps g WHERE g.source_id = ${row.source_id} AND e.position BETWEEN g.lo AND g.hi)),
        d AS (SELECT coalesce(a.pos, b.pos) AS pos, a.seq, a.id AS was_id, b.id AS now_id, a.pos IS NULL AS new_event, b.pos IS NULL AS lost_event
              FROM a FULL JOIN b ON a.pos = b.pos WHERE a.hash IS DISTINCT FROM b.hash)
        SELECT (SELECT count(*) FROM d) AS n, (SELECT count(*) FROM a) AS events, * FROM d ORDER BY pos LIMIT 1`);
      const events = Number((await store.all(`SELECT count(*) AS n FROM events WHERE source_id = ${row.source_id}`))[0]!.n);
      const first = diffs[0];
      if (!first) return { check: { uri: row.uri, kind: row.kind, status: 'ok', message: `read again: its ${events} event(s) are the same` }, problems: [] };
      const n = Number(first.n);
      const pos = String(first.pos);
      const text = first.new_event
        ? `position ${pos} is now an event (id ${String(first.now_id)}) the store does not have`
        : first.lost_event
          ? `position ${pos} (seq ${String(first.seq)}, id ${String(first.was_id)}) is no longer in the source`
          : `position ${pos} (seq ${String(first.seq)}, id ${String(first.was_id)}) now gives another event than the one ingested`;
      const message = `${row.uri}: read again, ${n} position(s) differ from what was ingested; the first: ${text}`;
      return {
        check: { uri: row.uri, kind: row.kind, status: 'changed', message },
        problems: [{ kind: 'source-changed', source: row.uri, ...(first.seq !== null ? { seq: Number(first.seq), id: String(first.was_id) } : {}), message }],
      };
    } finally {
      await store.run(`DETACH evt_check`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
