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
      [['report', '--out', 'x.html', '--trace', 'no-such-id'], /no-such-id/],
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
