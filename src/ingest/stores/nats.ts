import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { UserError } from '../../core/errors.js';
import type { Store } from '../../store/store.js';
import { isFileSystemError, makeTempDir } from '../../store/temp-dir.js';
import type { Preset } from '../presets/preset.js';
import { candidatesExpr } from '../mapping.js';
import { cloudeventsPresetFor } from '../presets/cloudevents.js';
import { sqlString } from '../../store/sql.js';
import { MAX_LINE_BYTES } from '../readers.js';
import type { StoreRead } from './ingest-store.js';
import { readRange, type RangeRequest, type RangeResult } from './nats-range.js';
import { STAGE_TABLE } from './stage.js';

export interface NatsTarget {
  servers: string;
  /** host:port, for messages. */
  where: string;
  stream: string;
  subject?: string;
  /** ISO time to start at on the first read (--since). */
  since?: string;
  uri: string;
}

export function natsTarget(url: string, stream: string | undefined, subject: string | undefined, since: string | undefined): NatsTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError(`${url} is not a valid URL`, 'e.g. nats://127.0.0.1:4222');
  }
  if (!stream) throw new UserError(`${url}: which JetStream stream?`, 'pass --stream NAME (and --subject to read some of its subjects)');
  let sinceIso: string | undefined;
  if (since !== undefined) {
    const t = Date.parse(since);
    if (!/^\d{4}-\d{2}-\d{2}/.test(since) || Number.isNaN(t)) throw new UserError(`--since ${since}: not a time`, 'e.g. --since 2025-08-26T09:00Z');
    sinceIso = new Date(t).toISOString();
  }
  const where = `${parsed.hostname || '127.0.0.1'}:${parsed.port || '4222'}`;
  const auth = parsed.username ? `${parsed.username}${parsed.password ? ':' + parsed.password : ''}@` : '';
  return {
    servers: `nats://${auth}${where}`, where, stream, subject, since: sinceIso,
    uri: `nats://${where}/${stream}${subject ? `?subject=${subject}` : ''}`,
  };
}

/** One line for what went wrong with the server: host, what failed, a hint. */
export function natsError(error: unknown, target: NatsTarget): UserError {
  if (error instanceof UserError) return error;
  const text = String((error as Error)?.message ?? error);
  const code = (error as { code?: unknown })?.code;
  if (/ECONNREFUSED|connection refused/i.test(text) || code === 'ECONNREFUSED') {
    return new UserError(`NATS at ${target.where}: connection refused`, 'check that nats-server runs (with -js) and the URL names its host and port');
  }
  if (/authori[sz]ation|authentication|permissions violation/i.test(text)) {
    return new UserError(`NATS at ${target.where}: authentication failed (${text.split('\n')[0]})`, 'check the user and password or token in the URL (nats://user:pass@host:port)');
  }
  if (/stream not found/i.test(text)) {
    return new UserError(`NATS at ${target.where}: no JetStream stream ${target.stream}`, 'check --stream (nats stream ls lists them)');
  }
  if (/maximum consumers limit/i.test(text)) {
    return new UserError(
      `NATS at ${target.where}: stream ${target.stream} has as many consumers as its max_consumers allows`,
      'evtrail needs one while it reads (two for a large read) and deletes them when done; see who holds the others with nats consumer ls ' + target.stream,
    );
  }
  if (/jetstream not enabled|no responders/i.test(text)) {
    return new UserError(`NATS at ${target.where}: JetStream is not enabled`, 'start nats-server with -js');
  }
  if (/timeout/i.test(text)) return new UserError(`NATS at ${target.where}: timed out`, 'check the host, the port and the network');
  return new UserError(`NATS at ${target.where}: ${text.split('\n')[0]}`, 'check the URL, --stream and --subject');
}

/** The stage files' rows, read by DuckDB (nats-range.ts writes them). */
const RAW_VIEW = 'evt_store_nats';

/**
 * The members spliced into each staged CloudEvents record (none is a CloudEvents attribute
 * name, which is lower-case letters and digits): NATS_KEY, what the envelope has no place for,
 * kept in meta as it is (`{"stream", "subject", "time", "headers"}`); TIME_KEY, the server's
 * time again at the top, where the record's one parse reads it for ts and recorded_ts;
 * PROBLEM_KEY, why a binary-mode CloudEvent cannot be read.
 */
export const NATS_KEY = '$nats';
export const NATS_TIME_KEY = '$nats_time';
export const NATS_PROBLEM_KEY = '$nats_problem';

/**
 * The stage columns beside each canonical record (Preset.stageColumns): NATS_META, the text of
 * `{"stream", "subject", "time"}` for meta's `$nats`; NATS_TIME, the server's time (RFC 3339);
 * NATS_HEADERS, the headers' JSON object text, NULL when the message has none.
 */
const NATS_META = 'nats_meta';
const NATS_TIME = 'nats_time';
const NATS_HEADERS = 'nats_headers';

/**
 * The record for each message, built in SQL over the raw messages, with what the message is
 * besides its payload: the server's timestamp, RFC 3339 UTC to the nanosecond, trailing zeros
 * cut as the server writes it, the subject, the stream and the headers. Canonical (and any
 * other preset but CloudEvents): the payload as it is, and those in stage columns beside it
 * (natsPreset reads them): splicing them into the payload's text made every record longer for
 * each of the mapping's passes over it (validity, keys, the one parse), and their parse, 0.8
 * CPU-s per 200k messages. CloudEvents, whose preset reads the record's members, gets them
 * spliced in (text concatenation: the payload is not parsed twice): `"$nats": {"stream",
 * "subject", "time", "headers"}` and `"$nats_time"`, and `"$nats_problem"` for a binary-mode
 * event that cannot be read; in structured mode (the attributes in the body) the payload is
 * the event, in binary mode (the attributes in ce- headers) the structured event the reader
 * built (nats-range.ts). A payload that is not a JSON object stays as it is, and the mapping
 * rejects it with its stream sequence (its rejects row keeps the payload alone:
 * StoreRead.rejectRaw).
 */
export function natsRecordSql(preset: string, stream: string): string {
  // The cast writes 'YYYY-MM-DD hh:mm:ss[.fraction]' (no trailing zeros); strftime costs 4x.
  const iso = `replace(make_timestamp_ns(time)::VARCHAR, ' ', 'T') || 'Z'`;
  const natsMeta = (headers: boolean) => [
    `'{"stream":'`, sqlString(JSON.stringify(stream)), `',"subject":'`, 'to_json(subject)::VARCHAR', `',"time":"'`, 'iso', `'"'`,
    ...(headers ? [`CASE WHEN headers IS NULL THEN '' ELSE concat(',"headers":', headers) END`] : []), `'}'`,
  ].join(', ');
  if (preset !== 'cloudevents') {
    return `SELECT pos, payload AS line, concat(${natsMeta(false)}) AS ${NATS_META}, iso AS ${NATS_TIME}, headers AS ${NATS_HEADERS}
      FROM (SELECT pos, payload, headers, subject, ${iso} AS iso FROM ${RAW_VIEW})`;
  }
  // One concat() per line: a chain of || copies the growing line (the payload) at every step.
  const members = [
    `'"${NATS_KEY}":'`, natsMeta(true), `',"${NATS_TIME_KEY}":"'`, 'iso', `'"'`,
    `CASE WHEN problem IS NULL THEN '' ELSE concat(',"${NATS_PROBLEM_KEY}":', to_json(problem)::VARCHAR) END`,
  ].join(', ');
  // Most payloads start '{"': the blank-skipping checks (an empty object) only run for the others.
  const p = `CASE WHEN starts_with(payload, '{') THEN payload ELSE ltrim(payload) END`;
  return `SELECT pos, CASE
      WHEN NOT starts_with(p, '{') THEN payload
      WHEN starts_with(p, '{"') THEN concat('{', ${members}, ',', substr(p, 2))
      WHEN starts_with(ltrim(substr(p, 2)), '}') THEN concat('{', ${members}, '}')
      ELSE concat('{', ${members}, ',', substr(p, 2))
    END AS line
    FROM (SELECT pos, payload, ${p} AS p, headers, subject, problem, ${iso} AS iso FROM ${RAW_VIEW})`;
}

/**
 * The preset for JetStream: the stream sequence as position, the server's timestamp as
 * recorded_ts (unless the message carries its own recording time) and as ts when the message has
 * no time of its own. Canonical: the headers (when the message has any) merged over the
 * payload's own meta, Nats-Msg-Id as the id when present, `$nats` added to meta, all read from
 * the stage columns (natsRecordSql). CloudEvents: `$nats` is in meta with the attributes
 * (cloudeventsPresetFor).
 */
export function natsPreset(base: Preset): Preset {
  if (base.name === 'cloudevents') {
    const ce = cloudeventsPresetFor({
      serverTime: (access) => access.text(`["${NATS_TIME_KEY}"]`), keptMembers: [NATS_KEY], hiddenMembers: [NATS_TIME_KEY, NATS_PROBLEM_KEY], problemMember: NATS_PROBLEM_KEY,
    });
    return { ...ce, expressions: (access, ctx) => ({ ...(ce.expressions?.(access, ctx) ?? {}), position: 'pos::VARCHAR' }) };
  }
  const stageColumns = [NATS_META, NATS_TIME, NATS_HEADERS];
  if (base.name !== 'canonical') {
    return { ...base, stageColumns, expressions: (access, ctx) => ({ ...(base.expressions?.(access, ctx) ?? {}), position: 'pos::VARCHAR' }) };
  }
  return {
    ...base,
    stageColumns,
    expressions: (access, ctx) => {
      const meta = candidatesExpr(access, 'meta', base.candidates.meta ?? []);
      const id = candidatesExpr(access, 'id', base.candidates.id ?? []);
      const ts = candidatesExpr(access, 'ts', base.candidates.ts ?? []);
      const recorded = candidatesExpr(access, 'recorded_ts', base.candidates.recorded_ts ?? []);
      const withNats = `'{"${NATS_KEY}":' || ${NATS_META}`;
      return {
        ...(base.expressions?.(access, ctx) ?? {}),
        position: 'pos::VARCHAR',
        ts: `coalesce(${ts}, ${NATS_TIME})`,
        recorded_ts: `coalesce(${recorded}, ${NATS_TIME})`,
        // Without headers (most messages), $nats goes in front of the payload's meta as text
        // (its JSON is minified: '{}' or '{"…'); json_merge_patch costs three times as much.
        // A meta that is no object (an array, a string) is kept as it is, without $nats.
        meta: `CASE
          WHEN ${NATS_HEADERS} IS NOT NULL THEN json_merge_patch(coalesce(${meta}, '{}'::JSON), ${NATS_HEADERS}::JSON, (${withNats} || '}')::JSON)
          WHEN ${meta} IS NULL OR ${meta}::VARCHAR = '{}' THEN ${withNats} || '}'
          WHEN starts_with(${meta}::VARCHAR, '{') THEN ${withNats} || ',' || substr(${meta}::VARCHAR, 2)
          ELSE ${meta}
        END`,
        id: `coalesce(CASE WHEN ${NATS_HEADERS} IS NOT NULL THEN json_extract_string(${NATS_HEADERS}, '$."Nats-Msg-Id"') END, ${id})`,
      };
    },
  };
}

/** The rows of a JetStream read as the store held them (StoreRead.rejectRaw). */
export const REJECT_RAW = `SELECT pos, payload AS raw FROM ${RAW_VIEW}`;

/** The stage (STAGE_TABLE) as views over the stage files a read wrote (nats-range.ts). */
export async function stageViews(store: Store, files: readonly string[], preset: Preset, stream: string): Promise<void> {
  await store.run(`CREATE OR REPLACE TEMP VIEW ${RAW_VIEW} AS
    SELECT pos, CASE WHEN kind = 'j' THEN json_extract_string(payload, '$') ELSE payload END AS payload, nullif(headers, '') AS headers, subject,
      time, nullif(problem, '') AS problem
    FROM read_csv([${files.map((f) => sqlString(f)).join(', ')}], columns={'pos': 'BIGINT', 'kind': 'VARCHAR', 'headers': 'VARCHAR', 'subject': 'VARCHAR',
        'time': 'BIGINT', 'problem': 'VARCHAR', 'payload': 'VARCHAR'},
      header=false, delim=E'\\x1F', quote='', escape='', new_line='\\n', auto_detect=false, strict_mode=false,
      max_line_size=${MAX_LINE_BYTES}, buffer_size=${2 * MAX_LINE_BYTES})`);
  await store.run(`CREATE OR REPLACE TEMP VIEW ${STAGE_TABLE} AS ${natsRecordSql(preset.name, stream)}`);
}

/** Drops the view over the stage files (the stage itself is dropped by ingest-store.ts). */
export async function dropStageViews(store: Store): Promise<void> {
  await store.run(`DROP VIEW IF EXISTS ${RAW_VIEW}`);
}

/** Above this many messages to read, two worker threads read the two halves of the range. */
const splitMessages = () => Number(process.env.EVTRAIL_NATS_SPLIT) || 100_000;

/**
 * Reads the stream with ordered consumers, from the message after the checkpoint (or from
 * --since, or the start) up to the stream's last sequence when the read began: messages
 * published meanwhile are left for the next ingest. Each message is staged with its stream
 * sequence as pos. A large read is split by sequence into two parts read at once by two worker
 * threads (nats-range.ts: the client's parsing is the heavy part of a read); a read from --since
 * does not know its first sequence, and reads in one part.
 */
export async function readNats(
  store: Store, target: NatsTarget, preset: Preset, checkpoint: string | null, progress?: (message: string) => void,
): Promise<StoreRead> {
  const dir = makeTempDir('evtrail-nats-', 'the messages read from JetStream');
  const cleanup = async () => {
    await store.run(`DROP VIEW IF EXISTS ${RAW_VIEW}`).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  let done = false;
  let nc: NatsConnection | undefined;
  // The consumers this read creates are named after it, and deleted by that name when it ends
  // (deleteConsumers): an ingest leaves nothing on the server, whatever stopped it.
  const namePrefix = `evtrail_${crypto.randomBytes(6).toString('hex')}`;
  let consumed = false;
  try {
    let lastSeq: number;
    let firstSeq: number;
    try {
      nc = await connect({ servers: target.servers, timeout: 5000, reconnect: false, name: 'evtrail' });
    } catch (error) {
      throw natsError(error, target);
    }
    const info = await (await jetstreamManager(nc, { timeout: 10_000 })).streams.info(target.stream);
    lastSeq = info.state.last_seq;
    firstSeq = info.state.first_seq;
    const from = checkpoint === null ? 0 : Number(checkpoint);
    if (lastSeq <= from) return { rows: 0, last: null, cleanup };
    const base = { servers: target.servers, stream: target.stream, subject: target.subject, cloudevents: preset.name === 'cloudevents' };
    const parts: RangeRequest[] = [];
    const part = (n: number) => ({ namePrefix: `${namePrefix}_${n}`, file: path.join(dir, `part-${n}.txt`) });
    if (checkpoint === null && target.since) {
      parts.push({ ...base, start: null, since: target.since, end: lastSeq, ...part(1) });
    } else {
      const start = Math.max(from + 1, firstSeq);
      const mid = start + Math.floor((lastSeq - start) / 2);
      if (lastSeq - start + 1 > splitMessages()) {
        parts.push({ ...base, start, end: mid, ...part(1) }, { ...base, start: mid + 1, end: lastSeq, ...part(2) });
      } else {
        parts.push({ ...base, start, end: lastSeq, ...part(1) });
      }
    }
    const counts = parts.map(() => 0);
    consumed = true;
    // A part that fails (or is interrupted) stops the other at once.
    const stop = new AbortController();
    const results = await Promise.all(parts.map((part, i) => readPart(part, (rows) => {
      counts[i] = rows;
      progress?.(`reading ${target.uri}: ${counts.reduce((a, b) => a + b, 0)} messages`);
    }, stop.signal).catch((error: unknown) => {
      stop.abort();
      throw error;
    })));
    const rows = results.reduce((n, r) => n + r.rows, 0);
    const last = results.reduce<number | null>((m, r) => (r.last !== null && (m === null || r.last > m) ? r.last : m), null);
    await stageViews(store, parts.map((p) => p.file), preset, target.stream);
    done = true;
    return { rows, last: last === null ? null : String(last), cleanup, rejectRaw: REJECT_RAW };
  } catch (error) {
    const e = error as { name?: unknown; code?: unknown };
    if (error instanceof UserError) throw error;
    // The temp files' errors the CLI says in its own words; the server's become one line.
    if (!isFileSystemError(error) && (/Nats|JetStream|NotFound|Timeout|Connection|Request|Protocol|Authori[sz]ation|Permission|NoResponders/i.test(String(e?.name)) || typeof e?.code === 'string')) throw natsError(error, target);
    throw error;
  } finally {
    if (nc) {
      if (consumed) await deleteConsumers(nc, target.stream, namePrefix);
      await nc.close().catch(() => undefined);
    }
    if (!done) await cleanup();
  }
}

/**
 * Deletes the stream's consumers whose name starts with `prefix` (those of one read: the
 * ordered consumer of each part, and any the client made anew after a hiccup). Done by the
 * main thread once every part has ended, well or not (an error, a Ctrl-C that stopped a worker):
 * without it each would live on the server for its inactivity threshold, counting against the
 * stream's max_consumers. Best effort: a failure here must not hide what ended the read.
 */
export async function deleteConsumers(nc: NatsConnection, stream: string, prefix: string): Promise<void> {
  try {
    const jsm = await jetstreamManager(nc, { timeout: 10_000 });
    const names: string[] = [];
    for await (const c of jsm.consumers.list(stream)) if (c.name.startsWith(`${prefix}_`)) names.push(c.name);
    await Promise.all(names.map((name) => jsm.consumers.delete(stream, name).catch(() => undefined)));
  } catch {
    /* the server is gone or the stream deleted: nothing left to delete */
  }
}

/**
 * One part, in a worker thread when evtrail runs built (dist/), in this thread when it runs
 * from its TypeScript sources (the tests), where there is no compiled worker to start. `stop`
 * ends the worker (the other part failed).
 */
async function readPart(part: RangeRequest, progress: (rows: number) => void, stop: AbortSignal): Promise<RangeResult> {
  const script = new URL('./nats-worker.js', import.meta.url);
  if (!fs.existsSync(script)) return readRange(part, progress);
  const worker = new Worker(script, { workerData: part });
  try {
    return await new Promise<RangeResult>((resolve, reject) => {
      stop.addEventListener('abort', () => reject(new Error('stopped: the other part failed')), { once: true });
      worker.on('message', (m: { kind: string; rows?: number; result?: RangeResult; name?: string; code?: string; syscall?: string; path?: string; message?: string }) => {
        if (m.kind === 'progress') {
          // The callback throws to stop the ingest (Ctrl-C): a rejection here, not an uncaught throw.
          try {
            progress(m.rows ?? 0);
          } catch (error) {
            reject(error);
          }
        } else if (m.kind === 'done') resolve(m.result!);
        else reject(Object.assign(new Error(m.message), { name: m.name, code: m.code, syscall: m.syscall, path: m.path }));
      });
      worker.on('error', reject);
      worker.on('exit', (code) => reject(new Error(`JetStream reader stopped (exit ${code})`)));
    });
  } finally {
    await worker.terminate();
  }
}
