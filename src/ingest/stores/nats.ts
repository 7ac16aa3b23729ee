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
  if (/jetstream not enabled|no responders/i.test(text)) {
    return new UserError(`NATS at ${target.where}: JetStream is not enabled`, 'start nats-server with -js');
  }
  if (/timeout/i.test(text)) return new UserError(`NATS at ${target.where}: timed out`, 'check the host, the port and the network');
  return new UserError(`NATS at ${target.where}: ${text.split('\n')[0]}`, 'check the URL, --stream and --subject');
}

/** The stage files' rows, read by DuckDB (nats-range.ts writes them). */
const RAW_VIEW = 'evt_store_nats';

/** The key under which a message's headers ride in its staged record. */
export const NATS_HEADERS_KEY = '$nats';

/**
 * The record for each message, built in SQL over the raw messages: the payload as it is, and
 * for the canonical preset, when the message has headers, the headers spliced in as one more
 * member (`"$nats": {...}`, text concatenation: the payload is not parsed twice). The preset
 * (natsCanonicalPreset) merges them into meta and takes Nats-Msg-Id as the id. CloudEvents in
 * structured mode (the attributes in the body) are staged as they are, in binary mode (the
 * attributes in ce- headers) as the structured event the reader built (nats-range.ts). A payload
 * that is not a JSON object stays as it is, and the mapping rejects it with its stream sequence.
 */
export function natsRecordSql(preset: string): string {
  if (preset !== 'canonical') return `SELECT pos, payload AS line FROM ${RAW_VIEW}`;
  return `SELECT pos, CASE
      WHEN headers IS NULL OR NOT starts_with(ltrim(payload), '{') THEN payload
      WHEN starts_with(ltrim(substr(ltrim(payload), 2)), '}') THEN '{"${NATS_HEADERS_KEY}":' || headers || '}'
      ELSE '{"${NATS_HEADERS_KEY}":' || headers || ',' || substr(ltrim(payload), 2)
    END AS line
    FROM ${RAW_VIEW}`;
}

/**
 * The canonical preset for JetStream: the stream sequence as position, the headers (when the
 * message has any) merged over the payload's own meta, Nats-Msg-Id as the id when present.
 */
export function natsCanonicalPreset(base: Preset): Preset {
  return {
    ...base,
    takesKeys: [NATS_HEADERS_KEY],
    expressions: (access, ctx) => {
      const headers = access.json(`["${NATS_HEADERS_KEY}"]`);
      const meta = candidatesExpr(access, 'meta', base.candidates.meta ?? []);
      const id = candidatesExpr(access, 'id', base.candidates.id ?? []);
      return {
        ...(base.expressions?.(access, ctx) ?? {}),
        position: 'pos::VARCHAR',
        meta: `CASE WHEN ${headers} IS NULL THEN ${meta} ELSE json_merge_patch(coalesce(${meta}, '{}'::JSON), ${headers}) END`,
        id: `coalesce(json_extract_string(${headers}, '$."Nats-Msg-Id"'), ${id})`,
      };
    },
  };
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
  try {
    let lastSeq: number;
    let firstSeq: number;
    let nc: NatsConnection;
    try {
      nc = await connect({ servers: target.servers, timeout: 5000, reconnect: false, name: 'evtrail' });
    } catch (error) {
      throw natsError(error, target);
    }
    try {
      const info = await (await jetstreamManager(nc, { timeout: 10_000 })).streams.info(target.stream);
      lastSeq = info.state.last_seq;
      firstSeq = info.state.first_seq;
    } finally {
      await nc.close().catch(() => undefined);
    }
    const from = checkpoint === null ? 0 : Number(checkpoint);
    if (lastSeq <= from) return { rows: 0, last: null, cleanup };
    const base = { servers: target.servers, stream: target.stream, subject: target.subject, cloudevents: preset.name === 'cloudevents' };
    const parts: RangeRequest[] = [];
    if (checkpoint === null && target.since) {
      parts.push({ ...base, start: null, since: target.since, end: lastSeq, file: path.join(dir, 'part-1.txt') });
    } else {
      const start = Math.max(from + 1, firstSeq);
      const mid = start + Math.floor((lastSeq - start) / 2);
      if (lastSeq - start + 1 > splitMessages()) {
        parts.push({ ...base, start, end: mid, file: path.join(dir, 'part-1.txt') }, { ...base, start: mid + 1, end: lastSeq, file: path.join(dir, 'part-2.txt') });
      } else {
        parts.push({ ...base, start, end: lastSeq, file: path.join(dir, 'part-1.txt') });
      }
    }
    const counts = parts.map(() => 0);
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
    await store.run(`CREATE OR REPLACE TEMP VIEW ${RAW_VIEW} AS
      SELECT pos, CASE WHEN kind = 'j' THEN json_extract_string(payload, '$') ELSE payload END AS payload, nullif(headers, '') AS headers, subject
      FROM read_csv([${parts.map((p) => sqlString(p.file)).join(', ')}], columns={'pos': 'BIGINT', 'kind': 'VARCHAR', 'headers': 'VARCHAR', 'subject': 'VARCHAR', 'payload': 'VARCHAR'},
        header=false, delim=E'\\x1F', quote='', escape='', new_line='\\n', auto_detect=false, strict_mode=false,
        max_line_size=${MAX_LINE_BYTES}, buffer_size=${2 * MAX_LINE_BYTES})`);
    await store.run(`CREATE OR REPLACE TEMP VIEW ${STAGE_TABLE} AS ${natsRecordSql(preset.name)}`);
    done = true;
    return { rows, last: last === null ? null : String(last), cleanup };
  } catch (error) {
    const e = error as { name?: unknown; code?: unknown };
    if (error instanceof UserError) throw error;
    // The temp files' errors the CLI says in its own words; the server's become one line.
    if (!isFileSystemError(error) && (/Nats|JetStream|NotFound|Timeout|Connection|Request|Protocol|Authori[sz]ation|Permission|NoResponders/i.test(String(e?.name)) || typeof e?.code === 'string')) throw natsError(error, target);
    throw error;
  } finally {
    if (!done) await cleanup();
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
