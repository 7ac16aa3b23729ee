/**
 * Clock-skew tolerances grounded in the domain: on a trading log the causation-time-inversion
 * tolerance is MiFID II RTS 25's 1 ms (the trading pack's default), elsewhere the core default
 * (100 ms, NTP over the Internet); --param wins over both; trace's --skew-tolerance follows the
 * audit's value; and every rule says where its threshold comes from.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/audit/catalog.js';
import { ingestFiles } from '../../src/ingest/ingest.js';
import { Store } from '../../src/store/store.js';
import { EventSource } from '../../src/trace/source.js';
import { defaultSettings, traceReport } from '../../src/trace/trace.js';
import { auditBench, cleanLog, edit, findings, iso } from '../audit-fixtures.js';
import { tmpDir } from '../helpers.js';

const bench = auditBench();
const dirs: string[] = [];
afterAll(() => {
  bench.cleanup();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const only = ['causation-time-inversion'];
/** A's OrderRouted (A-e3, at 2 s) acknowledged `ms` before it (A-e4 is normally at 3 s). */
const skewed = (ms: number) => edit(cleanLog(), 'A-e4', (e) => ({ ...e, ts: iso(2000 - ms) }));

/** A log of no pack's vocabulary: a request and its reply `ms` before it. */
function genericLog(ms: number) {
  return [
    { id: 'g-1', stream: 'job-1', rev: 1, type: 'JobRequested', ts: iso(0), correlation_id: 'c', source: 'api', data: { jobId: 'j1' } },
    { id: 'g-2', stream: 'job-1', rev: 2, type: 'JobStarted', ts: iso(1000), correlation_id: 'c', causation_id: 'g-1', source: 'api', data: { jobId: 'j1' } },
    { id: 'g-3', stream: 'job-1', rev: 3, type: 'JobDone', ts: iso(1000 - ms), correlation_id: 'c', causation_id: 'g-2', source: 'worker', data: { jobId: 'j1' } },
  ];
}

describe('clock-skew tolerance', () => {
  it('trading log: an effect 5 ms before its cause is a finding (1 ms, MiFID II RTS 25); --param moves it', async () => {
    const result = await bench.audit(skewed(5), { only });
    expect(findings(result)).toEqual({ 'causation-time-inversion': ['A-e4'] });
    expect(result.rules[0]!.params).toEqual({ tolerance: '1ms' });
    // Within the 1 ms: nothing.
    expect(findings(await bench.audit(skewed(0.5), { only }))).toEqual({});
    // The user's value wins over the pack's default.
    const loose = await bench.audit(skewed(5), { only, params: ['causation-time-inversion.tolerance=10ms'] });
    expect(findings(loose)).toEqual({});
    expect(loose.rules[0]!.params).toEqual({ tolerance: '10ms' });
  });

  it('a log of no pack: the core default, 100 ms', async () => {
    const near = await bench.audit(genericLog(5), { only });
    expect(findings(near)).toEqual({});
    expect(near.rules[0]!.params).toEqual({ tolerance: '100ms' });
    expect(findings(await bench.audit(genericLog(150), { only }))).toEqual({ 'causation-time-inversion': ['g-3'] });
  });

  it("trace's clock skew follows the audit's tolerance, and shows the finding", async () => {
    const dir = tmpDir('evtrail-skew-');
    dirs.push(dir);
    const file = path.join(dir, 'log.ndjson');
    fs.writeFileSync(file, skewed(5).map((e) => JSON.stringify(e)).join('\n') + '\n');
    const store = await Store.open(path.join(dir, 's.duckdb'), { create: true });
    try {
      await ingestFiles(store, { sources: [file] });
      const source = await EventSource.open(store);
      const report = await traceReport(source, 'A', defaultSettings());
      expect(report.skewToleranceNs).toBe(1_000_000n);
      expect(report.graph.anomalies.filter((a) => a.kind === 'clock-skew').map((a) => a.eventId)).toEqual(['A-e4']);
      expect(report.audit!.findings.filter((f) => f.rule === 'causation-time-inversion').map((f) => f.eventId)).toEqual(['A-e4']);
      // --skew-tolerance is handed to the rule: both say the same.
      const loose = await traceReport(source, 'A', defaultSettings({ skewToleranceNs: 10_000_000n }));
      expect(loose.graph.anomalies.filter((a) => a.kind === 'clock-skew')).toEqual([]);
      expect(loose.audit!.findings.filter((f) => f.rule === 'causation-time-inversion')).toEqual([]);
      // Without the audit, the defaults are still the pack's.
      expect((await traceReport(source, 'A', defaultSettings({ audit: false }))).skewToleranceNs).toBe(1_000_000n);
    } finally {
      store.close();
    }
  });

  it('a pack default that names no rule parameter, or a value of the wrong type, is refused when the catalog is read', () => {
    const dir = tmpDir('evtrail-packs-');
    dirs.push(dir);
    fs.cpSync(path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'src', 'packs'), dir, { recursive: true });
    const packFile = path.join(dir, 'trading', 'pack.json');
    const pack = JSON.parse(fs.readFileSync(packFile, 'utf8')) as { params: Record<string, string> };
    fs.writeFileSync(packFile, JSON.stringify({ ...pack, params: { 'causation-time-inversion.tolerans': '1ms' } }));
    expect(() => loadCatalog({ packsDir: dir })).toThrow(/params: causation-time-inversion.tolerans names no rule parameter/);
    fs.writeFileSync(packFile, JSON.stringify({ ...pack, params: { 'causation-time-inversion.tolerance': 'soon' } }));
    expect(() => loadCatalog({ packsDir: dir })).toThrow(/params: causation-time-inversion.tolerance: expected a duration/);
  });

  it("every rule's description says where its threshold comes from", () => {
    for (const rule of loadCatalog().rules) expect(rule.description, rule.id).toMatch(/Threshold: /);
    const inversion = loadCatalog().rules.find((r) => r.id === 'causation-time-inversion')!;
    expect(inversion.description).toMatch(/RTS 25/);
    expect(inversion.description).toMatch(/NTP/);
  });
});
