import type { DuckDBAppender } from '@duckdb/node-api';
import { DeliverPolicy, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { UserError } from '../../core/errors.js';
import type { Store } from '../../store/store.js';
import type { Preset } from '../presets/preset.js';
import { candidatesExpr } from '../mapping.js';
import type { StoreRead } from './ingest-store.js';
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

/** Messages per pull request. */
const BATCH = 10_000;

/** The raw messages: payload text, headers as a JSON object (NULL when none), subject. */
const RAW_TABLE = 'evt_store_nats';

/** The key under which a message's headers ride in its staged record. */
export const NATS_HEADERS_KEY = '$nats';

/**
 * The record for each message, built in SQL over the raw messages: the payload as it is, and
 * for the canonical preset, when the message has headers, the headers spliced in as one more
 * member (`"$nats": {...}`, text concatenation: the payload is not parsed twice). The preset
 * (natsCanonicalPreset) merges them into meta and takes Nats-Msg-Id as the id. CloudEvents
 * payloads (structured mode: the attributes are in the body) are staged as they are. A payload
 * that is not a JSON object stays as it is, and the mapping rejects it with its stream sequence.
 */
export function natsRecordSql(preset: string): string {
  if (preset !== 'canonical') return `SELECT pos, payload AS line FROM ${RAW_TABLE}`;
  return `SELECT pos, CASE
      WHEN headers IS NULL OR NOT starts_with(ltrim(payload), '{') THEN payload
      WHEN starts_with(ltrim(substr(ltrim(payload), 2)), '}') THEN '{"${NATS_HEADERS_KEY}":' || headers || '}'
      ELSE '{"${NATS_HEADERS_KEY}":' || headers || ',' || substr(ltrim(payload), 2)
    END AS line
    FROM ${RAW_TABLE}`;
}

/**
 * The canonical preset for JetStream: the stream sequence as position, the headers (when the
 * message has any) merged over the payload's own meta, Nats-Msg-Id as the id when present.
 */
export function natsCanonicalPreset(base: Preset): Preset {
  return {
    ...base,
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

/** A message's headers as a JSON object text (a header with several values: an array), or null. */
export function headersJson(msg: Pick<JsMsg, 'headers'>): string | null {
  const headers = msg.headers;
  if (!headers) return null;
  const out: Record<string, string | string[]> = {};
  for (const key of headers.keys()) {
    const values = headers.values(key);
    out[key] = values.length === 1 ? values[0]! : values;
  }
  return JSON.stringify(out);
}

/**
 * Reads the stream with an ordered consumer, from the message after the checkpoint (or from
 * --since, or the start) up to the stream's last sequence when the read began: messages
 * published meanwhile are left for the next ingest. Each message is staged with its stream
 * sequence as pos.
 */
export async function readNats(
  store: Store, target: NatsTarget, preset: Preset, checkpoint: string | null, progress?: (message: string) => void,
): Promise<StoreRead> {
  let nc: NatsConnection;
  try {
    nc = await connect({ servers: target.servers, timeout: 5000, reconnect: false, name: 'evtrail' });
  } catch (error) {
    throw natsError(error, target);
  }
  let appender: DuckDBAppender | undefined;
  let rows = 0;
  let last: number | null = null;
  try {
    const jsm = await jetstreamManager(nc, { timeout: 10_000 });
    const info = await jsm.streams.info(target.stream);
    const lastSeq = info.state.last_seq;
    const from = checkpoint === null ? 0 : Number(checkpoint);
    await store.run(`CREATE OR REPLACE TEMP TABLE ${RAW_TABLE} (pos BIGINT NOT NULL, payload VARCHAR, headers VARCHAR, subject VARCHAR)`);
    appender = await store.conn.createAppender(RAW_TABLE, 'main', 'temp');
    if (lastSeq > from) {
      const js = jetstream(nc, { timeout: 10_000 });
      const start = checkpoint !== null
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from + 1 }
        : target.since
          ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: target.since }
          : { deliver_policy: DeliverPolicy.All };
      const consumer = await js.consumers.get(target.stream, { ...start, ...(target.subject ? { filter_subjects: target.subject } : {}) });
      const pending = (await consumer.info()).num_pending;
      if (pending > 0) {
        const decoder = new TextDecoder();
        const messages = await consumer.consume({ max_messages: BATCH });
        for await (const m of messages) {
          if (m.seq > lastSeq) break;
          appender.appendBigInt(BigInt(m.seq));
          appender.appendVarchar(decoder.decode(m.data));
          const h = headersJson(m);
          if (h === null) appender.appendNull();
          else appender.appendVarchar(h);
          appender.appendVarchar(m.subject);
          appender.endRow();
          rows++;
          last = m.seq;
          if (rows % 100_000 === 0) progress?.(`reading ${target.uri}: ${rows} messages`);
          if (m.seq >= lastSeq || m.info.pending === 0) break;
        }
        await messages.close();
      }
    }
    appender.closeSync();
    appender = undefined;
    await store.run(`CREATE OR REPLACE TEMP VIEW ${STAGE_TABLE} AS ${natsRecordSql(preset.name)}`);
    return { rows, last: last === null ? null : String(last), cleanup: () => store.run(`DROP TABLE IF EXISTS ${RAW_TABLE}`).catch(() => undefined) };
  } catch (error) {
    const e = error as { name?: unknown; code?: unknown };
    if (error instanceof UserError || /Nats|JetStream|NotFound|Timeout|Connection|Request|Protocol|Authori[sz]ation|Permission|NoResponders/i.test(String(e?.name)) || typeof e?.code === 'string') throw natsError(error, target);
    throw error;
  } finally {
    appender?.closeSync();
    await nc.close().catch(() => undefined);
  }
}
