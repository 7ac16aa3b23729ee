/** `evtrail trace` as a user runs it: the built CLI on the committed sample log. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, cli, cliJson, tmpDir } from '../helpers.js';
import { all, parseXml } from '../xml.js';

const SAMPLE = path.join(ROOT, 'fixtures', 'trading-sample.ndjson');
const TRUTH = path.join(ROOT, 'fixtures', 'trading-sample.truth.ndjson');
interface Line {
  id: string;
  type: string;
  ts: string;
  causation_id: string | null;
  data: { orderId: string };
}
const lines = fs.readFileSync(SAMPLE, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
const truth = fs.readFileSync(TRUTH, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; orderId: string; eventId: string });

let dir: string;
let db: string;
beforeAll(() => {
  dir = tmpDir('evtrail-trace-cli-');
  db = path.join(dir, 'sample.duckdb');
  const r = cli(['ingest', SAMPLE, '--db', db, '--json']);
  expect(r.code).toBe(0);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function order(orderId: string) {
  const mine = lines.filter((l) => l.data.orderId === orderId);
  const ids = new Set(mine.map((l) => l.id));
  return {
    ids: [...ids].sort(),
    edges: [...new Set(mine.filter((l) => l.causation_id && ids.has(l.causation_id)).map((l) => `${l.causation_id}>${l.id}`))].sort(),
  };
}

describe('evtrail trace <id>', () => {
  it('--json: the nodes and edges of an order, and its anomalies', () => {
    // ord-00000023 carries the clock skew of the sample (fixtures/README.md).
    const skew = truth.find((t) => t.kind === 'clock-skew')!;
    const doc = cliJson<{ query: { as: string }; nodes: { id: string; type: string; ts: string; stream: string }[]; edges: { from: string; to: string }[]; anomalies: { kind: string; eventId: string }[] }>(['trace', skew.orderId, '--db', db]);
    const want = order(skew.orderId);
    expect(doc.query.as).toBe('key');
    expect(doc.nodes.map((n) => n.id).sort()).toEqual(want.ids);
    expect(doc.edges.map((e) => `${e.from}>${e.to}`).sort()).toEqual(want.edges);
    expect(doc.nodes.every((n) => n.type && n.ts && n.stream)).toBe(true);
    expect(doc.anomalies.map((a) => `${a.kind}:${a.eventId}`)).toEqual([`clock-skew:${skew.eventId}`]);
  });

  it('graph anomalies and saga problems name the injected events', () => {
    // A few kinds through the CLI (each is a process); test/integration covers every kind on every order.
    const kinds: Record<string, string> = {
      'orphan-causation': 'orphan-causation', duplicate: 'redelivery', 'stuck-saga': 'stuck-saga', 'route-without-risk-check': 'missing-step',
    };
    for (const t of truth.filter((x) => kinds[x.kind])) {
      const doc = cliJson<{ anomalies: { kind: string; eventId: string }[] }>(['trace', t.orderId, '--db', db, '--no-audit']);
      expect(doc.anomalies.map((a) => `${a.kind}:${a.eventId}`), t.kind).toContain(`${kinds[t.kind]}:${t.eventId}`);
    }
  });

  it('plain text in a pipe: what the id is, the saga, the tree, the anomalies', () => {
    const r = cli(['trace', 'ord-00000039', '--db', db]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/\x1b\[/);
    const out = r.stdout.split('\n');
    expect(out[0]).toMatch(/^ord-00000039: business key data\.orderId · correlation corr-00000039 · stream order-ord-00000039 · 4 events, 3 hops/);
    expect(out[1]).toMatch(/^saga ord-00000039: rejected · routing failed \(RoutingFailed: NO_ROUTE\) · compensation MISSING/);
    expect(r.stdout).toMatch(/RoutingFailed .*⚠ RoutingFailed after RiskCheckPassed, but no RiskReservationReleased/);
    expect(r.stdout).toContain('anomalies (1):');
  });

  it("shows the audit's error findings on its events, as `evtrail audit` reports them; --no-audit leaves them out", () => {
    const audit = cliJson<{ violations: { rule: string; severity: string; eventId: string; message: string }[] }>(['audit', '--db', db, '--limit', '0', '--fail-on', 'none']);
    const errors = truth.filter((t) => ['overfill', 'settlement-mismatch', 'fill-price-through-limit'].includes(t.kind));
    expect(errors.length).toBeGreaterThan(0);
    for (const t of errors) {
      const doc = cliJson<{ nodes: { id: string }[]; findings: { rule: string; severity: string; eventId: string; message: string }[] }>(['trace', t.orderId, '--db', db]);
      const ids = new Set(doc.nodes.map((n) => n.id));
      const key = (f: { rule: string; severity: string; eventId: string; message: string }) => `${f.eventId} ${f.rule} ${f.severity} ${f.message}`;
      expect(doc.findings.map(key).sort(), t.orderId).toEqual(audit.violations.filter((v) => ids.has(v.eventId)).map(key).sort());
      expect(doc.findings.some((f) => f.eventId === t.eventId && f.severity === 'error')).toBe(true);
      const text = cli(['trace', t.orderId, '--db', db]).stdout;
      expect(text).toMatch(/audit findings \(\d+; \d+ rules ran\):/);
      expect(text).toMatch(new RegExp(`error +[a-z-]+ +${t.eventId}`));
    }
    const first = errors[0]!.orderId;
    expect(cli(['trace', first, '--db', db, '--dot']).stdout).toContain('(error): ');
    expect(cli(['trace', first, '--db', db, '--mermaid']).stdout).toContain('(error): ');
    const off = cli(['trace', first, '--db', db, '--no-audit']);
    expect(off.stdout).toContain('audit findings: not checked (--no-audit)');
  }, 240_000);

  it('resolves a stream, a correlation id and an event id', () => {
    const want = order('ord-00000005');
    for (const [input, as] of [['order-ord-00000005', 'stream'], ['corr-00000005', 'correlation']]) {
      const doc = cliJson<{ query: { as: string }; nodes: { id: string }[] }>(['trace', input!, '--db', db]);
      expect(doc.query.as).toBe(as);
      expect(doc.nodes.map((n) => n.id).sort()).toEqual(want.ids);
    }
    const doc = cliJson<{ query: { as: string }; nodes: { id: string }[] }>(['trace', want.ids[0]!, '--db', db]);
    expect(doc.query.as).toBe('event');
  });

  it('--dot and --mermaid print the graph', () => {
    const want = order('ord-00000006');
    const dot = cli(['trace', 'ord-00000006', '--dot', '--db', db]);
    expect(dot.code).toBe(0);
    expect(dot.stdout.startsWith('digraph trace {')).toBe(true);
    // The orphan's missing cause is drawn dashed, besides the edges between the order's events.
    expect((dot.stdout.match(/ -> /g) ?? []).length).toBe(want.edges.length + 1);
    const mmd = cli(['trace', 'ord-00000006', '--mermaid', '--db', db]);
    expect(mmd.stdout.startsWith('flowchart TD\n')).toBe(true);
    expect((mmd.stdout.match(/ (-->|==>)/g) ?? []).length).toBe(want.edges.length);
  });

  it('--svg prints a waterfall, one row per event in time order, the critical path marked; --out writes it', () => {
    const doc = cliJson<{ nodes: { id: string; ts: string }[]; criticalPath: { eventIds: string[] } }>(['trace', 'ord-00000038', '--db', db]);
    const r = cli(['trace', 'ord-00000038', '--svg', '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    const svg = parseXml(r.stdout);
    const rows = all(svg, 'g').filter((g) => /^event\b/.test(g.attrs.class ?? ''));
    expect(rows.map((g) => g.attrs['data-id'])).toEqual([...doc.nodes].sort((a, b) => a.ts.localeCompare(b.ts)).map((n) => n.id));
    expect(rows.filter((g) => g.attrs['data-critical'] === 'true').map((g) => g.attrs['data-id']).sort()).toEqual([...doc.criticalPath.eventIds].sort());
    // The conflicting acknowledgement says so beside its bar.
    expect(r.stdout).toContain('⚠ conflicting delivery');
    const file = path.join(dir, 'ord-38.svg');
    const w = cli(['trace', 'ord-00000038', '--svg', '--out', file, '--db', db]);
    expect(w.code).toBe(0);
    expect(w.stdout).toBe('');
    expect(fs.readFileSync(file, 'utf8')).toBe(r.stdout);
    // --out takes the graph formats too.
    expect(cli(['trace', 'ord-00000038', '--dot', '--out', path.join(dir, 'ord-38.dot'), '--db', db]).code).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'ord-38.dot'), 'utf8')).toMatch(/^digraph trace \{[^]*conflicting copy \(seq \d+, first seq \d+\)/);
  });

  it('--no-index reads the store as it is, with the same answer', () => {
    const fresh = path.join(dir, 'fresh.duckdb');
    expect(cli(['ingest', SAMPLE, '--db', fresh]).code).toBe(0);
    const plain = cli(['trace', 'ord-00000017', '--json', '--no-index', '--db', fresh]);
    expect(plain.code).toBe(0);
    expect(plain.stderr).toBe('');
    const indexed = cli(['trace', 'ord-00000017', '--json', '--db', fresh]);
    expect(indexed.stderr).toMatch(/indexing 410 events for trace/);
    expect(JSON.parse(plain.stdout)).toEqual(JSON.parse(indexed.stdout));
  });

  it('--stats: every hop of the log, counted', () => {
    const doc = cliJson<{ hops: { cause: string; effect: string; count: number; p50Ns: number }[] }>(['trace', '--stats', '--db', db]);
    const first = new Map<string, Line>();
    for (const l of lines) if (!first.has(l.id)) first.set(l.id, l);
    const hops = [...first.values()].filter((l) => l.causation_id && first.has(l.causation_id)).length;
    expect(doc.hops.reduce((a, h) => a + h.count, 0)).toBe(hops);
    const table = cli(['trace', '--stats', '--db', db]);
    expect(table.stdout).toMatch(/OrderPlaced\s+RiskCheckPassed\s+\d+/);
  });
});

describe('evtrail trace: bad input', () => {
  const bad = (args: string[]) => {
    const r = cli(['trace', ...args, '--db', db]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const err = r.stderr.trim().split('\n');
    expect(err[0]).toMatch(/^evtrail: /);
    expect(err[1]).toMatch(/^hint: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    return r.stderr;
  };
  it('an unknown id names the closest matches', () => {
    expect(bad(['ord-0000005'])).toMatch(/no event id, stream, business key or correlation id "ord-0000005".*\nhint: closest: ord-00000005 \(key data\.orderId\)/s);
  });
  it('refuses wrong flags with a hint', () => {
    expect(bad([])).toMatch(/trace needs an id/);
    expect(bad(['ord-00000005', '--skew-tolerance', 'soon'])).toMatch(/--skew-tolerance soon: not a duration/);
    expect(bad(['ord-00000005', '--dot', '--mermaid'])).toMatch(/--dot and --mermaid cannot be combined/);
    expect(bad(['ord-00000005', '--svg', '--json'])).toMatch(/--json and --svg cannot be combined/);
    expect(bad(['ord-00000005', '--out', 'x.svg'])).toMatch(/--out writes a picture of the trace\nhint: add --svg/);
    expect(bad(['ord-00000005', '--svg', '--out', path.join(dir, 'no-such-dir', 'x.svg')])).toMatch(/--out .*x\.svg: cannot write it \(ENOENT\)/);
    expect(bad(['ord-00000005', '--stats'])).toMatch(/--stats covers the whole log/);
    expect(bad(['ord-00000005', '--as', 'thing'])).toMatch(/thing/);
    expect(bad(['ord-00000005', '--key', 'orderId'])).toMatch(/not a key path/);
    expect(bad(['ord-00000005', '--max-events', '0'])).toMatch(/--max-events 0/);
  });
  it('a missing store is a user error', () => {
    const r = cli(['trace', 'x', '--db', path.join(dir, 'nope.duckdb')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no store at/);
  });
});
