import fs from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { DeliverPolicy, jetstream, type JsMsg } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

/**
 * One part of a JetStream read: an ordered consumer from `start` (a stream sequence) or from
 * `since` (a time, first reads only), up to `end`, every message written to `file` as one
 * stage line. Runs in a worker thread (nats-worker.ts) so that two parts are parsed on two
 * cores: the client's protocol parsing is most of a JetStream read (≈ 4.4 s of CPU per 1M
 * messages here), and a part writes its own file, which DuckDB then reads in parallel.
 *
 * A stage line is `seq US kind US headers US subject US time US problem US payload LF`
 * (US = 0x1F): the payload as its own bytes (kind `r`), or, when it holds LF, CR or US, or is
 * not UTF-8, as a JSON string (kind `j`, invalid bytes replaced by U+FFFD as TextDecoder
 * does); headers as a JSON object, empty when the message has none; time, the server's
 * timestamp of the message in nanoseconds since the epoch (exact: the digits of its ack
 * subject, not the client's rounded number); problem, empty or why a binary-mode CloudEvent
 * cannot be read (its reject reason). No JavaScript string per payload on the common path.
 *
 * The consumers are ordered consumers named `namePrefix`_N (N grows when the client recreates
 * one): readNats deletes every consumer of that prefix when the read ends, however it ends.
 */
export interface RangeRequest {
  servers: string;
  stream: string;
  subject?: string;
  /** First stream sequence to read; null with `since`. */
  start: number | null;
  since?: string;
  /** Last stream sequence to read (inclusive). */
  end: number;
  file: string;
  /** --preset cloudevents: a message in binary mode (ce- headers) is staged as the structured event. */
  cloudevents?: boolean;
  /** The name prefix of this part's consumers (readNats deletes them by it). */
  namePrefix: string;
}

export interface RangeResult {
  rows: number;
  /** The largest sequence read, or null. */
  last: number | null;
}

const US = 0x1f;
const LF = 0x0a;
const CR = 0x0d;
/** Messages per pull request. */
const BATCH = 10_000;
/** Bytes buffered before a write. */
const FLUSH_BYTES = 4 << 20;
/**
 * How long the server keeps a consumer nobody pulls from: only for a reader killed before
 * readNats could delete its consumers (kill -9, a second Ctrl-C). Longer than any pause
 * between two pulls of a live read.
 */
export const CONSUMER_INACTIVE_MS = 60_000;

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
 * A `ce-` header's value as the attribute's text (CloudEvents NATS protocol binding §3.1.3.2):
 * first a double-quoted string is unquoted (RFC 7230 §3.2.6, backslash escapes; older
 * producers), then one round of percent-decoding (either case of hex digits; characters that
 * need none may still be encoded). A `%` not followed by two hex digits, or bytes that are no
 * valid UTF-8 (overlong forms among them), make the value unreadable: null.
 */
export function decodeHeaderValue(raw: string): string | null {
  let value = raw;
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1).replace(/\\([\s\S])/g, '$1');
  if (!value.includes('%')) return value;
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x25) {
      const hex = value.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return null;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (c < 0x80) bytes.push(c);
    else {
      // A character that should have been encoded, kept as its UTF-8 bytes (a surrogate pair whole).
      const cp = value.codePointAt(i)!;
      if (cp > 0xffff) i++;
      bytes.push(...Buffer.from(String.fromCodePoint(cp)));
    }
  }
  const buf = Buffer.from(bytes);
  return isUtf8(buf) ? buf.toString('utf8') : null;
}

/** A binary-mode CloudEvent as the structured event, or why it cannot be read. */
export interface BinaryCloudEvent {
  event: string;
  /** Why the event cannot be read (a ce- header that is no valid percent-encoded UTF-8), or null. */
  problem: string | null;
}

/**
 * A CloudEvent in binary content mode (CloudEvents NATS protocol binding: the attributes in
 * `ce-` headers, percent-encoded, the payload is the data, its media type in `content-type`) as
 * the structured JSON event the cloudevents preset reads, or null when the message is in
 * structured mode. The data is the payload's JSON value when the media type says JSON (or none
 * is given and the payload parses), else its text, or its bytes in base64 (data_base64) when it
 * is not UTF-8. A header value that cannot be decoded stays as it came, and `problem` says
 * which: the event is rejected with that reason.
 */
export function binaryCloudEvent(msg: Pick<JsMsg, 'headers' | 'data'>): BinaryCloudEvent | null {
  const headers = msg.headers;
  if (!headers) return null;
  const attributes: Record<string, unknown> = {};
  let contentType: string | undefined;
  let problem: string | null = null;
  for (const key of headers.keys()) {
    const lower = key.toLowerCase();
    if (lower.startsWith('ce-') && lower.length > 3) {
      const raw = headers.get(key);
      const value = decodeHeaderValue(raw);
      if (value === null) problem ??= `${key}: header value ${JSON.stringify(raw.slice(0, 60))} is not percent-encoded UTF-8 (CloudEvents NATS binding 3.1.3.2)`;
      attributes[lower.slice(3)] = value ?? raw;
    } else if (lower === 'content-type') contentType = headers.get(key);
  }
  if (attributes.specversion === undefined) return null;
  if (contentType !== undefined && attributes.datacontenttype === undefined) attributes.datacontenttype = contentType;
  const media = String(attributes.datacontenttype ?? '').split(';')[0]!.trim().toLowerCase();
  const jsonMedia = media === '' || media === 'application/json' || media === 'text/json' || media.endsWith('+json');
  if (msg.data.length > 0) {
    if (!isUtf8(msg.data)) attributes.data_base64 = Buffer.from(msg.data).toString('base64');
    else {
      const text = new TextDecoder().decode(msg.data);
      let parsed: { ok: boolean; value?: unknown } = { ok: false };
      if (jsonMedia) {
        try {
          parsed = { ok: true, value: JSON.parse(text) };
        } catch {
          /* not JSON after all: kept as text */
        }
      }
      attributes.data = parsed.ok ? parsed.value : text;
    }
  }
  return { event: JSON.stringify(attributes), problem };
}

/**
 * The server's timestamp of a message in nanoseconds since the epoch, as the digits of its ack
 * subject (`$JS.ACK.[domain.hash.]stream.consumer.delivered.sseq.dseq.ts.pending[.random]`):
 * exact, and without the bigint the client's timestampNanos makes of it.
 */
export function serverNanos(msg: Pick<JsMsg, 'timestampNanos'>): string {
  const reply = (msg as { reply?: unknown }).reply;
  if (typeof reply !== 'string') return String(msg.timestampNanos);
  const tokens = reply.split('.');
  return tokens[tokens.length === 9 ? 7 : 9]!;
}

/** Whether a payload can go into a stage line as its own bytes. */
export function rawSafe(data: Uint8Array): boolean {
  return data.indexOf(LF) < 0 && data.indexOf(CR) < 0 && data.indexOf(US) < 0 && isUtf8(data);
}

/**
 * The stage file, written from two alternating buffers: one is filled while the other is
 * written (the write runs on libuv's thread pool, off this thread), and no message allocates
 * anything of its own but the text of its line's head.
 */
export class StageWriter {
  private buffers = [Buffer.allocUnsafe(FLUSH_BYTES), Buffer.allocUnsafe(FLUSH_BYTES)];
  private current = 0;
  private offset = 0;
  private writing: Promise<unknown> | undefined;

  constructor(private readonly handle: fs.promises.FileHandle) {}

  /**
   * Adds a line's head (text) and its payload (bytes), then a newline. A promise only when the
   * buffer had to be written out first (the caller awaits that one; a promise per message
   * costs a microtask each).
   */
  line(head: string, payload?: Uint8Array): Promise<void> | undefined {
    const need = Buffer.byteLength(head) + (payload?.length ?? 0) + 1;
    if (need > FLUSH_BYTES) return this.alone(head, payload);
    if (this.offset + need > FLUSH_BYTES) return this.flush().then(() => this.append(head, payload));
    this.append(head, payload);
    return undefined;
  }

  private append(head: string, payload: Uint8Array | undefined): void {
    const buf = this.buffers[this.current]!;
    this.offset += buf.write(head, this.offset);
    if (payload) {
      buf.set(payload, this.offset);
      this.offset += payload.length;
    }
    buf[this.offset++] = LF;
  }

  /** A line larger than a buffer (JetStream allows up to 64 MB messages) goes out on its own. */
  private async alone(head: string, payload: Uint8Array | undefined): Promise<void> {
    await this.flush();
    await this.writing;
    this.writing = this.handle.write(Buffer.concat([Buffer.from(head), payload ?? new Uint8Array(0), NEWLINE]));
  }

  async flush(): Promise<void> {
    await this.writing;
    if (this.offset === 0) return;
    this.writing = this.handle.write(this.buffers[this.current]!, 0, this.offset);
    this.current = 1 - this.current;
    this.offset = 0;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.writing;
  }
}

const decoder = new TextDecoder();

/** Writes a message's stage line (see above); a promise only when the writer had to flush first. */
export function stageMessage(out: StageWriter, m: JsMsg, cloudevents: boolean): Promise<void> | undefined {
  const seq = m.info.streamSequence;
  const tail = `\x1f${headersJson(m) ?? ''}\x1f${m.subject}\x1f${serverNanos(m)}\x1f`;
  const binary = cloudevents ? binaryCloudEvent(m) : null;
  return binary !== null
    ? out.line(`${seq}\x1fr${tail}${binary.problem ?? ''}\x1f`, Buffer.from(binary.event))
    : rawSafe(m.data)
    ? out.line(`${seq}\x1fr${tail}\x1f`, m.data)
    : out.line(`${seq}\x1fj${tail}\x1f${JSON.stringify(decoder.decode(m.data))}`);
}

export async function readRange(req: RangeRequest, progress?: (rows: number) => void): Promise<RangeResult> {
  const nc = await connect({ servers: req.servers, timeout: 5000, reconnect: false, name: 'evtrail' });
  const handle = await fs.promises.open(req.file, 'w');
  let rows = 0;
  let last: number | null = null;
  try {
    const js = jetstream(nc, { timeout: 10_000 });
    const start = req.start !== null
      ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: req.start }
      : req.since
        ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: req.since }
        : { deliver_policy: DeliverPolicy.All };
    const consumer = await js.consumers.get(req.stream, {
      ...start, name_prefix: req.namePrefix, inactive_threshold: CONSUMER_INACTIVE_MS, ...(req.subject ? { filter_subjects: req.subject } : {}),
    });
    if ((await consumer.info()).num_pending === 0) return { rows, last };
    const out = new StageWriter(handle);
    const messages = await consumer.consume({ max_messages: BATCH });
    for await (const m of messages) {
      const info = m.info;
      const seq = info.streamSequence;
      if (seq > req.end) break;
      const wait = stageMessage(out, m, req.cloudevents ?? false);
      if (wait) await wait;
      rows++;
      last = seq;
      if (rows % 100_000 === 0) progress?.(rows);
      if (seq >= req.end || info.pending === 0) break;
    }
    await out.close();
    await messages.close();
    return { rows, last };
  } finally {
    await handle.close();
    await nc.close().catch(() => undefined);
  }
}

const NEWLINE = Uint8Array.of(LF);
