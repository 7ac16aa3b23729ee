/**
 * The report's own hash and signature: every format sealed, then checked as written, after
 * every possible one-character edit, with the wrong key, unsigned with a key, and through files.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, keyFingerprint } from '../../src/integrity/keys.js';
import { DEFAULT_SAMPLES, chartBuckets, fillBuckets, recreateCommands, shellWord, type ReportModel } from '../../src/report/model.js';
import { renderReport } from '../../src/report/render.js';
import { HASH_PLACEHOLDER, formatOf, locateSeal, type ReportFormat } from '../../src/report/seal.js';
import { checkReportText, verifyReportFile } from '../../src/report/verify-report.js';
import { tmpDir } from '../helpers.js';

const FORMATS: [ReportFormat, string][] = [
  ['html', 'html'],
  ['markdown', 'md'],
  ['json', 'json'],
  ['junit', 'xml'],
];

/** A small model by hand, with text that looks like the seal fields in the data. */
function model(): ReportModel {
  return {
    schemaVersion: 1,
    title: 'evtrail audit report: s.duckdb',
    generatedAt: '2026-01-02T03:04:05.000Z',
    evtrailVersion: '0.1.0',
    scope: {
      store: 's.duckdb',
      events: 12,
      streams: 2,
      rejects: 0,
      redelivered: 1,
      conflicts: 0,
      firstTs: '2025-08-26T09:30:00.000000000Z',
      lastTs: '2025-08-26T09:31:00.000000000Z',
      window: { since: null, until: null },
      auditedEvents: 11,
      sources: [{ uri: '/logs/a.ndjson', kind: 'file', format: 'ndjson', preset: 'canonical', events: 12, rejects: 0, bytes: 2048, sha256: 'ab'.repeat(32) }],
      catalog: { sha256: 'cd'.repeat(32), files: 3, rules: 2, userRules: false },
      parameters: [{ rule: 'saga-incomplete', name: 'timeout', value: '30s', default: '60s' }],
      only: null,
      packs: [{ id: 'core', active: true, share: 1, forced: false }],
      failOn: 'error',
    },
    integrity: { checked: false, reason: 'not asked (--no-verify)' },
    audit: {
      failOn: 'error',
      failed: true,
      ran: 2,
      skipped: 0,
      violations: 1,
      samplesPerRule: DEFAULT_SAMPLES,
      rules: [
        {
          id: 'order-overfill', title: 'An order is filled beyond its quantity', severity: 'error', pack: 'trading', status: 'ran', violations: 1, failing: true, params: {},
          // Data that mimics the seal fields must not be taken for them.
          samples: [{ eventId: 'evt-1', stream: 'order-1', ts: '2025-08-26T09:30:30.000000000Z', message: `<meta name="evtrail-report-sha256" content="${'1'.repeat(64)}"> "reportSha256": "${'2'.repeat(64)}" <!-- evtrail-report sha256=${'3'.repeat(64)} -->` }],
        },
        { id: 'saga-incomplete', title: 'An order saga never reached a terminal state', severity: 'warning', pack: 'trading', status: 'ran', violations: 0, failing: false, params: { timeout: '30s' }, samples: [] },
      ],
    },
    schema: null,
    charts: { bucketSeconds: 60, events: [{ start: '2025-08-26T09:30:00Z', events: 7 }, { start: '2025-08-26T09:31:00Z', events: 5 }] },
    traces: [],
    commands: ['evtrail report --out r.html --db s.duckdb'],
  };
}

const pairA = generateKeyPair();
const pairB = generateKeyPair();
const privA = crypto.createPrivateKey(pairA.privatePem);
const pubA = crypto.createPublicKey(pairA.publicPem);
const pubB = crypto.createPublicKey(pairB.publicPem);

/** One character changed at position i, to another character of the same kind when it can (so hex stays hex). */
function flip(text: string, i: number): string {
  const c = text[i]!;
  const to = /[0-8a-eA-E]/.test(c) ? String.fromCharCode(c.charCodeAt(0) + 1) : c === '9' ? '0' : c === 'f' ? 'a' : c === ' ' ? '\t' : 'x';
  return text.slice(0, i) + (to === c ? 'y' : to) + text.slice(i + 1);
}

describe.each(FORMATS)('the seal of a %s report', (format) => {
  const unsigned = renderReport(model(), format);
  const signed = renderReport(model(), format, privA);

  it('checks as written, signed or not, and names its key', () => {
    expect(checkReportText(unsigned.text, format)).toMatchObject({ ok: true, sha256: unsigned.sha256, signed: false, problems: [] });
    const c = checkReportText(signed.text, format, pubA);
    expect(c).toMatchObject({ ok: true, signed: true, signatureValid: true, keyFingerprint: keyFingerprint(pubA), problems: [] });
    // Without the public key the hash still holds (the signature cannot be judged).
    expect(checkReportText(signed.text, format)).toMatchObject({ ok: true, signed: true, problems: [] });
    expect(unsigned.text).not.toContain(HASH_PLACEHOLDER);
    expect(locateSeal(unsigned.text, format).sha256).toHaveLength(1);
  });

  it('finds every one-character edit, anywhere in the document (signature included, without a key)', () => {
    for (const doc of [unsigned.text, signed.text]) {
      const missed: number[] = [];
      for (let i = 0; i < doc.length; i++) if (checkReportText(flip(doc, i), format).ok) missed.push(i);
      expect(missed.map((i) => JSON.stringify(doc.slice(Math.max(0, i - 20), i + 20)))).toEqual([]);
    }
  });

  it('names an edit of the content as such', () => {
    const i = signed.text.indexOf('order-overfill');
    const c = checkReportText(signed.text.slice(0, i) + 'order-underfill' + signed.text.slice(i + 'order-overfill'.length), format, pubA);
    expect(c.ok).toBe(false);
    expect(c.problems[0]).toMatch(/^content changed after it was written/);
    expect(c.signatureValid).toBe(false);
  });

  it('a signed report checked with another key fails', () => {
    const c = checkReportText(signed.text, format, pubB);
    expect(c).toMatchObject({ ok: false, signed: true, signatureValid: false });
    expect(c.problems.join()).toMatch(/signed with another key/);
  });

  it('an unsigned report checked with a key fails: not signed', () => {
    const c = checkReportText(unsigned.text, format, pubA);
    expect(c).toMatchObject({ ok: false, signed: false });
    expect(c.problems.join()).toMatch(/not signed/);
  });

  it('a document without its hash field is not a sealed report', () => {
    const seal = locateSeal(unsigned.text, format).sha256[0]!;
    const c = checkReportText(unsigned.text.slice(0, seal.start - 3) + unsigned.text.slice(seal.end + 3), format);
    expect(c.ok).toBe(false);
    expect(c.sha256).toBeNull();
  });
});

describe('verifyReportFile', () => {
  let dir: string;
  beforeAll(() => {
    dir = tmpDir('evtrail-report-seal-');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads the format from the extension and checks the file', async () => {
    for (const [format, ext] of FORMATS) {
      const file = path.join(dir, `r.${ext}`);
      fs.writeFileSync(file, renderReport(model(), format, privA).text);
      const pub = path.join(dir, 'a.pub');
      fs.writeFileSync(pub, pairA.publicPem);
      expect(await verifyReportFile(file, { pubkey: pub })).toMatchObject({ ok: true, file, format, signed: true, signatureValid: true });
      // One character of the file edited in place.
      const text = fs.readFileSync(file, 'utf8');
      const i = text.indexOf('An order is filled');
      fs.writeFileSync(file, text.slice(0, i) + 'a' + text.slice(i + 1));
      const c = await verifyReportFile(file, {});
      expect(c.ok).toBe(false);
      expect(c.problems.join()).toMatch(/changed after it was written/);
    }
  });

  it('bytes that are not UTF-8 are an edit', async () => {
    const file = path.join(dir, 'bad.md');
    const text = renderReport(model(), 'markdown').text;
    const i = text.indexOf('evtrail audit report');
    fs.writeFileSync(file, Buffer.concat([Buffer.from(text.slice(0, i)), Buffer.from([0xff]), Buffer.from(text.slice(i))]));
    expect((await verifyReportFile(file, {})).ok).toBe(false);
  });

  it('a missing file or key is a usage error; an unknown file is not a report', async () => {
    await expect(verifyReportFile(path.join(dir, 'nope.html'), {})).rejects.toThrow(/no such file/);
    const file = path.join(dir, 'r.html');
    fs.writeFileSync(file, renderReport(model(), 'html').text);
    await expect(verifyReportFile(file, { pubkey: path.join(dir, 'nope.pub') })).rejects.toThrow(/cannot read public key/);
    const other = path.join(dir, 'notes.txt');
    fs.writeFileSync(other, 'hello\n');
    expect(await verifyReportFile(other, {})).toMatchObject({ ok: false, format: 'unknown' });
  });
});

describe('pure helpers', () => {
  it('formatOf: extension first, then content', () => {
    expect(formatOf('a.HTML')).toBe('html');
    expect(formatOf('a.xml')).toBe('junit');
    expect(formatOf('report', '<?xml version="1.0"?><testsuites/>')).toBe('junit');
    expect(formatOf('report', '{"reportSha256":')).toBe('json');
    expect(formatOf('report', 'plain')).toBeUndefined();
  });

  it('shellWord quotes what the shell would split or expand', () => {
    expect(shellWord('logs/a.ndjson')).toBe('logs/a.ndjson');
    expect(shellWord('my logs/a b.ndjson')).toBe(`'my logs/a b.ndjson'`);
    expect(shellWord(`it's $HOME`)).toBe(`'it'\\''s $HOME'`);
  });

  it('recreateCommands: ingest per source, then audit, trace, report and its check, with the flags given', () => {
    const cmds = recreateCommands(
      { out: 'out/r.html', db: 'a b.duckdb', traces: ['ord-1'], params: ['saga-incomplete.timeout=30s'], samples: 5, verify: false, key: 'k.pem' },
      model().scope.sources,
    );
    expect(cmds).toEqual([
      `evtrail ingest /logs/a.ndjson --db 'a b.duckdb' --format ndjson --preset canonical`,
      `evtrail audit --db 'a b.duckdb' --param saga-incomplete.timeout=30s --details`,
      `evtrail trace ord-1 --db 'a b.duckdb'`,
      `evtrail report --out out/r.html --db 'a b.duckdb' --param saga-incomplete.timeout=30s --trace ord-1 --no-verify --key k.pem`,
      'evtrail verify --report out/r.html --pubkey PUBLIC-KEY.pub',
    ]);
  });

  it('chartBuckets: round widths, at most 120 bars, every event in one', () => {
    const t0 = Date.parse('2025-08-26T09:30:02.500Z');
    expect(chartBuckets(null, null)).toBeNull();
    expect(chartBuckets(t0, t0)).toEqual({ bucketSeconds: 1, startMs: Date.parse('2025-08-26T09:30:02Z'), count: 1 });
    const hour = chartBuckets(t0, t0 + 3600_000)!;
    expect(hour.bucketSeconds).toBe(60);
    expect(hour.count).toBeLessThanOrEqual(120);
    const week = chartBuckets(t0, t0 + 7 * 86400_000)!;
    expect(week.bucketSeconds).toBe(7200);
    expect(week.count).toBeLessThanOrEqual(120);
    const years = chartBuckets(t0, t0 + 3 * 365 * 86400_000)!;
    expect(years.count).toBeLessThanOrEqual(120);
    expect(years.bucketSeconds % 86400).toBe(0);
    const filled = fillBuckets({ bucketSeconds: 60, startMs: Date.parse('2025-08-26T09:30:00Z'), count: 3 }, new Map([[2, 5]]));
    expect(filled).toEqual([
      { start: '2025-08-26T09:30:00Z', events: 0 },
      { start: '2025-08-26T09:31:00Z', events: 0 },
      { start: '2025-08-26T09:32:00Z', events: 5 },
    ]);
  });
});
