import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { firstLine } from '../core/errors.js';
import type { Format } from '../ingest/formats.js';
import { makeTmpDir, scanFile } from '../ingest/sources.js';
import { Store } from '../store/store.js';
import type { IntegrityProblem } from './verify.js';

// In source-check.ts, which store-source-check.ts (loaded lazily from here) imports too: no circle.
export type { SourceCheck } from './source-check.js';
import type { SourceCheck } from './source-check.js';
import { sqlString } from '../store/sql.js';

interface SourceRow {
  source_id: number; uri: string; kind: string; format: string; mapping: string | null; bytes: string; sha256: string | null;
  preset: string | null; checkpoint: string | null;
}

/** What a signature-checked seal says of the sources (its `sources` and `lastSeq`). */
export interface SealedSources {
  sources: readonly { uri: string; kind: string; sha256: string | null; bytes: number }[];
  lastSeq: number | null;
}

/**
 * `verify --source`: reads each file source again, the bytes the store consumed of it, and
 * compares their SHA-256 with the one recorded at ingest. A file that differs is ingested again
 * (that prefix, under its own name, with the recorded format and mapping) into a temporary
 * store, whose event hashes are compared with the store's by line: the first line that now
 * gives another event is named. An event store (PostgreSQL, NATS) is read again once into a
 * temporary store and compared by position (store-source-check.ts); standard input cannot be. `paths` (files or folders) say where the files are now, matched by file name, for
 * logs that moved since they were ingested.
 *
 * With a seal, each file's first sealed bytes are also compared with the sealed SHA-256: the
 * store's `sources` row is as writable as the file, so a file edited together with its row
 * passes the first comparison and only the signed seal tells. A file that grew since the seal
 * (appended and ingested) is fine as long as its sealed prefix is unchanged.
 */
export async function checkSources(store: Store, paths: readonly string[], sealed?: SealedSources): Promise<{ checks: SourceCheck[]; problems: IntegrityProblem[] }> {
  const rows = (await store.all(`SELECT source_id, uri, kind, format, mapping::VARCHAR AS mapping, bytes, sha256, preset, checkpoint::VARCHAR AS checkpoint FROM sources ORDER BY source_id`)) as unknown as SourceRow[];
  const located = locate(paths);
  const checks: SourceCheck[] = [];
  const problems: IntegrityProblem[] = [];
  for (const row of rows) {
    if (row.kind === 'postgres' || row.kind === 'nats') {
      // An event store is read again once, as ingest reads it, and compared by position (store-source-check.ts).
      const { checkStoreSource } = await import('./store-source-check.js');
      const got = await checkStoreSource(store, row, paths);
      checks.push(got.check);
      problems.push(...got.problems);
      continue;
    }
    if (row.kind !== 'file') {
      checks.push({ uri: row.uri, kind: row.kind, status: 'not-read', message: row.kind === 'stdin' ? 'standard input cannot be read again' : `a ${row.kind} source is not re-read (the chain covers what was ingested)` });
      continue;
    }
    const file = located.get(path.basename(row.uri)) ?? row.uri;
    const bytes = Number(row.bytes);
    // A sealed file source without a sealed hash cannot be compared with the seal (never written so).
    const seal = sealed?.sources.find((s) => s.uri === row.uri && s.kind === 'file' && s.sha256 !== null);
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
      checks.push({ uri: row.uri, kind: row.kind, status: 'missing', file });
      problems.push({ kind: 'source-missing', source: row.uri, message: `${file}: not found, so it cannot be compared` });
      continue;
    }
    const size = fs.statSync(file).size;
    // One read of the file gives both prefixes' hashes: what the store consumed and what was sealed.
    const cuts = [bytes, ...(seal ? [seal.bytes] : [])].filter((n) => n <= size);
    const hashes = cuts.length > 0 ? (await scanFile(file, cuts)).hashes : new Map<number, string>();
    const sha = size >= bytes ? hashes.get(bytes) ?? null : null;
    const sealedSha = seal && size >= seal.bytes ? hashes.get(seal.bytes) ?? null : null;
    const check: SourceCheck = { uri: row.uri, kind: row.kind, status: 'ok', file, sha256: sha };
    if (sealed) check.sinceSeal = !seal ? 'not-sealed' : sealedSha === seal.sha256 ? 'ok' : 'changed';
    const messages: string[] = [];
    let where: Awaited<ReturnType<typeof firstDifferingLine>>;
    if (sha === null || sha !== row.sha256) {
      where = await firstDifferingLine(store, row, file, Math.min(bytes, size));
      const message = size < bytes
        ? `${file}: ${size} bytes, shorter than the ${bytes} ingested${where ? `; ${where.text}` : ''}`
        : `${file}: its first ${bytes} bytes (what was ingested) have another SHA-256 than at ingest${where ? `; ${where.text}` : ''}`;
      messages.push(message);
      problems.push({ kind: 'source-changed', source: row.uri, ...eventNamed(where), message });
    }
    if (seal && check.sinceSeal === 'changed') {
      // The line is looked for only among the events the seal covers (seq ≤ its last seq): the
      // lines ingested after it are not in the sealed prefix, and are not a difference.
      where ??= await firstDifferingLine(store, row, file, Math.min(seal.bytes, size), sealed?.lastSeq ?? 0);
      const recorded = row.sha256 === seal.sha256 || bytes !== seal.bytes ? '' : ' (and the store\'s sources row was changed to match it)';
      const message = size < seal.bytes
        ? `${file}: ${size} bytes, shorter than the ${seal.bytes} sealed${recorded}${where ? `; ${where.text}` : ''}`
        : `${file}: its first ${seal.bytes} bytes (what was sealed) have another SHA-256 than in the seal${recorded}${where ? `; ${where.text}` : ''}`;
      messages.push(message);
      problems.push({ kind: 'source-changed-since-seal', source: row.uri, ...eventNamed(where), message });
    }
    if (messages.length > 0) {
      check.status = 'changed';
      check.message = messages.join('; ');
    }
    checks.push(check);
  }
  return { checks, problems };
}

/** The seq and id a line difference names, when it names one. */
function eventNamed(where: { seq?: number; id?: string } | undefined): { seq?: number; id?: string } {
  return { ...(where?.seq !== undefined ? { seq: where.seq } : {}), ...(where?.id ? { id: where.id } : {}) };
}

/** Files named by the --source paths (a folder: the files in it, and one level down), by name. */
function locate(paths: readonly string[]): Map<string, string> {
  const found = new Map<string, string>();
  const add = (f: string) => {
    if (!found.has(path.basename(f))) found.set(path.basename(f), path.resolve(f));
  };
  for (const p of paths) {
    if (!fs.existsSync(p)) continue;
    if (!fs.statSync(p).isDirectory()) {
      add(p);
      continue;
    }
    for (const entry of fs.readdirSync(p, { withFileTypes: true })) {
      const full = path.join(p, entry.name);
      if (entry.isFile()) add(full);
      else if (entry.isDirectory()) for (const inner of fs.readdirSync(full, { withFileTypes: true })) if (inner.isFile()) add(path.join(full, inner.name));
    }
  }
  return found;
}

/**
 * The first line at which the file's prefix, ingested again, gives another event than the
 * store holds for that source (compared by event hash and line), or undefined when it cannot
 * tell (the file no longer maps, or only lines that were not events changed). `upToSeq`
 * limits the store's side to the events a seal covers.
 */
async function firstDifferingLine(store: Store, row: SourceRow, file: string, bytes: number, upToSeq?: number): Promise<{ text: string; seq?: number; id?: string } | undefined> {
  const tmp = makeTmpDir();
  try {
    const copy = path.join(tmp, path.basename(file));
    if (bytes > 0) await pipeline(fs.createReadStream(file, { start: 0, end: bytes - 1 }), fs.createWriteStream(copy));
    else fs.writeFileSync(copy, '');
    const mapping = row.mapping ? (JSON.parse(row.mapping) as { preset?: string; map?: Record<string, string>; date?: string | null; each?: string[]; skip?: string; id_prefix?: string }) : {};
    const db = path.join(tmp, 'check.duckdb');
    const other = await Store.open(db, { create: true });
    try {
      const { ingestFiles } = await import('../ingest/ingest.js');
      await ingestFiles(other, {
        sources: [copy], format: row.format as Format,
        ...(mapping.preset ? { preset: mapping.preset } : {}), ...(mapping.map ? { map: mapping.map } : {}), ...(mapping.date ? { date: mapping.date } : {}),
        // The shape it was read with (--each, --skip) and its derived ids' prefix (--map id=none).
        ...(mapping.each ? { each: mapping.each } : {}), ...(mapping.skip !== undefined ? { skip: mapping.skip } : {}),
        ...(mapping.id_prefix ? { idPrefix: mapping.id_prefix } : {}),
      });
    } finally {
      other.close();
    }
    await store.run(`ATTACH ${sqlString(db)} AS evt_check (READ_ONLY)`);
    try {
      // An event is matched by its line and its rank among that line's events (seq order): a
      // line exploded into several events (--each) pairs them element by element, not each with each.
      const diff = (await store.all(`
        WITH a AS (SELECT e.source_pos AS pos, row_number() OVER (PARTITION BY e.source_pos ORDER BY e.seq) AS k, e.seq, e.id, h.hash
          FROM events e JOIN event_hashes h ON h.seq = e.seq WHERE e.source_id = ${row.source_id}${upToSeq === undefined ? '' : ` AND e.seq <= ${upToSeq}`}),
        b AS (SELECT e.source_pos AS pos, row_number() OVER (PARTITION BY e.source_pos ORDER BY e.seq) AS k, e.id, h.hash
          FROM evt_check.events e JOIN evt_check.event_hashes h ON h.seq = e.seq)
        SELECT coalesce(a.pos, b.pos) AS pos, coalesce(a.k, b.k) AS k, a.seq, a.id AS was_id, b.id AS now_id, a.pos IS NULL AS new_event, b.pos IS NULL AS lost_event
        FROM a FULL JOIN b ON a.pos = b.pos AND a.k = b.k WHERE a.hash IS DISTINCT FROM b.hash ORDER BY coalesce(a.pos, b.pos), coalesce(a.k, b.k) LIMIT 1`))[0];
      if (!diff) return { text: 'every line that was an event still gives the same event (the change is in a line that was not one: a reject or blank line)' };
      const line = Number(diff.pos);
      if (diff.new_event) {
        return Number(diff.k) > 1
          ? { text: `first difference at line ${line}: it now gives more events than when ingested (id ${diff.now_id} is one more)` }
          : { text: `first difference at line ${line}: it is now an event (id ${diff.now_id}) but was not one when ingested` };
      }
      const seq = Number(diff.seq);
      const id = String(diff.was_id);
      if (diff.lost_event) return { seq, id, text: `first difference at line ${line} (seq ${seq}, id ${id}): no longer an event` };
      return { seq, id, text: `first difference at line ${line} (seq ${seq}, id ${id}): it now gives another event than the one ingested` };
    } finally {
      await store.run(`DETACH evt_check`);
    }
  } catch (error) {
    return { text: `it could not be compared line by line (${firstLine(error)})` };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
