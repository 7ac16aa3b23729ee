/**
 * The report model and its four renderers on the committed sample log (40 orders, one anomaly
 * of each kind): the expected rule counts, sample event ids, source hash, schema counts and
 * trace events all come from the fixture and its truth file, not from a run.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog, type Catalog } from '../../src/audit/catalog.js';
import { planAudit } from '../../src/audit/plan.js';
import { ALSO_FIRES, RULE_OF_ANOMALY } from '../../src/fixtures/anomaly-rules.js';
import type { AnomalyKind } from '../../src/fixtures/trading-generator.js';
import { ingestFiles } from '../../src/ingest/ingest.js';
import { collectReport } from '../../src/report/collect.js';
import { parseJsonReport } from '../../src/report/json.js';
import type { ReportModel, ReportRequest } from '../../src/report/model.js';
import { renderReport } from '../../src/report/render.js';
import { Store } from '../../src/store/store.js';
import { ROOT, tmpDir } from '../helpers.js';
import { all, parseXml } from '../xml.js';

const FIXTURE = path.join(ROOT, 'fixtures', 'trading-sample.ndjson');
const TRUTH = path.join(ROOT, 'fixtures', 'trading-sample.truth.ndjson');
const TRACES = ['ord-00000001', 'ord-00000024'];

interface Line {
  id: string;
  type: string;
  schema_version: number;
  data: { orderId: string };
}
const lines: Line[] = fs.readFileSync(FIXTURE, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
const truth = fs.readFileSync(TRUTH, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { kind: AnomalyKind; eventId: string });

/** Violations each rule must report, and at which events: one per injected anomaly. */
const expected = new Map<string, string[]>();
for (const t of truth) {
  for (const rule of [RULE_OF_ANOMALY[t.kind], ...(ALSO_FIRES[t.kind] ?? [])]) expected.set(rule, [...(expected.get(rule) ?? []), t.eventId]);
}

let dir: string;
let db: string;
let catalog: Catalog;
let model: ReportModel;
const request = (over: Partial<ReportRequest> = {}): ReportRequest => ({ out: 'audit.html', db: 'sample.duckdb', traces: TRACES, samples: 5, verify: true, ...over });

async function collect(generatedAt: string, over: Partial<ReportRequest> = {}): Promise<ReportModel> {
  const store = await Store.open(db, { readOnly: true });
  try {
    const req = request(over);
    const plan = planAudit(catalog, { limit: req.samples, ...(req.only ? { only: req.only } : {}) });
    return await collectReport(store, { request: req, catalog, plan, generatedAt });
  } finally {
    store.close();
  }
}

beforeAll(async () => {
  dir = tmpDir('evtrail-report-model-');
  db = path.join(dir, 'sample.duckdb');
  catalog = loadCatalog();
  const store = await Store.open(db, { create: true });
  try {
    const r = await ingestFiles(store, { sources: [FIXTURE] });
    expect(r.ingested).toBe(lines.length);
  } finally {
    store.close();
  }
  model = await collect('2026-01-02T03:04:05.000Z');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const sourceSha = crypto.createHash('sha256').update(fs.readFileSync(FIXTURE)).digest('hex');

describe('the report model of the sample log', () => {
  it('has every rule with the count the truth file gives, and its violations as samples', () => {
    expect(model.audit.rules.map((r) => r.id).sort()).toEqual(catalog.rules.map((r) => r.id).sort());
    for (const r of model.audit.rules) {
      const ids = expected.get(r.id) ?? [];
      expect({ rule: r.id, status: r.status, violations: r.violations }).toEqual({ rule: r.id, status: 'ran', violations: ids.length });
      expect(r.samples.map((s) => s.eventId).sort()).toEqual([...ids].sort());
    }
    expect(model.audit.violations).toBe([...expected.values()].reduce((n, v) => n + v.length, 0));
    expect(model.audit.failed).toBe(true);
  });

  it('keeps at most --samples violations per rule, with exact counts', async () => {
    const store = await Store.open(db, { readOnly: true });
    try {
      const req = request({ samples: 1, traces: [] });
      const plan = planAudit(catalog, { limit: 1, only: ['timestamp-regression', 'causation-time-inversion'], params: ['timestamp-regression.tolerance=0ns'] });
      const m = await collectReport(store, { request: req, catalog, plan, generatedAt: 'x' });
      expect(m.audit.rules.map((r) => r.id)).toEqual(['timestamp-regression', 'causation-time-inversion']);
      for (const r of m.audit.rules) expect(r.samples.length).toBe(Math.min(1, r.violations));
    } finally {
      store.close();
    }
  });

  it('states the scope: sources with their SHA-256, counts, time range, catalog hash, version', () => {
    const s = model.scope;
    expect(s.sources).toHaveLength(1);
    expect(s.sources[0]!.sha256).toBe(sourceSha);
    expect(s.sources[0]!.events).toBe(lines.length);
    expect(s.events).toBe(lines.length);
    expect(s.streams).toBe(new Set(lines.map((l) => l.data.orderId)).size);
    expect(s.firstTs).toBe('2025-08-26T09:30:02.529212508Z');
    expect(s.catalog.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(s.catalog.rules).toBe(catalog.rules.length);
    expect(model.evtrailVersion).toBe(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
    expect(s.parameters.find((p) => p.rule === 'saga-incomplete' && p.name === 'timeout')).toMatchObject({ value: '60s', default: '60s' });
  });

  it('carries the integrity check of the store, and its failure after an edit', async () => {
    expect(model.integrity).toMatchObject({ checked: true, ok: true, events: lines.length, problems: [] });
    // A copy of the store with one payload edited behind evtrail's back.
    const copy = path.join(dir, 'edited.duckdb');
    fs.copyFileSync(db, copy);
    const writer = await Store.open(copy);
    try {
      await writer.run(`UPDATE events SET data = '{"orderId":"ord-00000001","qty":1}' WHERE seq = (SELECT min(seq) FROM events)`);
    } finally {
      writer.close();
    }
    const store = await Store.open(copy, { readOnly: true });
    try {
      const m = await collectReport(store, { request: request({ traces: [] }), catalog, plan: planAudit(catalog, { limit: 5 }), generatedAt: 'x' });
      expect(m.integrity.checked && m.integrity.ok).toBe(false);
      expect(m.integrity.checked && m.integrity.problems.length).toBeGreaterThan(0);
    } finally {
      store.close();
    }
    const off = await collect('x', { verify: false });
    expect(off.integrity).toEqual({ checked: false, reason: 'not asked (--no-verify)' });
  });

  it('summarises types and schema versions with their schema violations', () => {
    const seen = new Set<string>();
    const counts = new Map<string, number>();
    for (const l of lines) {
      if (seen.has(l.id)) continue; // the audit looks at first occurrences only
      seen.add(l.id);
      const k = `${l.type} v${l.schema_version}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    const schema = model.schema!;
    expect(schema.packs).toEqual(['trading']);
    expect(new Map(schema.types.map((t) => [`${t.type} v${t.version}`, t.events]))).toEqual(counts);
    const bad = truth.filter((t) => t.kind === 'schema-violation').map((t) => lines.find((l) => l.id === t.eventId)!);
    expect(schema.violations).toBe(bad.length);
    for (const b of bad) expect(schema.types.find((t) => t.type === b.type && t.version === b.schema_version)!.violations).toBeGreaterThan(0);
  });

  it('charts every event once, in at most 120 buckets', () => {
    const { events } = model.charts;
    expect(events.length).toBeGreaterThan(1);
    expect(events.length).toBeLessThanOrEqual(120);
    expect(events.reduce((n, b) => n + b.events, 0)).toBe(lines.length);
  });

  it('holds the traces asked for, with their events', () => {
    expect(model.traces.map((t) => t.id)).toEqual(TRACES);
    for (const t of model.traces) {
      const ids = new Set(lines.filter((l) => l.data.orderId === t.id).map((l) => l.id));
      expect(t.events).toBe(ids.size);
      for (const id of ids) expect(t.text).toContain(id);
    }
  });

  it('is deterministic: two collections differ only in their generation time', async () => {
    const again = await collect('2030-12-31T23:59:59.999Z');
    expect({ ...again, generatedAt: model.generatedAt }).toEqual(model);
    for (const format of ['html', 'markdown', 'json', 'junit'] as const) {
      expect(renderReport({ ...again, generatedAt: model.generatedAt }, format).text).toBe(renderReport(model, format).text);
    }
  });
});

describe('the renderers', () => {
  const rules = () => model.audit.rules;

  it('HTML: every rule with its count, the source hash, both charts, the traces, all escaped', () => {
    const html = renderReport(model, 'html').text;
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`);
    const audit = html.slice(html.indexOf('<section id="audit"'));
    for (const r of rules()) {
      const row = new RegExp(`<tr[^>]*><td>(?:<a href="#rule-${r.id}">)?${r.id}(?:</a>)?</td>.*?</tr>`).exec(audit);
      expect(row, r.id).not.toBeNull();
      expect(row![0]).toContain(`<td class="num">${r.violations}</td>`);
    }
    expect(html).toContain(sourceSha);
    expect(html.match(/<svg class="chart"/g)).toHaveLength(2);
    // Each trace as a waterfall, one bar per event, in place of the text it had (which stays, folded).
    expect(html.match(/<svg class="waterfall"/g)).toHaveLength(TRACES.length);
    for (const t of model.traces) expect(t.waterfall.rows).toHaveLength(t.events);
    expect(html.match(/<g class="event/g)).toHaveLength(model.traces.reduce((n, t) => n + t.events, 0));
    for (const t of TRACES) expect(html).toContain(`<h3>${t}</h3>`);
    // No tag or script from data: every '<' of the document opens one of evtrail's own tags.
    expect(html).not.toMatch(/<script|<link|<img|<iframe|src=|href="(?!#)/i);
    expect(html).not.toContain('http://');
  });

  it('HTML escapes what the log says', () => {
    const evil = structuredClone(model);
    evil.audit.rules[0]!.samples = [{ eventId: '<img src=x onerror=alert(1)>', stream: '"><script>x</script>', message: "a & b < c 'q'", ts: null }];
    evil.audit.rules[0]!.violations = 1;
    const html = renderReport(evil, 'html').text;
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('a &amp; b &lt; c &#39;q&#39;');
  });

  it('Markdown: every rule row with its count, the source hash, the traces', () => {
    const md = renderReport(model, 'markdown').text;
    const rows = md.split('\n').filter((l) => l.startsWith('| ')).map((l) => l.slice(2, -2).split(' | '));
    for (const r of rules()) {
      const row = rows.find((c) => c[0] === r.id && c.length === 6);
      expect(row, r.id).toBeDefined();
      expect(row![4]).toBe(String(r.violations));
    }
    expect(md).toContain(sourceSha);
    for (const t of TRACES) expect(md).toContain(`### ${t}`);
    expect(md.trimEnd().split('\n').at(-1)).toMatch(/^<!-- evtrail-report sha256=[0-9a-f]{64} -->$/);
  });

  it('JSON: round-trips to the model, with the seal at the top level', () => {
    const text = renderReport(model, 'json').text;
    const doc = JSON.parse(text);
    expect(Object.keys(doc)[0]).toBe('reportSha256');
    expect(parseJsonReport(text)).toEqual(model);
    expect(doc.scope.sources[0].sha256).toBe(sourceSha);
    expect(doc.traces.map((t: { id: string }) => t.id)).toEqual(TRACES);
  });

  it('JUnit: well-formed XML, one testsuite, one testcase per rule, failures where the findings fail --fail-on', () => {
    const xml = renderReport(model, 'junit').text;
    const root = parseXml(xml);
    const suites = all(root, 'testsuite');
    expect(suites).toHaveLength(1);
    const cases = all(suites[0]!, 'testcase');
    expect(cases.map((c) => c.attrs.name).sort()).toEqual(rules().map((r) => r.id).sort());
    // The sample log has warnings below the default --fail-on (error): found, not failed.
    expect(model.scope.failOn).toBe('error');
    expect(rules().some((r) => r.violations > 0 && !r.failing)).toBe(true);
    for (const r of rules()) {
      const c = cases.find((x) => x.attrs.name === r.id)!;
      const failure = all(c, 'failure');
      const out = all(c, 'system-out');
      if (r.violations > 0 && r.failing) {
        expect(r.severity, r.id).toBe('error');
        expect(failure, r.id).toHaveLength(1);
        expect(failure[0]!.attrs.message).toMatch(new RegExp(`^${r.violations} violations?: `));
        for (const s of r.samples) expect(failure[0]!.text).toContain(s.eventId!);
      } else if (r.violations > 0) {
        expect(failure, r.id).toHaveLength(0);
        expect(out[0]!.text).toMatch(/^below --fail-on error: not a failure\n/);
        for (const s of r.samples) expect(out[0]!.text).toContain(s.eventId!);
      } else expect(failure, r.id).toHaveLength(0);
    }
    expect(suites[0]!.attrs.failures).toBe(String(rules().filter((r) => r.violations > 0 && r.failing).length));
    expect(suites[0]!.attrs.tests).toBe(String(rules().length));
    const props = Object.fromEntries(all(root, 'property').map((p) => [p.attrs.name, p.attrs.value]));
    expect(props['evtrail.source.1.sha256']).toBe(sourceSha);
    expect(props['evtrail.report.sha256']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('JUnit: at --fail-on warning the warnings are failures too', () => {
    const m = structuredClone(model);
    m.scope.failOn = m.audit.failOn = 'warning';
    for (const r of m.audit.rules) r.failing = r.violations > 0 && r.severity !== 'info';
    const root = parseXml(renderReport(m, 'junit').text);
    const failed = all(root, 'testcase').filter((c) => all(c, 'failure').length > 0).map((c) => c.attrs.name).sort();
    expect(failed).toEqual(m.audit.rules.filter((r) => r.violations > 0 && r.severity !== 'info').map((r) => r.id).sort());
    expect(failed.some((id) => m.audit.rules.find((r) => r.id === id)!.severity === 'warning')).toBe(true);
  });

  it('JUnit: a skipped rule is <skipped> with its reason', () => {
    const m = structuredClone(model);
    m.audit.rules[0] = { ...m.audit.rules[0]!, status: 'skipped', reason: 'no event has a stream revision (rev) & <more>', violations: 0, samples: [] };
    m.audit.skipped = 1;
    const root = parseXml(renderReport(m, 'junit').text);
    const c = all(root, 'testcase').find((x) => x.attrs.name === m.audit.rules[0]!.id)!;
    expect(all(c, 'skipped')[0]!.attrs.message).toBe('no event has a stream revision (rev) & <more>');
    expect(all(c, 'failure')).toHaveLength(0);
  });

  it('the XML reader of this test rejects what is not well-formed', () => {
    expect(() => parseXml('<a><b></a></b>')).toThrow();
    expect(() => parseXml('<a x="1" x="2"/>')).toThrow();
    expect(() => parseXml('<a>&</a>')).toThrow();
    expect(() => parseXml('<a/><b/>')).toThrow();
  });
});
