/**
 * `evtrail report` as a user runs it (the built CLI): each format written, its exit code with
 * and without --fail-on, the mistakes that stop it before anything is written, the signature,
 * determinism, and no temporary file left behind.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkReportText } from '../../src/report/verify-report.js';
import { verifyReportFile } from '../../src/report/verify-report.js';
import { generateKeyPair } from '../../src/integrity/keys.js';
import { ROOT, cli, tmpDir } from '../helpers.js';

const FIXTURE = path.join(ROOT, 'fixtures', 'trading-sample.ndjson');
let dir: string;
let db: string;
const run = (args: string[]) => cli([...args, '--db', db], { cwd: dir });

beforeAll(() => {
  dir = tmpDir('evtrail-report-cli-');
  db = path.join(dir, 'sample.duckdb');
  const r = cli(['ingest', FIXTURE, '--db', db]);
  expect(r.code, r.stderr).toBe(0);
  const keys = generateKeyPair();
  fs.writeFileSync(path.join(dir, 'key.pem'), keys.privatePem);
  fs.writeFileSync(path.join(dir, 'key.pub'), keys.publicPem);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('evtrail report', () => {
  it('writes each format from the extension and exits 0 although the audit found violations', async () => {
    for (const [ext, format, head] of [
      ['html', 'html', '<!DOCTYPE html>'],
      ['md', 'markdown', '# evtrail audit report'],
      ['json', 'json', '{'],
      ['xml', 'junit', '<?xml'],
    ] as const) {
      const out = `audit.${ext}`;
      const r = run(['report', '--out', out, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout);
      expect(summary).toMatchObject({ out, format, signed: false, rules: 16, violations: 14, failed: true });
      const text = fs.readFileSync(path.join(dir, out), 'utf8');
      expect(text.startsWith(head)).toBe(true);
      expect(summary.bytes).toBe(Buffer.byteLength(text));
      expect(await verifyReportFile(path.join(dir, out), {})).toMatchObject({ ok: true, sha256: summary.sha256 });
      // The generation time as every instant (JUnit's own timestamp attribute to the second, no zone, as its XSD has it).
      if (format === 'junit') {
        expect(text).toMatch(/ timestamp="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d"/);
        expect(text).toMatch(/<property name="evtrail.generatedAt" value="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z"\/>/);
      } else expect(text).toMatch(/(Generated |"generatedAt": ?")\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z/);
    }
  });

  it('--fail-on: exit 1 after writing the report', () => {
    const r = run(['report', '--out', 'failing.md', '--fail-on', 'error']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/at or above error.*the report is written/);
    expect(fs.readFileSync(path.join(dir, 'failing.md'), 'utf8')).toMatch(/<!-- evtrail-report sha256=[0-9a-f]{64} -->\n$/);
    // Nothing at or above --fail-on: exit 0.
    expect(run(['report', '--out', 'passing.md', '--fail-on', 'error', '--only', 'stream-revision-conflict']).code).toBe(0);
  });

  it('--key signs; the public key checks it, another does not', async () => {
    const r = run(['report', '--out', 'signed.html', '--key', 'key.pem', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ signed: true, keyFingerprint: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const file = path.join(dir, 'signed.html');
    expect(await verifyReportFile(file, { pubkey: path.join(dir, 'key.pub') })).toMatchObject({ ok: true, signed: true, signatureValid: true });
    const other = generateKeyPair();
    fs.writeFileSync(path.join(dir, 'other.pub'), other.publicPem);
    expect(await verifyReportFile(file, { pubkey: path.join(dir, 'other.pub') })).toMatchObject({ ok: false, signatureValid: false });
    // The same through evtrail verify --report: exit 0, then 1 with the other key or after an edit.
    expect(cli(['verify', '--report', file, '--pubkey', path.join(dir, 'key.pub')]).code).toBe(0);
    expect(cli(['verify', '--report', file, '--pubkey', path.join(dir, 'other.pub')]).code).toBe(1);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('order-overfill', 'order-overfilL'));
    const edited = cli(['verify', '--report', file]);
    expect(edited.code).toBe(1);
    expect(edited.stderr + edited.stdout).toMatch(/content changed after it was written/);
  });

  it('two runs differ only in the generation time (and the hash that covers it)', () => {
    for (const out of ['a.json', 'b.json']) expect(run(['report', '--out', out, '--trace', 'ord-00000001']).code).toBe(0);
    const [a, b] = ['a.json', 'b.json'].map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
    expect(a.generatedAt).not.toBe(b.generatedAt);
    // Like every instant evtrail prints: RFC 3339 UTC, nine digits, Z.
    for (const d of [a, b]) expect(d.generatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    // The commands name the report's own file: the same apart from a → b.
    const strip = (d: Record<string, unknown>) => JSON.stringify({ ...d, generatedAt: 0, reportSha256: 0 }).replaceAll('a.json', 'X.json').replaceAll('b.json', 'X.json');
    expect(strip(a)).toBe(strip(b));
  });

  it('mistakes stop it before anything is written: exit 2 with a hint', () => {
    const cases: [string[], RegExp][] = [
      [['report'], /report needs --out FILE/],
      [['report', '--out', 'x.pdf'], /extension says which format/],
      [['report', '--out', 'no/such/dir/x.html'], /there is no folder/],
      [['report', '--out', 'x.html', '--only', 'no-such-rule'], /--only: no rule no-such-rule/],
      [['report', '--out', 'x.html', '--samples', '0'], /--samples 0/],
      [['report', '--out', 'x.html', '--key', 'missing.pem'], /cannot read private key/],
      // The flag named, not a file with no name ("cannot read private key : no such file" before).
      [['report', '--out', 'x.html', '--key', ''], /^evtrail: --key needs a value\nhint: pass an Ed25519 private key/],
      [['report', '--out', 'x.html', '--trace', 'no-such-id'], /no-such-id/],
      // The flag named, not the trace command ("trace needs an id" before).
      [['report', '--out', 'x.html', '--trace', 'ord-00000042', '--trace', ' '], /^evtrail: --trace needs a value\nhint: e\.g\. --trace ord-00000042/],
      [['report', '--out', 'x.html', '--pack', ''], /^evtrail: --pack needs pack ids\nhint: packs: core, market, trading\n$/],
    ];
    for (const [args, message] of cases) {
      const r = run(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/\nhint: /);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(fs.existsSync(path.join(dir, 'x.html'))).toBe(false);
  });

  it('leaves no temporary file, and an existing report is replaced whole', () => {
    fs.writeFileSync(path.join(dir, 'old.xml'), 'an older report\n');
    expect(run(['report', '--out', 'old.xml']).code).toBe(0);
    const text = fs.readFileSync(path.join(dir, 'old.xml'), 'utf8');
    expect(checkReportText(text, 'junit').ok).toBe(true);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('prints where it wrote and how to check it', () => {
    const r = run(['report', '--out', 'plain.html']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^wrote plain\.html \(html, [\d.]+ KiB\): 16 rules, 14 violations; integrity /);
    expect(r.stdout).toMatch(/\nsha256 [0-9a-f]{64} \(evtrail verify --report plain\.html\)\n$/);
  });
});

/**
 * The report through the lens, as audit reads it (issue 17: the tenant is something every
 * command can filter by; the store's vocabulary applies everywhere): the sample log split in two
 * tenants (meta.tenant) and its OrderPlaced spelled order_placed, with a vocabulary mapping kept
 * at ingest. The integrity check still reads the store as stored (it passes, over every event).
 */
describe('evtrail report --tenant, through the vocabulary mapping', () => {
  let tdir: string;
  let tdb: string;
  const trun = (args: string[]) => cli([...args, '--db', tdb], { cwd: tdir });
  let acmeEvents = 0;
  let total = 0;

  beforeAll(() => {
    tdir = tmpDir('evtrail-report-tenant-');
    const lines = fs.readFileSync(FIXTURE, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; data: { orderId?: string }; meta: Record<string, unknown> });
    for (const e of lines) {
      // Orders 1–20 are acme's, the rest globex's (every event of the sample names its order).
      const n = Number(/ord-(\d+)/.exec(e.data.orderId ?? '')?.[1] ?? 99);
      e.meta = { ...e.meta, tenant: n <= 20 ? 'acme' : 'globex' };
      if (e.meta.tenant === 'acme') acmeEvents++;
      if (e.type === 'OrderPlaced') e.type = 'order_placed';
    }
    total = lines.length;
    const file = path.join(tdir, 'tenants.ndjson');
    fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const config = path.join(tdir, 'evtrail.config.json');
    fs.writeFileSync(config, JSON.stringify({ vocabulary: { types: { order_placed: 'OrderPlaced' } } }));
    tdb = path.join(tdir, 'tenants.duckdb');
    const r = cli(['ingest', file, '--config', config, '--db', tdb]);
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(() => fs.rmSync(tdir, { recursive: true, force: true }));

  it("audits only the tenant's events, read through the mapping, as audit --tenant does; integrity over the whole store", () => {
    expect(acmeEvents).toBeGreaterThan(0);
    expect(acmeEvents).toBeLessThan(total);
    const r = trun(['report', '--out', 'acme.json', '--tenant', 'acme']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(fs.readFileSync(path.join(tdir, 'acme.json'), 'utf8'));
    expect(doc.scope.tenant).toBe('acme');
    expect(doc.scope.vocabulary.types).toEqual({ order_placed: 'OrderPlaced' });
    expect(doc.scope.events).toBe(total);
    expect(doc.scope.auditedEvents).toBeLessThanOrEqual(acmeEvents);
    expect(doc.integrity).toMatchObject({ checked: true, ok: true, events: total });
    // The same findings as audit --tenant acme: nothing of globex's, no unknown order_placed.
    const audit = JSON.parse(trun(['audit', '--tenant', 'acme', '--fail-on', 'none', '--json']).stdout);
    const counts = (rules: { id: string; violations: number }[]) => Object.fromEntries(rules.map((x) => [x.id, x.violations]));
    expect(counts(doc.audit.rules)).toEqual(counts(audit.rules));
    expect(doc.scope.auditedEvents).toBe(audit.events);
    expect(doc.audit.violations).toBeLessThan(14);
    expect(counts(doc.audit.rules)['unknown-event-type']).toBe(0);
    expect(doc.commands).toContain(`evtrail audit --db ${tdb} --tenant acme --details`);

    // Without --tenant: every event, still through the mapping.
    expect(trun(['report', '--out', 'all.json']).code).toBe(0);
    const all = JSON.parse(fs.readFileSync(path.join(tdir, 'all.json'), 'utf8'));
    expect(all.scope.tenant).toBeUndefined();
    expect(all.scope.auditedEvents).toBeGreaterThan(doc.scope.auditedEvents);
    expect(all.audit.violations).toBe(14);

    // The human formats say it in the scope.
    expect(trun(['report', '--out', 'acme.md', '--tenant', 'acme']).code).toBe(0);
    const md = fs.readFileSync(path.join(tdir, 'acme.md'), 'utf8');
    expect(md).toMatch(/\| tenant \| acme: the audit, schemas, chart and traces cover only its events \(\d+ events audited\)/);
    expect(md).toMatch(/\| vocabulary \| read through the store's mapping: type order\\_placed → OrderPlaced \|/);
  });

  it('an unknown tenant stops it before anything is written, naming the tenants there are', () => {
    const r = trun(['report', '--out', 'x.html', '--tenant', 'initech']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^evtrail: no events of tenant "initech" in the store\nhint: tenants in the store: (acme|globex) \(\d+\), (acme|globex) \(\d+\)\n$/);
    expect(fs.existsSync(path.join(tdir, 'x.html'))).toBe(false);
  });
});
