/**
 * The cloudevents preset against the official CloudEvents JSON-format conformance tests
 * (test/data/cloudevents/conformance-format, a copy of shared/data's, see its SOURCE.md: Apache
 * License 2.0, kept in the repository so a fresh clone runs them) and the JSON-format spec
 * examples: one test per upstream case, read at test time, each ingested in-process by the
 * real ingest service into a real DuckDB store.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { ingestFiles, type IngestSummary } from '../../src/ingest/ingest.js';
import { Store, type Row } from '../../src/store/store.js';
import { ROOT, tmpDir } from '../helpers.js';

const DATA = path.join(ROOT, 'test', 'data', 'cloudevents');
const CONFORMANCE = path.join(DATA, 'conformance-format', 'json');
const EXAMPLES = path.join(DATA, 'spec-json-format-examples');

type TestType = 'ValidSingleEvent' | 'ValidBatch' | 'InvalidSingleEvent' | 'InvalidBatch';
interface ConformanceCase {
  id: string;
  description?: string;
  sampleId?: string;
  testType?: TestType;
  event?: Record<string, unknown>;
  batch?: unknown[];
  sampleExtensionAttributes?: boolean;
}

function loadCases(file: string): (ConformanceCase & { testType: TestType })[] {
  const doc = JSON.parse(fs.readFileSync(path.join(CONFORMANCE, file), 'utf8')) as { testType: TestType; tests: ConformanceCase[] };
  return doc.tests.map((t) => ({ ...t, testType: t.testType ?? doc.testType }));
}

const validEvents = loadCases('valid-events.json');
const invalidEvents = loadCases('invalid-events.json');
const validBatches = loadCases('valid-batches.json');
const invalidBatches = loadCases('invalid-batches.json');

/** The golden samples (upstream format/README.md, summarised in SOURCE.md). */
const MINIMAL = { specversion: '1.0', id: 'minimal', type: 'io.cloudevents.test', source: 'https://cloudevents.io' };
const SAMPLES: Record<string, Record<string, unknown>> = {
  minimal: MINIMAL,
  minimalWithTime: { ...MINIMAL, id: 'minimalWithTime', time: '2018-04-05T17:31:00Z' },
  minimalWithRelativeSource: { ...MINIMAL, id: 'minimalWithRelativeSource', source: '#fragment' },
  allCore: {
    ...MINIMAL, id: 'allCore', datacontenttype: 'text/plain', dataschema: 'https://cloudevents.io/dataschema',
    subject: 'tests', time: '2018-04-05T17:31:00Z',
  },
  // The upstream README says "simpleData"; the JSON test (and so the event) uses "simpleTextData".
  simpleTextData: { ...MINIMAL, id: 'simpleTextData', datacontenttype: 'text/plain', data: 'Simple text' },
  allExtensionTypes: {
    ...MINIMAL, id: 'allExtensionTypes', extinteger: 10, extboolean: true, extstring: 'text', extbinary: 'TWE=',
    exttimestamp: '2023-03-31T15:12:00Z', exturi: 'https://cloudevents.io', exturiref: '//authority/path',
  },
};

/**
 * The attribute each invalid event gets wrong: the reject reason must name it (and, where
 * given, say what is wrong with it). Every upstream case must be listed here, so a new
 * upstream test is noticed.
 */
const OFFENDING: Record<string, { attribute: string; says?: RegExp }> = {
  invalidNoSpecVersion: { attribute: 'specversion', says: /missing/ },
  invalidNoId: { attribute: 'id', says: /missing/ },
  invalidNoType: { attribute: 'type', says: /missing/ },
  invalidNoSource: { attribute: 'source', says: /missing/ },
  invalidTimeGarbage: { attribute: 'time', says: /RFC 3339/ },
  invalidTimeToMinute: { attribute: 'time', says: /RFC 3339/ },
  invalidTimeOffsetX: { attribute: 'time', says: /RFC 3339/ },
  invalidTimeOffsetOutOfRange: { attribute: 'time', says: /RFC 3339/ },
  invalidTimeOffsetNonInteger: { attribute: 'time', says: /RFC 3339/ },
  invalidTimeOffsetHourOnly: { attribute: 'time', says: /RFC 3339/ },
  invalidEmptyId: { attribute: 'id', says: /empty/ },
  invalidEmptyType: { attribute: 'type', says: /empty/ },
  invalidEmptySource: { attribute: 'source', says: /empty/ },
  invalidEmptySpecVersion: { attribute: 'specversion', says: /empty/ },
  invalidUnknownSpecVersion: { attribute: 'specversion', says: /0\.9/ },
  invalidNonRfc2046DataContentType: { attribute: 'datacontenttype', says: /RFC 2046/ },
  invalidEmptyDataContentType: { attribute: 'datacontenttype', says: /empty/ },
  invalidEmptyDataSchema: { attribute: 'dataschema', says: /empty/ },
  invalidEmptySubject: { attribute: 'subject', says: /empty/ },
  invalidNumericId: { attribute: 'id', says: /string/ },
  invalidObjectId: { attribute: 'id', says: /string/ },
  invalidCapitalizedExtension: { attribute: 'MyExtension' },
  invalidPunctuatedExtension: { attribute: 'my.extension' },
  invalidNonIntegerExtensionValue: { attribute: 'my.extension' },
  invalidBothDataAndDataBase64: { attribute: 'data_base64', says: /data\b/ },
};

interface Outcome {
  summary: IngestSummary;
  events: Row[];
  rejects: Row[];
  /** Epoch ns around the ingest call, for events whose time the source does not give. */
  before: bigint;
  after: bigint;
}

/** Writes content to a temp file, ingests it with the cloudevents preset into a new store. */
async function ingest(content: string, fileName = 'event.json'): Promise<Outcome> {
  const dir = tmpDir('evtrail-ce-');
  const file = path.join(dir, fileName);
  fs.writeFileSync(file, content);
  const store = await Store.open(path.join(dir, 'store.duckdb'), { create: true });
  try {
    const before = BigInt(Date.now()) * 1_000_000n;
    const summary = await ingestFiles(store, { sources: [file], preset: 'cloudevents' });
    const after = (BigInt(Date.now()) + 1n) * 1_000_000n;
    const events = await store.all(`SELECT seq, id, type, source, stream, rev, evt_iso(ts) AS ts, epoch_ns(ts) AS ts_ns,
        evt_iso(recorded_ts) AS recorded_ts, correlation_id, causation_id, data, meta, source_pos
      FROM events ORDER BY seq`);
    const rejects = await store.all(`SELECT source_pos, reason, raw FROM rejects ORDER BY source_pos`);
    return { summary, events, rejects, before, after };
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A stored JSON column as a JS value (the row converter gives JSON as text). */
function json(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}

/** ISO 8601 with nine fractional digits, UTC, of an RFC 3339 time (whole-second inputs here). */
function instant(time: string): string {
  return new Date(time).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

/** The stored envelope must carry the golden sample. */
function expectEnvelope(outcome: Outcome, row: Row, golden: Record<string, unknown>): void {
  expect(row.id).toBe(golden.id);
  expect(row.type).toBe(golden.type);
  expect(row.source).toBe(golden.source);
  expect(row.stream).toBe(golden.subject ?? golden.source);
  if (typeof golden.time === 'string') {
    expect(row.ts).toBe(instant(golden.time));
  } else {
    // No time: ts stays NULL (no invented time), and meta has no time either.
    expect(row.ts).toBeNull();
    expect(json(row.meta)).not.toHaveProperty('time');
  }
  expect(json(row.data)).toEqual(golden.data ?? null);
  // Every attribute other than data is kept in meta, extensions included.
  const meta = json(row.meta) as Record<string, unknown>;
  for (const [key, value] of Object.entries(golden)) {
    if (key === 'data' || key === 'time') continue;
    expect(meta[key], `meta.${key}`).toEqual(value);
  }
  if (typeof golden.time === 'string') expect(instant(String(meta.time))).toBe(instant(golden.time));
}

describe('CloudEvents conformance: valid single events', () => {
  it('has the upstream cases', () => expect(validEvents).toHaveLength(10));
  for (const test of validEvents) {
    it(`${test.id} is ingested as ${test.sampleId}`, async () => {
      expect(test.testType).toBe('ValidSingleEvent');
      const golden = SAMPLES[test.sampleId!];
      expect(golden, `golden sample ${test.sampleId}`).toBeDefined();
      const outcome = await ingest(JSON.stringify(test.event));
      expect(outcome.rejects).toEqual([]);
      expect(outcome.summary).toMatchObject({ ingested: 1, rejected: 0 });
      expect(outcome.events).toHaveLength(1);
      expectEnvelope(outcome, outcome.events[0]!, golden!);
    });
  }
});

describe('CloudEvents conformance: invalid single events', () => {
  it('has the upstream cases, each with its offending attribute', () => {
    expect(invalidEvents).toHaveLength(25);
    expect(invalidEvents.map((t) => t.id).sort()).toEqual(Object.keys(OFFENDING).sort());
  });
  for (const test of invalidEvents) {
    it(`${test.id} is rejected`, async () => {
      expect(test.testType).toBe('InvalidSingleEvent');
      const offending = OFFENDING[test.id];
      expect(offending, `offending attribute of ${test.id}`).toBeDefined();
      const named = new RegExp(`(^|[^A-Za-z0-9_.])${offending!.attribute.replace(/[.]/g, '\\.')}([^A-Za-z0-9_.]|$)`);
      // On its own, the one event maps nothing: the ingest is refused with its reason.
      const refused = await ingest(JSON.stringify(test.event)).then(() => undefined, (error: unknown) => error);
      expect(refused).toBeInstanceOf(UserError);
      const alone = /nothing could be mapped from .*: all 1 record\(s\) rejected, every one for "(.*)" \(first at line 1\)/.exec((refused as Error).message);
      expect(alone, (refused as Error).message).not.toBeNull();
      expect(alone![1]).toMatch(named);
      // After a valid event, it is a reject row.
      const outcome = await ingest(`${JSON.stringify(validEvents[0]!.event)}\n${JSON.stringify(test.event)}\n`, 'events.ndjson');
      expect(outcome.summary).toMatchObject({ ingested: 1, rejected: 1 });
      expect(outcome.events).toHaveLength(1);
      expect(outcome.rejects).toHaveLength(1);
      const reject = outcome.rejects[0]!;
      const reason = String(reject.reason);
      expect(reason).toBe(alone![1]);
      expect(reason).toMatch(named);
      if (offending!.says) expect(reason).toMatch(offending!.says);
      expect(json(reject.raw)).toEqual(test.event);
    });
  }
});

describe('CloudEvents conformance: valid batches', () => {
  it('has the upstream cases', () => expect(validBatches).toHaveLength(5));
  for (const test of validBatches) {
    it(`${test.id} ingests all ${test.batch!.length} event(s)`, async () => {
      expect(test.testType).toBe('ValidBatch');
      const outcome = await ingest(JSON.stringify(test.batch));
      expect(outcome.rejects).toEqual([]);
      expect(outcome.summary).toMatchObject({ ingested: test.batch!.length, rejected: 0 });
      expect(outcome.events.map((e) => e.id)).toEqual(test.batch!.map((e) => (e as { id: string }).id));
      // Each element is the golden sample of its id, in batch order, at its element position.
      for (const [i, row] of outcome.events.entries()) {
        expect(row.source_pos).toBe(String(i + 1));
        expectEnvelope(outcome, row, SAMPLES[String(row.id)]!);
      }
    });
  }
});

describe('CloudEvents conformance: invalid batches', () => {
  it('has the upstream cases', () => expect(invalidBatches).toHaveLength(3));
  for (const test of invalidBatches) {
    it(`${test.id} is not accepted whole`, async () => {
      expect(test.testType).toBe('InvalidBatch');
      const result = await ingest(JSON.stringify(test.batch)).catch((error: unknown) => error);
      if (result instanceof UserError) {
        // Every element bad: the batch maps nothing and the ingest is refused.
        expect(result.message).toMatch(new RegExp(`nothing could be mapped from .*: all ${test.batch!.length} record\\(s\\) rejected`));
        return;
      }
      const outcome = result as Outcome;
      expect(outcome.summary.rejected).toBeGreaterThanOrEqual(1);
      expect(outcome.summary.ingested + outcome.summary.rejected).toBe(test.batch!.length);
      for (const reject of outcome.rejects) expect(String(reject.reason)).not.toBe('');
    });
  }
  it('names what is wrong in each bad element', async () => {
    const byId = Object.fromEntries(invalidBatches.map((t) => [t.id, t.batch!]));
    const mixed = await ingest(JSON.stringify(byId.invalidBatchMixedSpecVersions));
    expect(mixed.rejects.map((r) => [r.source_pos, r.reason])).toEqual([['2', expect.stringMatching(/^specversion: 0\.9 /)]]);
    // A batch of one bad element maps nothing: refused, with its reason.
    await expect(ingest(JSON.stringify(byId.invalidBatchContainingInvalidCloudEvent))).rejects.toThrow(/every one for "missing id" \(first at line 1\)/);
    const nonObject = await ingest(JSON.stringify(byId.invalidBatchContainingNonObject));
    expect(nonObject.rejects.map((r) => [r.source_pos, r.reason])).toEqual([['1', 'not a JSON object']]);
  });
});

describe('CloudEvents JSON-format spec examples', () => {
  const examples = fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.json')).sort();
  it('has the eight extracted blocks', () => expect(examples).toHaveLength(8));
  for (const name of examples) {
    it(`${name} ingests`, async () => {
      const text = fs.readFileSync(path.join(EXAMPLES, name), 'utf8');
      const parsed = JSON.parse(text) as unknown;
      const events = (Array.isArray(parsed) ? parsed : [parsed]) as Record<string, unknown>[];
      const outcome = await ingest(text, name);
      expect(outcome.rejects).toEqual([]);
      expect(outcome.summary).toMatchObject({ ingested: events.length, rejected: 0 });
      if (name.includes('batch-two-events')) expect(outcome.summary.ingested).toBe(2);
      if (name.includes('batch-empty')) expect(outcome.summary.ingested).toBe(0);
      for (const [i, row] of outcome.events.entries()) {
        const event = events[i]!;
        expect(row).toMatchObject({ id: event.id, type: event.type, source: event.source, stream: event.subject ?? event.source });
        expect(row.ts).toBe(typeof event.time === 'string' ? instant(event.time) : row.ts);
        const meta = json(row.meta) as Record<string, unknown>;
        if ('data_base64' in event) {
          // Binary data stays as its base64 text; meta says so.
          expect(json(row.data)).toBe(event.data_base64);
          expect(meta.data_base64).toBe(true);
        } else {
          expect(json(row.data)).toEqual(event.data ?? null);
          expect(meta).not.toHaveProperty('data_base64');
        }
        expect(meta).not.toHaveProperty('data');
        // Extensions are kept, as given.
        expect(meta.comexampleextension1).toBe(event.comexampleextension1);
        expect(meta.comexampleothervalue).toBe(event.comexampleothervalue);
      }
    });
  }
});

describe('CloudEvents: NDJSON and the envelope extensions', () => {
  it('reads an NDJSON file of events, one per line, with line numbers', async () => {
    const lines = [
      { ...MINIMAL, id: 'n1', time: '2018-04-05T17:31:00.123456789Z', data: { a: 1 } },
      { ...MINIMAL, id: 'n2', subject: 'order-7', time: '2018-04-05T19:31:00.5+02:00' },
      { ...MINIMAL, id: 'n3', time: '2018-04-05T17:31:00Z', specversion: '0.3' },
      { ...MINIMAL, id: 'n4', time: '2018-04-05t17:31:01z' },
    ];
    const text = [...lines.map((l) => JSON.stringify(l)), 'not json', '[1, 2]'].join('\n') + '\n';
    const outcome = await ingest(text, 'events.ndjson');
    expect(outcome.summary).toMatchObject({ ingested: 3, rejected: 3 });
    expect(outcome.summary.sources[0]).toMatchObject({ format: 'ndjson', preset: 'cloudevents' });
    expect(outcome.events.map((e) => [e.id, e.stream, e.ts, e.source_pos])).toEqual([
      ['n1', 'https://cloudevents.io', '2018-04-05T17:31:00.123456789Z', '1'],
      ['n2', 'order-7', '2018-04-05T17:31:00.500000000Z', '2'],
      ['n4', 'https://cloudevents.io', '2018-04-05T17:31:01.000000000Z', '4'],
    ]);
    expect(json(outcome.events[0]!.data)).toEqual({ a: 1 });
    expect(outcome.rejects.map((r) => [r.source_pos, r.reason])).toEqual([
      ['3', expect.stringMatching(/^specversion: 0\.3 is not supported/)],
      ['5', 'not valid JSON'],
      ['6', 'not a JSON object'],
    ]);
  });

  it('maps correlationid, causationid, sequence, recordedtime and traceparent', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const outcome = await ingest(JSON.stringify([
      {
        ...MINIMAL, id: 'x1', subject: 'order-ord-1', time: '2025-08-26T09:30:00.123456789Z',
        correlationid: 'corr-1', causationid: 'cmd-1', sequence: '42', recordedtime: '2025-08-26T11:30:00.987654321+02:00',
        traceparent, tracestate: 'rojo=00f067aa0ba902b7', data: { orderId: 'ord-1' },
      },
      // sequence is a string in CloudEvents 1.0 (lexicographic): a non-numeric one is kept in meta.
      { ...MINIMAL, id: 'x2', time: '2025-08-26T09:30:01Z', sequence: 'a-0002' },
    ]));
    expect(outcome.summary).toMatchObject({ ingested: 2, rejected: 0 });
    const [x1, x2] = outcome.events;
    expect(x1).toMatchObject({
      id: 'x1', stream: 'order-ord-1', rev: '42', correlation_id: 'corr-1', causation_id: 'cmd-1',
      ts: '2025-08-26T09:30:00.123456789Z', recorded_ts: '2025-08-26T09:30:00.987654321Z',
    });
    expect(json(x1!.meta)).toMatchObject({ traceparent, tracestate: 'rojo=00f067aa0ba902b7', sequence: '42', correlationid: 'corr-1' });
    expect(x2).toMatchObject({ id: 'x2', rev: null, correlation_id: null, causation_id: null, recorded_ts: null });
    expect(json(x2!.meta)).toMatchObject({ sequence: 'a-0002' });
  });

  it('keeps times exactly, refuses what it would have to round, and falls back to recordedtime', async () => {
    const outcome = await ingest(JSON.stringify([
      { ...MINIMAL, id: 't1', time: '2018-04-05T17:31:00.1234567890Z' }, // a tenth digit that is 0: exact
      { ...MINIMAL, id: 't2', time: '2018-04-05T17:31:00.1234567891Z' }, // would be rounded
      { ...MINIMAL, id: 't3', time: '2018-02-30T17:31:00Z' }, // shaped right, no such day
      { ...MINIMAL, id: 't4', recordedtime: '2018-04-05T17:31:02.5-00:30' }, // no time: recordedtime stands in
      { ...MINIMAL, id: 't5', time: '2018-04-05T23:59:59.999999999-23:59' },
      { ...MINIMAL, id: 't6', dataschema: 'schemas/order.json' }, // dataschema is an absolute URI
    ]));
    expect(outcome.events.map((e) => [e.id, e.ts, e.recorded_ts])).toEqual([
      ['t1', '2018-04-05T17:31:00.123456789Z', null],
      ['t4', '2018-04-05T18:01:02.500000000Z', '2018-04-05T18:01:02.500000000Z'],
      ['t5', '2018-04-06T23:58:59.999999999Z', null],
    ]);
    expect(json(outcome.events[1]!.meta)).not.toHaveProperty('time');
    expect(outcome.rejects.map((r) => [r.source_pos, r.reason])).toEqual([
      ['2', 'time: 2018-04-05T17:31:00.1234567891Z is finer than nanoseconds, which evtrail would have to round'],
      ['3', expect.stringMatching(/^ts: cannot read 2018-02-30T17:31:00Z as a time$/)],
      ['6', 'dataschema: not an absolute URI: schemas/order.json'],
    ]);
  });

  it('rejects bad extension values and names the attribute', async () => {
    const outcome = await ingest(JSON.stringify([
      { ...MINIMAL, id: 'b1', recordedtime: 'yesterday' },
      { ...MINIMAL, id: 'b2', extobject: { a: 1 } },
      { ...MINIMAL, id: 'b3', extfloat: 2.5 },
      { ...MINIMAL, id: 'b4', extnull: null, extint: -7, extbool: false },
    ]));
    expect(outcome.summary).toMatchObject({ ingested: 1, rejected: 3 });
    expect(outcome.rejects.map((r) => [r.source_pos, r.reason])).toEqual([
      ['1', expect.stringMatching(/recordedtime/)],
      ['2', expect.stringMatching(/extobject/)],
      ['3', expect.stringMatching(/extfloat/)],
    ]);
    expect(json(outcome.events[0]!.meta)).toMatchObject({ extint: -7, extbool: false });
  });
});

describe('CloudEvents identity: source + id', () => {
  it('two producers that number their events alike are neither redeliveries nor conflicts; within one source they are', async () => {
    const dir = tmpDir('evtrail-ce-id-');
    try {
      const event = (source: string, id: string, data: unknown) => ({ ...MINIMAL, source, id, time: '2025-08-26T09:30:00Z', data });
      const write = (name: string, events: unknown[]) => {
        fs.writeFileSync(path.join(dir, name), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
        return path.join(dir, name);
      };
      const a = write('a.ndjson', [event('/a', '1', { n: 1 }), event('/a', '2', { n: 2 })]);
      const b = write('b.ndjson', [event('/b', '1', { n: 9 }), event('/b', '2', { n: 2 })]);
      // Later: /a's event 1 again (a redelivery) and /b's 2 with other data (a conflict).
      const c = write('c.ndjson', [event('/a', '1', { n: 1 }), event('/b', '2', { n: 3 })]);
      const store = await Store.open(path.join(dir, 'store.duckdb'), { create: true });
      try {
        const first = await ingestFiles(store, { sources: [a, b], preset: 'cloudevents' });
        expect(first).toMatchObject({ ingested: 4, redelivered: 0, conflicts: 0 });
        const second = await ingestFiles(store, { sources: [c], preset: 'cloudevents' });
        expect(second).toMatchObject({ ingested: 2, redelivered: 1, conflicts: 1 });
        // The stored id stays the CloudEvents id; dup_of points at the first of the same source.
        expect(await store.all(`SELECT seq, id, source, dup_of, dup_kind FROM events ORDER BY seq`)).toEqual([
          { seq: '1', id: '1', source: '/a', dup_of: null, dup_kind: null },
          { seq: '2', id: '2', source: '/a', dup_of: null, dup_kind: null },
          { seq: '3', id: '1', source: '/b', dup_of: null, dup_kind: null },
          { seq: '4', id: '2', source: '/b', dup_of: null, dup_kind: null },
          { seq: '5', id: '1', source: '/a', dup_of: '1', dup_kind: 'redelivery' },
          { seq: '6', id: '2', source: '/b', dup_of: '4', dup_kind: 'conflict' },
        ]);
      } finally {
        store.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
