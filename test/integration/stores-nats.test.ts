import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AckPolicy, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTradingLog, type CanonicalTradingEvent } from '../../src/fixtures/trading-generator.js';
import { ingestStore } from '../../src/ingest/stores/ingest-store.js';
import { openStoreSource, type StoreSourceFlags } from '../../src/ingest/stores/open.js';
import { MACROS_SQL } from '../../src/store/macros.js';
import { Store } from '../../src/store/store.js';
import { BIN, cli, cliJson, tmpDir } from '../helpers.js';
import { NATS_URL, skipWithout } from '../servers.js';

/**
 * NATS JetStream read from the real server (127.0.0.1:4222): a stream of our own per run,
 * generator events published with headers; every envelope field compared with a plain-JS
 * reference (headers into meta, Nats-Msg-Id as id, stream sequence as position).
 */
const skip = await skipWithout('nats', 'stores-nats');

const ENVELOPE = `seq, id, stream, rev, type, schema_version, evt_iso(ts) AS ts, evt_iso(recorded_ts) AS recorded_ts, correlation_id, causation_id, source,
  data::VARCHAR AS data, meta::VARCHAR AS meta, position, source_pos`;

/** The server's time of a stored message (RFC 3339, trailing zeros cut) as evtrail writes it: nine digits. */
const nanoIso = (t: string) => t.replace(/(?:\.(\d+))?Z$/, (_, f: string | undefined) => `.${(f ?? '').padEnd(9, '0')}Z`);

const events: CanonicalTradingEvent[] = [];
for (const e of generateTradingLog({ orders: 40, seed: 9, anomalyRate: 0 })) events.push(e as CanonicalTradingEvent);

describe.skipIf(skip)('NATS JetStream', () => {
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let dir: string;
  const tag = crypto.randomBytes(4).toString('hex');
  const streamName = `EVT_${tag}`;
  const prefix = `evt${tag}`;
  /** What the store must hold, in publish order. */
  const published: { e: CanonicalTradingEvent; seq: string; subject: string; msgId: string | null; time: string }[] = [];

  const publish = async (list: CanonicalTradingEvent[]) => {
    for (const [i, e] of list.entries()) {
      const h = headers();
      h.set('X-Tenant', 'acme');
      // Every other message carries a Nats-Msg-Id, which then is the event id.
      const msgId = i % 2 === 0 ? `msg-${e.id}` : null;
      const subject = `${prefix}.${e.type === 'OrderPlaced' ? 'orders' : 'fills'}.${e.stream}`;
      const ack = await js.publish(subject, JSON.stringify(e), { headers: h, ...(msgId ? { msgID: msgId } : {}) });
      const stored = await jsm.streams.getMessage(streamName, { seq: ack.seq });
      published.push({ e, seq: String(ack.seq), subject, msgId, time: stored!.timestamp });
    }
  };
  const expected = (list: typeof published) =>
    list.map((p, i) => ({
      seq: String(i + 1), id: p.msgId ?? p.e.id, stream: p.e.stream, rev: String(p.e.rev), type: p.e.type, schema_version: p.e.schema_version,
      ts: p.e.ts, recorded_ts: p.e.recorded_ts, correlation_id: p.e.correlation_id, causation_id: p.e.causation_id, source: p.e.source, data: p.e.data,
      meta: { ...p.e.meta, 'X-Tenant': 'acme', ...(p.msgId ? { 'Nats-Msg-Id': p.msgId } : {}), $nats: { stream: streamName, subject: p.subject, time: p.time } },
      position: p.seq, source_pos: p.seq,
    }));
  const ingest = async (db: string, flags: Partial<StoreSourceFlags> = {}) => {
    const store = await Store.open(path.join(dir, db), { create: true });
    try {
      const summary = await ingestStore(store, await openStoreSource(NATS_URL, { stream: streamName, map: {}, ...flags }));
      const rows: Record<string, unknown>[] = (await store.all(`SELECT ${ENVELOPE} FROM events ORDER BY seq`)).map((r) => ({
        ...r, data: JSON.parse(String(r.data)), meta: JSON.parse(String(r.meta)),
      }));
      return { summary, rows };
    } finally {
      store.close();
    }
  };

  beforeAll(async () => {
    dir = tmpDir();
    nc = await connect({ servers: NATS_URL });
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
    await jsm.streams.add({ name: streamName, subjects: [`${prefix}.>`] });
  });
  afterAll(async () => {
    await jsm?.streams.delete(streamName).catch(() => undefined);
    await nc?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('maps every field, then reads only what was published since', async () => {
    const cut = Math.floor(events.length / 2);
    await publish(events.slice(0, cut));
    const first = await ingest('inc.duckdb');
    expect(first.summary.rejected).toBe(0);
    expect(first.rows).toEqual(expected(published));
    await publish(events.slice(cut));
    const second = await ingest('inc.duckdb');
    expect(second.summary.sources[0]!.status).toBe('appended');
    expect(second.summary.ingested).toBe(events.length - cut);
    expect(second.rows).toEqual(expected(published));
    expect((await ingest('inc.duckdb')).summary.sources[0]!.status).toBe('unchanged');
  });

  it('--subject reads only matching subjects; --since starts at a time', async () => {
    const orders = await ingest('subject.duckdb', { subject: `${prefix}.orders.>` });
    const want = published.filter((p) => p.subject.startsWith(`${prefix}.orders.`));
    expect(want.length).toBeGreaterThan(10);
    expect(orders.rows.map((r) => r.position)).toEqual(want.map((p) => p.seq));
    // Messages published after a moment; --since that moment reads only them.
    await new Promise((r) => setTimeout(r, 50));
    const since = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 50));
    const before = published.length;
    await publish(events.slice(0, 5).map((e) => ({ ...e, id: `${e.id}-again` })));
    const later = await ingest('since.duckdb', { since });
    expect(later.rows.map((r) => r.position)).toEqual(published.slice(before).map((p) => p.seq));
  });

  it('reads CloudEvents (structured) payloads with --preset cloudevents', async () => {
    const ceStream = `${streamName}_CE`;
    await jsm.streams.add({ name: ceStream, subjects: [`${prefix}ce.>`] });
    try {
      const sent: { id: string; seq: string; type: string; subject: string }[] = [];
      for (const e of events.slice(0, 20)) {
        const ce = { specversion: '1.0', id: e.id, source: `/trading/${e.source}`, type: e.type, subject: e.stream, time: e.ts, datacontenttype: 'application/json', data: e.data };
        const ack = await js.publish(`${prefix}ce.${e.source}`, JSON.stringify(ce));
        sent.push({ id: e.id, seq: String(ack.seq), type: e.type, subject: e.stream });
      }
      const store = await Store.open(path.join(dir, 'ce.duckdb'), { create: true });
      try {
        const summary = await ingestStore(store, await openStoreSource(NATS_URL, { stream: ceStream, preset: 'cloudevents', map: {} }));
        expect(summary.rejected).toBe(0);
        const rows = await store.all(`SELECT id, type, stream, position FROM events ORDER BY seq`);
        expect(rows).toEqual(sent.map((s) => ({ id: s.id, type: s.type, stream: s.subject, position: s.seq })));
      } finally {
        store.close();
      }
    } finally {
      await jsm.streams.delete(ceStream).catch(() => undefined);
    }
  });

  it('reads CloudEvents in binary mode (ce- headers, the payload as data) like the same events structured', async () => {
    const bin = `${streamName}_CEB`;
    await jsm.streams.add({ name: bin, subjects: [`${prefix}ceb.>`] });
    try {
      const structured: Record<string, unknown>[] = [];
      for (const [i, e] of events.slice(0, 12).entries()) {
        const ce: Record<string, unknown> = { specversion: '1.0', id: e.id, source: `/trading/${e.source}`, type: e.type, subject: e.stream, time: e.ts, correlationid: e.correlation_id };
        const h = headers();
        for (const [k, v] of Object.entries(ce)) h.set(`ce-${k}`, String(v));
        if (i % 3 === 0) {
          // A text payload: data is the text.
          h.set('content-type', 'text/plain');
          ce.datacontenttype = 'text/plain';
          ce.data = `fill ${i}`;
          await js.publish(`${prefix}ceb.x`, `fill ${i}`, { headers: h });
        } else if (i % 3 === 1) {
          h.set('content-type', 'application/json');
          ce.datacontenttype = 'application/json';
          ce.data = e.data;
          await js.publish(`${prefix}ceb.x`, JSON.stringify(e.data), { headers: h });
        } else {
          // Bytes that are not UTF-8: data_base64.
          const bytes = Uint8Array.of(0xff, 0x00, 0x10, i);
          h.set('content-type', 'application/octet-stream');
          ce.datacontenttype = 'application/octet-stream';
          ce.data_base64 = Buffer.from(bytes).toString('base64');
          await js.publish(`${prefix}ceb.x`, bytes, { headers: h });
        }
        structured.push(ce);
        // The same event, structured, in a second stream.
        await js.publish(`${prefix}ceb.structured`, JSON.stringify(ce));
      }
      const ingestSubject = async (db: string, subject: string) => {
        const store = await Store.open(path.join(dir, db), { create: true });
        try {
          const summary = await ingestStore(store, await openStoreSource(NATS_URL, { stream: bin, subject, preset: 'cloudevents', map: {} }));
          expect(summary.rejected).toBe(0);
          return (await store.all(`SELECT id, type, stream, evt_iso(ts) AS ts, correlation_id, data::VARCHAR AS data, meta::VARCHAR AS meta FROM events ORDER BY seq`))
            .map((r): Record<string, unknown> => ({ ...r, data: JSON.parse(String(r.data)), meta: JSON.parse(String(r.meta)) }));
        } finally {
          store.close();
        }
      };
      // The same but for what the messages themselves were: subject, server time, headers (meta.$nats).
      const apart = (rows: Record<string, unknown>[]) => rows.map((r) => {
        const { $nats, ...meta } = r.meta as Record<string, unknown>;
        return { event: { ...r, meta } as Record<string, unknown>, nats: $nats as { stream: string; subject: string; time: string; headers?: Record<string, string> } };
      });
      const fromBinary = apart(await ingestSubject('ceb.duckdb', `${prefix}ceb.x`));
      const fromStructured = apart(await ingestSubject('ces.duckdb', `${prefix}ceb.structured`));
      expect(fromBinary).toHaveLength(12);
      expect(fromBinary.map((r) => r.event)).toEqual(fromStructured.map((r) => r.event));
      expect(fromBinary[1]!.nats.subject).toBe(`${prefix}ceb.x`);
      expect(fromBinary[1]!.nats.headers).toMatchObject({ 'ce-id': events[1]!.id, 'ce-specversion': '1.0', 'content-type': 'application/json' });
      expect(fromStructured[1]!.nats.headers).toBeUndefined();
      expect(fromBinary[0]!.event.data).toBe('fill 0');
      expect(fromBinary[1]!.event.data).toEqual(events[1]!.data);
      expect(fromBinary[1]!.event.correlation_id).toBe(events[1]!.correlation_id);
    } finally {
      await jsm.streams.delete(bin).catch(() => undefined);
    }
  });

  it('payloads without an id or meta take them from the headers; bad payloads are rejected with their sequence', async () => {
    const edge = `${streamName}_EDGE`;
    await jsm.streams.add({ name: edge, subjects: [`${prefix}edge.>`] });
    try {
      const h = headers();
      h.set('Nats-Msg-Id', 'm-1');
      h.set('X-Trace', 't-1');
      const a = await js.publish(`${prefix}edge.a`, '  {"type":"T","ts":"2025-08-26T09:30:00Z"}', { headers: h });
      const h2 = headers();
      h2.set('X-Trace', 't-2');
      const b = await js.publish(`${prefix}edge.b`, '{ }', { headers: h2 });
      const c = await js.publish(`${prefix}edge.c`, 'not json');
      const d = await js.publish(`${prefix}edge.d`, '{"id":"own","type":"U","ts":"2025-08-26T09:30:01Z","metadata":{"k":1}}');
      const store = await Store.open(path.join(dir, 'edge.duckdb'), { create: true });
      try {
        const summary = await ingestStore(store, await openStoreSource(NATS_URL, { stream: edge, map: {} }));
        expect(summary.ingested).toBe(2);
        expect(summary.rejected).toBe(2);
        const rows = await store.all(`SELECT id, type, meta::VARCHAR AS meta, position FROM events ORDER BY seq`);
        const nats = (subject: string) => ({ stream: edge, subject, time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/) });
        expect(rows.map((r) => ({ ...r, meta: JSON.parse(String(r.meta)) }))).toEqual([
          { id: 'm-1', type: 'T', meta: { 'Nats-Msg-Id': 'm-1', 'X-Trace': 't-1', $nats: nats(`${prefix}edge.a`) }, position: String(a.seq) },
          { id: 'own', type: 'U', meta: { k: 1, $nats: nats(`${prefix}edge.d`) }, position: String(d.seq) },
        ]);
        const rejects = await store.all(`SELECT source_pos, reason FROM rejects ORDER BY source_pos`);
        expect(rejects.map((r) => r.source_pos)).toEqual([String(b.seq), String(c.seq)]);
        expect(String(rejects[1]!.reason)).toBe('not valid JSON');
      } finally {
        store.close();
      }
    } finally {
      await jsm.streams.delete(edge).catch(() => undefined);
    }
  });

  it('payloads with line breaks, a US byte or invalid UTF-8 reach the store whole, split over two readers or not', async () => {
    const awkward = `${streamName}_AWK`;
    await jsm.streams.add({ name: awkward, subjects: [`${prefix}awk.>`] });
    try {
      const event = (i: number, extra: Record<string, unknown> = {}) => ({ id: `a-${i}`, type: 'T', ts: `2025-08-26T09:30:${String(i % 60).padStart(2, '0')}Z`, data: { i, ...extra } });
      const payloads: (string | Uint8Array)[] = [];
      for (let i = 0; i < 40; i++) {
        switch (i % 5) {
          case 0: payloads.push(JSON.stringify(event(i), null, 2)); break; // pretty-printed: LF inside
          case 1: payloads.push(JSON.stringify(event(i)).replace(/,/g, ',\r\n')); break; // CRLF between members
          case 2: payloads.push(JSON.stringify(event(i, { note: 'a\u001fb' }))); break; // an escaped US stays text
          case 3: {
            const [before, after] = JSON.stringify(event(i, { bad: '@@' })).split('@@') as [string, string];
            payloads.push(Buffer.concat([Buffer.from(before), Buffer.from([0xff, 0xfe]), Buffer.from(after)]));
            break;
          }
          default: payloads.push(JSON.stringify(event(i)));
        }
      }
      // A raw US byte inside a JSON string is invalid JSON: rejected, not split into columns.
      payloads.push(`{"id":"us","type":"T","ts":"2025-08-26T09:30:00Z","data":{"s":"x\x1fy"}}`);
      for (const p of payloads) await js.publish(`${prefix}awk.x`, p);
      const inProcess = path.join(dir, 'awk-in.duckdb');
      const store = await Store.open(inProcess, { create: true });
      try {
        await ingestStore(store, await openStoreSource(NATS_URL, { stream: awkward, map: {} }));
      } finally {
        store.close();
      }
      // The built CLI reads in worker threads, split in two parts above EVTRAIL_NATS_SPLIT.
      const split = path.join(dir, 'awk-split.duckdb');
      const r = cli(['ingest', NATS_URL, '--stream', awkward, '--db', split, '--json'], { env: { ...process.env, NO_COLOR: '1', EVTRAIL_DB: undefined, EVTRAIL_NATS_SPLIT: '5' } });
      expect(r.code, r.stderr).toBe(0);
      const read = async (file: string) => {
        const s = await Store.open(file, { readOnly: true });
        try {
          return {
            events: await s.all(`SELECT seq, id, data::VARCHAR AS data, position FROM events ORDER BY seq`),
            rejects: await s.all(`SELECT source_pos, raw, reason FROM rejects ORDER BY source_pos`),
          };
        } finally {
          s.close();
        }
      };
      const a = await read(inProcess);
      const b = await read(split);
      expect(b).toEqual(a);
      expect(a.events).toHaveLength(40);
      expect(a.events.map((e) => JSON.parse(String(e.data)).i)).toEqual([...Array(40).keys()]);
      expect(a.events.map((e) => e.position)).toEqual([...Array(40).keys()].map((i) => String(i + 1)));
      expect(JSON.parse(String(a.events[2]!.data)).note).toBe('a\u001fb');
      // Invalid bytes are read as U+FFFD, as a TextDecoder reads them.
      expect(JSON.parse(String(a.events[3]!.data)).bad).toBe('\ufffd\ufffd');
      expect(a.rejects).toEqual([{ source_pos: '41', raw: payloads[40], reason: 'not valid JSON' }]);
    } finally {
      await jsm.streams.delete(awkward).catch(() => undefined);
    }
  });

  /** A stream of our own for one test, deleted after it. */
  const withStream = async (suffix: string, config: Record<string, unknown>, fn: (name: string, subjects: string) => Promise<void>) => {
    const name = `${streamName}_${suffix}`;
    const subjects = `${prefix}${suffix.toLowerCase()}`;
    await jsm.streams.add({ name, subjects: [`${subjects}.>`], ...config });
    try {
      await fn(name, subjects);
    } finally {
      await jsm.streams.delete(name).catch(() => undefined);
    }
  };
  const consumerNames = async (stream: string) => {
    const names: string[] = [];
    for await (const c of jsm.consumers.list(stream)) names.push(c.name);
    return names;
  };
  const readStore = async (file: string, sql: string) => {
    const s = await Store.open(file, { readOnly: true });
    try {
      await s.run(MACROS_SQL);
      return await s.all(sql);
    } finally {
      s.close();
    }
  };

  /** The stream ingested (canonical, no rejects) into a new store: each event's id, ts, recorded_ts and meta. */
  const timesAndMeta = async (stream: string, file: string) => {
    const db = path.join(dir, file);
    const store = await Store.open(db, { create: true });
    try {
      expect((await ingestStore(store, await openStoreSource(NATS_URL, { stream, map: {} }))).rejected).toBe(0);
    } finally {
      store.close();
    }
    const rows = await readStore(db, `SELECT id, evt_iso(ts) AS ts, evt_iso(recorded_ts) AS recorded_ts, meta::VARCHAR AS meta FROM events ORDER BY seq`);
    return rows.map((r) => ({ ...r, meta: JSON.parse(String(r.meta)) }));
  };

  it('a payload with a key twice in a nested object is a reject with its sequence (issue 15)', async () => {
    await withStream('DUP15', {}, async (name, subjects) => {
      const bad = await js.publish(`${subjects}.a`, '{"id":"d1","type":"T","ts":"2025-08-26T09:30:00Z","data":{"a":1,"a":2}}');
      await js.publish(`${subjects}.a`, '{"id":"d2","type":"T","ts":"2025-08-26T09:30:01Z","data":{"a":{"k":1},"b":{"k":2}}}');
      const db = path.join(dir, 'dup15.duckdb');
      const store = await Store.open(db, { create: true });
      try {
        const summary = await ingestStore(store, await openStoreSource(NATS_URL, { stream: name, map: {} }));
        expect([summary.ingested, summary.rejected]).toEqual([1, 1]);
      } finally {
        store.close();
      }
      expect((await readStore(db, `SELECT id FROM events`)).map((r) => r.id)).toEqual(['d2']);
      expect((await readStore(db, `SELECT source_pos, reason FROM rejects`)).map((r) => [r.source_pos, r.reason])).toEqual([
        [String(bad.seq), 'key "a" occurs more than once in $.data (JSON readers disagree on which value counts)']]);
    });
  });

  it("a payload's own $nats members are its fields: kept, never read as the message's headers, id or time", async () => {
    await withStream('OWN', {}, async (name, subjects) => {
      const h = headers();
      h.set('X-Tenant', 'acme');
      // A payload spelling the members the reader once spliced in, with and without NATS headers.
      const own = { $nats: 'mine', $nats_time: '1999-01-01T00:00:00Z', $nats_headers: { 'Nats-Msg-Id': 'spoofed' } };
      const a = await js.publish(`${subjects}.a`, JSON.stringify({ id: 'p1', type: 'T', ts: '2025-08-26T09:30:00Z', data: { n: 1 }, ...own }));
      const b = await js.publish(`${subjects}.b`, JSON.stringify({ id: 'p2', type: 'T', data: { n: 2 }, ...own }), { headers: h });
      const times = await Promise.all([a, b].map(async (x) => (await jsm.streams.getMessage(name, { seq: x.seq }))!.timestamp));
      expect(await timesAndMeta(name, 'own.duckdb')).toEqual([
        { id: 'p1', ts: '2025-08-26T09:30:00.000000000Z', recorded_ts: nanoIso(times[0]!), meta: { evtrail_unmapped: own, $nats: { stream: name, subject: `${subjects}.a`, time: times[0] } } },
        { id: 'p2', ts: nanoIso(times[1]!), recorded_ts: nanoIso(times[1]!), meta: { evtrail_unmapped: own, 'X-Tenant': 'acme', $nats: { stream: name, subject: `${subjects}.b`, time: times[1] } } },
      ]);
    });
  });

  it('ce- header values are percent-decoded (NATS binding 3.1.3.2); undecodable ones reject the event with the header', async () => {
    await withStream('PCT', {}, async (name, subjects) => {
      const send = async (id: string, attrs: Record<string, string>) => {
        const h = headers();
        for (const [k, v] of Object.entries({ 'ce-specversion': '1.0', 'ce-id': id, 'ce-type': 'T', 'ce-source': '/s', ...attrs })) h.set(k, v);
        h.set('content-type', 'application/json');
        return js.publish(`${subjects}.x`, '{"n":1}', { headers: h });
      };
      await send('a%201', { 'ce-source': '/caf%C3%A9%20x', 'ce-subject': 'Euro%20%E2%82%AC%20%F0%9F%98%80', 'ce-time': '2025-08-26T09:30:00Z' });
      await send('b', { 'ce-subject': '"quoted \\"x\\" %25"', 'ce-note': 'lower%c3%a9', 'ce-plain': 'a+b=c' });
      const overlong = await send('c', { 'ce-subject': 'sp%C0%A0ace' });
      const malformed = await send('d', { 'ce-subject': '100%' });
      const db = path.join(dir, 'pct.duckdb');
      const store = await Store.open(db, { create: true });
      try {
        const summary = await ingestStore(store, await openStoreSource(NATS_URL, { stream: name, preset: 'cloudevents', map: {} }));
        expect(summary.ingested).toBe(2);
        expect(summary.rejected).toBe(2);
      } finally {
        store.close();
      }
      const rows = await readStore(db, `SELECT id, source, stream, meta->>'note' AS note, meta->>'plain' AS plain FROM events ORDER BY seq`);
      expect(rows).toEqual([
        { id: 'a 1', source: '/café x', stream: 'Euro € 😀', note: null, plain: null },
        { id: 'b', source: '/s', stream: 'quoted "x" %', note: 'loweré', plain: 'a+b=c' },
      ]);
      const rejects = await readStore(db, `SELECT source_pos, reason FROM rejects ORDER BY source_pos`);
      expect(rejects).toEqual([
        { source_pos: String(overlong.seq), reason: 'ce-subject: header value "sp%C0%A0ace" is not percent-encoded UTF-8 (CloudEvents NATS binding 3.1.3.2)' },
        { source_pos: String(malformed.seq), reason: 'ce-subject: header value "100%" is not percent-encoded UTF-8 (CloudEvents NATS binding 3.1.3.2)' },
      ]);
    });
  });

  it('keeps the subject, the server time (recorded_ts, and ts when the message has none) and the headers, with either preset', async () => {
    await withStream('SRV', {}, async (name, subjects) => {
      const h = headers();
      h.set('X-Tenant', 'acme');
      const acks = [
        // Canonical, no time of its own: ts and recorded_ts are the server's.
        await js.publish(`${subjects}.a`, '{"id":"c1","type":"T"}', { headers: h }),
        // Its own time and recording time win.
        await js.publish(`${subjects}.b`, '{"id":"c2","type":"T","ts":"2025-08-26T09:30:00Z","recorded_ts":"2025-08-26T09:30:01Z"}'),
      ];
      // As the server writes them (meta), and with nine digits (evt_iso of ts and recorded_ts).
      const times = await Promise.all(acks.map(async (a) => (await jsm.streams.getMessage(name, { seq: a.seq }))!.timestamp));
      expect(await timesAndMeta(name, 'srv.duckdb')).toEqual([
        { id: 'c1', ts: nanoIso(times[0]!), recorded_ts: nanoIso(times[0]!), meta: { 'X-Tenant': 'acme', $nats: { stream: name, subject: `${subjects}.a`, time: times[0] } } },
        { id: 'c2', ts: '2025-08-26T09:30:00.000000000Z', recorded_ts: '2025-08-26T09:30:01.000000000Z', meta: { $nats: { stream: name, subject: `${subjects}.b`, time: times[1] } } },
      ]);
    });
    await withStream('SRVCE', {}, async (name, subjects) => {
      const h = headers();
      h.set('X-Tenant', 'acme');
      h.set('Nats-Msg-Id', 'm-1');
      // A structured CloudEvent without time, with NATS headers.
      const ack = await js.publish(`${subjects}.a`, JSON.stringify({ specversion: '1.0', id: 'e1', source: '/s', type: 'T', data: { n: 1 } }), { headers: h });
      const time = (await jsm.streams.getMessage(name, { seq: ack.seq }))!.timestamp;
      const db = path.join(dir, 'srvce.duckdb');
      const store = await Store.open(db, { create: true });
      try {
        expect((await ingestStore(store, await openStoreSource(NATS_URL, { stream: name, preset: 'cloudevents', map: {} }))).rejected).toBe(0);
      } finally {
        store.close();
      }
      const rows = await readStore(db, `SELECT id, evt_iso(ts) AS ts, evt_iso(recorded_ts) AS recorded_ts, meta::VARCHAR AS meta FROM events`);
      expect(rows.map((r) => ({ ...r, meta: JSON.parse(String(r.meta)) }))).toEqual([{
        id: 'e1', ts: nanoIso(time), recorded_ts: nanoIso(time),
        meta: { specversion: '1.0', id: 'e1', source: '/s', type: 'T', $nats: { stream: name, subject: `${subjects}.a`, time, headers: { 'X-Tenant': 'acme', 'Nats-Msg-Id': 'm-1' } } },
      }]);
    });
  });

  it('CloudEvents are source + id: two producers numbering alike are no duplicates; an event published again without a time is a redelivery', async () => {
    await withStream('CEID', {}, async (name, subjects) => {
      const ce = (source: string, id: string, data: unknown) => JSON.stringify({ specversion: '1.0', id, source, type: 'T', data });
      await js.publish(`${subjects}.a`, ce('/a', '1', { n: 1 }));
      await js.publish(`${subjects}.b`, ce('/b', '1', { n: 9 }));
      // Published again a moment later (another server time, which is its ts): the same event.
      await new Promise((r) => setTimeout(r, 5));
      await js.publish(`${subjects}.a`, ce('/a', '1', { n: 1 }));
      await js.publish(`${subjects}.b`, ce('/b', '1', { n: 10 }));
      const db = path.join(dir, 'ceid.duckdb');
      const store = await Store.open(db, { create: true });
      try {
        const summary = await ingestStore(store, await openStoreSource(NATS_URL, { stream: name, preset: 'cloudevents', map: {} }));
        expect(summary).toMatchObject({ ingested: 4, rejected: 0, redelivered: 1, conflicts: 1 });
      } finally {
        store.close();
      }
      expect(await readStore(db, `SELECT id, source, dup_of, dup_kind FROM events ORDER BY seq`)).toEqual([
        { id: '1', source: '/a', dup_of: null, dup_kind: null },
        { id: '1', source: '/b', dup_of: null, dup_kind: null },
        { id: '1', source: '/a', dup_of: '1', dup_kind: 'redelivery' },
        { id: '1', source: '/b', dup_of: '2', dup_kind: 'conflict' },
      ]);
    });
  });

  it('leaves no consumer behind: a stream with max_consumers 2 takes ingest after ingest, split in two parts or not', async () => {
    await withStream('MAXC', { max_consumers: 2 }, async (name, subjects) => {
      for (let i = 0; i < 30; i++) await js.publish(`${subjects}.x`, JSON.stringify({ id: `m${i}`, type: 'T', ts: '2025-08-26T09:30:00Z' }));
      for (let run = 1; run <= 3; run++) {
        // The built CLI, two worker threads (two consumers) above EVTRAIL_NATS_SPLIT.
        const r = cli(['ingest', NATS_URL, '--stream', name, '--db', path.join(dir, `maxc-${run}.duckdb`), '--json'],
          { env: { ...process.env, NO_COLOR: '1', EVTRAIL_DB: undefined, EVTRAIL_NATS_SPLIT: '10' } });
        expect(r.code, r.stderr).toBe(0);
        expect(JSON.parse(r.stdout).ingested).toBe(30);
        expect(await consumerNames(name)).toEqual([]);
      }
      // In this thread (the tests' path), and after a read that fails (--strict), too.
      await js.publish(`${subjects}.x`, 'not json');
      const store = await Store.open(path.join(dir, 'maxc-strict.duckdb'), { create: true });
      try {
        await expect(ingestStore(store, await openStoreSource(NATS_URL, { stream: name, map: {} }), { strict: true })).rejects.toThrow(/--strict: 1 record/);
      } finally {
        store.close();
      }
      expect(await consumerNames(name)).toEqual([]);
    });
  });

  it('verify --source reads the stream again once and names a message deleted since the ingest; no consumer left', async () => {
    await withStream('VERIFY', {}, async (name, subjects) => {
      for (let i = 0; i < 6; i++) await js.publish(`${subjects}.x`, JSON.stringify({ id: `v${i}`, type: 'T', ts: '2025-08-26T09:30:00Z', data: { i } }));
      const db = path.join(dir, 'verify-nats.duckdb');
      expect(cli(['ingest', NATS_URL, '--stream', name, '--db', db]).code).toBe(0);
      const ok = cliJson(['verify', '--db', db, '--source', NATS_URL]);
      expect(ok.sourceChecks).toEqual([expect.objectContaining({ kind: 'nats', status: 'ok', message: 'read again: its 6 event(s) are the same' })]);
      // Published after the ingest: not a difference. Deleted from the stream: one.
      await js.publish(`${subjects}.x`, JSON.stringify({ id: 'v6', type: 'T', ts: '2025-08-26T09:30:00Z' }));
      await jsm.streams.deleteMessage(name, 3);
      const changed = cli(['verify', '--db', db, '--source', '--json']);
      expect(changed.code).toBe(1);
      const doc = JSON.parse(changed.stdout);
      expect(doc.problems).toEqual([expect.objectContaining({ kind: 'source-changed', seq: 3, id: 'v2' })]);
      expect(doc.problems[0].message).toMatch(/read again, 1 position\(s\) differ from what was ingested; the first: position 3 \(seq 3, id v2\) is no longer in the source$/);
      expect(await consumerNames(name)).toEqual([]);
    });
  }, 300_000);

  it('a stream whose consumers are all taken: says so, with what to do', async () => {
    await withStream('FULL', { max_consumers: 1 }, async (name, subjects) => {
      await js.publish(`${subjects}.x`, '{"id":"a","type":"T","ts":"2025-08-26T09:30:00Z"}');
      await jsm.consumers.add(name, { durable_name: 'someone_else', ack_policy: AckPolicy.Explicit });
      const r = cli(['ingest', NATS_URL, '--stream', name, '--db', path.join(dir, 'full.duckdb'), '--quiet']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toBe(`evtrail: NATS at 127.0.0.1:4222: stream ${name} has as many consumers as its max_consumers allows\n`
        + `hint: evtrail needs one while it reads (two for a large read) and deletes them when done; see who holds the others with nats consumer ls ${name}\n`);
      expect(await consumerNames(name)).toEqual(['someone_else']);
    });
  });

  it('Ctrl-C during a read: the consumer is deleted before evtrail exits', async () => {
    await withStream('INT', {}, async (name, subjects) => {
      const body = JSON.stringify({ id: 'x', type: 'T', ts: '2025-08-26T09:30:00Z', data: { pad: 'p'.repeat(2000) } });
      for (let i = 0; i < 40; i++) await Promise.all(Array.from({ length: 500 }, () => js.publish(`${subjects}.x`, body)));
      const child = spawn(process.execPath, [BIN, 'ingest', NATS_URL, '--stream', name, '--db', path.join(dir, 'int.duckdb')],
        { env: { ...process.env, NO_COLOR: '1', EVTRAIL_DB: undefined }, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      let seen: string[] = [];
      const deadline = Date.now() + 60_000;
      while (seen.length === 0 && Date.now() < deadline) {
        seen = await consumerNames(name);
        if (seen.length === 0) await new Promise((r) => setTimeout(r, 5));
      }
      expect(seen.length, 'a consumer while the read runs').toBeGreaterThan(0);
      child.kill('SIGINT');
      const code = await exited;
      expect([130, 0], stderr).toContain(code);
      expect(await consumerNames(name)).toEqual([]);
    });
  }, 120_000);

  it('errors: unreachable, missing stream, no --stream: one line, exit 2, no store left', () => {
    const cases: [string[], RegExp, Record<string, string>?][] = [
      [['nats://127.0.0.1:1', '--stream', 'X'], /^evtrail: NATS at 127\.0\.0\.1:1: connection refused\nhint: /],
      [[NATS_URL, '--stream', `NO_SUCH_${tag}`], /^evtrail: NATS at 127\.0\.0\.1:4222: no JetStream stream NO_SUCH_/],
      [[NATS_URL], /^evtrail: nats:\/\/127\.0\.0\.1:4222: which JetStream stream\?\nhint: /],
      [[NATS_URL, '--stream', streamName, '--preset', 'messagedb'], /^evtrail: preset "messagedb" cannot read this source\nhint: /],
      [[NATS_URL, '--stream', streamName], /^evtrail: cannot create a temporary folder in \/no-such-dir-evt for the messages read from JetStream: ENOENT\nhint: /, { TMPDIR: '/no-such-dir-evt' }],
    ];
    for (const [args, pattern, env] of cases) {
      const db = path.join(dir, 'err.duckdb');
      const r = cli(['ingest', ...args, '--db', db, '--quiet'], { timeout: 60_000, env: { ...process.env, NO_COLOR: '1', EVTRAIL_DB: undefined, ...env } });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(fs.existsSync(db)).toBe(false);
    }
  });
});
