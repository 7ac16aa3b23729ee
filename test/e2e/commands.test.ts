/** The commands around ingest (info, query, rejects, demo, --help, --version), as a user runs them. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ALSO_FIRES, RULE_OF_ANOMALY } from '../../src/fixtures/anomaly-rules.js';
import type { AnomalyKind } from '../../src/fixtures/trading-generator.js';
import { SCHEMA_VERSION } from '../../src/store/migrations.js';
import { BIN, ROOT, cli, cliJson, event, ndjson, tmpDir } from '../helpers.js';

let dir: string;
let db: string;
beforeEach(() => {
  dir = tmpDir();
  db = path.join(dir, 'store.duckdb');
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function write(name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

const ANSI = /\x1b\[/;

/** A small log: 2 types, 2 streams, one redelivery, one conflict, one bad line. */
function smallLog(): string {
  return write('small.ndjson', [
    JSON.stringify(event({ id: 'e1', stream: 'order-ord-1', rev: 1, type: 'OrderPlaced', ts: '2025-08-26T09:30:00.000000001Z' })),
    JSON.stringify(event({ id: 'e2', stream: 'order-ord-1', rev: 2, type: 'RiskCheckPassed', ts: '2025-08-26T09:30:01Z' })),
    JSON.stringify(event({ id: 'e3', stream: 'order-ord-2', rev: 1, type: 'OrderPlaced', schema_version: 2, ts: '2025-08-26T09:31:00.5Z' })),
    JSON.stringify(event({ id: 'e1', stream: 'order-ord-1', rev: 1, type: 'OrderPlaced', ts: '2025-08-26T09:30:00.000000001Z' })),
    'this line, "is" not JSON',
    JSON.stringify(event({ id: 'e2', stream: 'order-ord-1', rev: 2, type: 'RiskCheckPassed', ts: '2025-08-26T09:30:01Z', data: { other: true } })),
  ].join('\n') + '\n');
}

/**
 * Which modules a CLI run loads: a --import preload records every ESM resolution (module hooks)
 * and every CommonJS require into a file.
 */
let recorder: string;
beforeAll(() => {
  const hooksDir = tmpDir('evtrail-modules-');
  fs.writeFileSync(path.join(hooksDir, 'hooks.mjs'), `import fs from 'node:fs';
let out;
export function initialize(data) { out = data.out; }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  fs.appendFileSync(out, 'esm ' + result.url + '\\n');
  return result;
}
`);
  fs.writeFileSync(path.join(hooksDir, 'record.mjs'), `import fs from 'node:fs';
import Module, { register } from 'node:module';
const out = process.env.EVTRAIL_MODULE_LOG;
register(new URL('./hooks.mjs', import.meta.url), { data: { out } });
const load = Module._load;
Module._load = function (request, parent, isMain) {
  fs.appendFileSync(out, 'cjs ' + request + '\\n');
  return load.apply(this, arguments);
};
`);
  recorder = hooksDir;
});
afterAll(() => {
  fs.rmSync(recorder, { recursive: true, force: true });
});

function modulesLoaded(args: string[], nodeArgs: string[] = [BIN]): { code: number; modules: string[] } {
  const log = path.join(dir, `modules-${Math.random().toString(36).slice(2)}.log`);
  fs.writeFileSync(log, '');
  const result = spawnSync(process.execPath, [...nodeArgs, ...args], {
    encoding: 'utf8',
    env: {
      ...process.env, NO_COLOR: '1', EVTRAIL_DB: undefined, EVTRAIL_MODULE_LOG: log,
      NODE_OPTIONS: `--import=${pathToFileURL(path.join(recorder, 'record.mjs')).href}`,
    },
  });
  return { code: result.status ?? -1, modules: fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

const loadsDuckDB = (modules: string[]) => modules.some((m) => /@duckdb\//.test(m));
/** zod costs a process about 70 ms of CPU: commands load it when they run (src/cli/flags.ts), --help never. */
const loadsZod = (modules: string[]) => modules.some((m) => /node_modules\/zod\//.test(m) || m === 'cjs zod');
const loadsInk = (modules: string[]) =>
  modules.some((m) => /node_modules\/(ink|react|react-reconciler|yoga-layout)\//.test(m) || /^cjs (ink|react|react-reconciler)$/.test(m));

describe('evtrail commands (built CLI)', () => {
  it('info --json: the shape and the values on a small log', () => {
    const file = smallLog();
    expect(cliJson(['ingest', file, '--db', db])).toMatchObject({ ingested: 5, rejected: 1, redelivered: 1, conflicts: 1 });
    const info = cliJson(['info', '--db', db]);
    expect(info).toEqual({
      store: path.resolve(db),
      schemaVersion: SCHEMA_VERSION,
      events: 5,
      rejects: 1,
      redelivered: 1,
      conflicts: 1,
      streams: 2,
      types: 2,
      firstTs: '2025-08-26T09:30:00.000000001Z',
      lastTs: '2025-08-26T09:31:00.500000000Z',
      sources: [{
        source: fs.realpathSync(file), kind: 'file', format: 'ndjson', preset: 'canonical',
        events: 5, rejects: 1, bytes: fs.statSync(file).size, lastIngestedAt: expect.any(String), checkpoint: null, openGaps: 0,
      }],
      typeCounts: [
        { type: 'OrderPlaced', events: 3, versions: '1,2' },
        { type: 'RiskCheckPassed', events: 2, versions: '1' },
      ],
      topStreams: [
        { stream: 'order-ord-1', events: 4 },
        { stream: 'order-ord-2', events: 1 },
      ],
      // No LOBSTER source: no market-data counts.
      marketData: [],
    });
  });

  it('info on an empty store: zeros and nulls, not an error', () => {
    expect(cliJson(['ingest', write('empty.ndjson', ''), '--db', db]).ingested).toBe(0);
    expect(cliJson(['info', '--db', db])).toMatchObject({
      events: 0, rejects: 0, streams: 0, types: 0, firstTs: null, lastTs: null, typeCounts: [], topStreams: [],
    });
  });

  it('query --csv: RFC 4180 quoting, JSON and NULL cells, one header for a multi-chunk result', () => {
    cliJson(['ingest', smallLog(), '--db', db]);
    const result = cli(['query', `select 'a,b' AS x, 'say "hi"' AS y, 'two' || chr(10) || 'lines' AS z, NULL AS n, 42 AS i, '{"k":[1,2]}'::JSON AS j`, '--db', db, '--csv']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('x,y,z,n,i,j\n"a,b","say ""hi""","two\nlines",,42,"{""k"":[1,2]}"\n');
    expect(result.stderr).toBe('');

    const events = cli(['query', 'select seq, id, type, evt_iso(ts) AS ts from events order by seq', '--db', db, '--csv']);
    expect(events.stdout.split('\n').slice(0, 3)).toEqual(['seq,id,type,ts', '1,e1,OrderPlaced,2025-08-26T09:30:00.000000001Z', '2,e2,RiskCheckPassed,2025-08-26T09:30:01.000000000Z']);

    const many = cli(['query', 'select range AS n from range(5000)', '--db', db, '--csv']);
    const lines = many.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(5001);
    expect(lines.filter((l) => l === 'n')).toHaveLength(1);
    expect(lines.at(-1)).toBe('4999');

    expect(cli(['query', 'select id, type from events where false', '--db', db, '--csv']).stdout).toBe('id,type\n');
  });

  it('rejects --csv: source, line, reason and the raw text, quoted', () => {
    const file = smallLog();
    cliJson(['ingest', file, '--db', db]);
    const result = cli(['rejects', '--db', db, '--csv']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`source,line,reason,raw\n${fs.realpathSync(file)},5,not valid JSON,"this line, ""is"" not JSON"\n`);
    expect(cli(['rejects', '--db', db, '--csv', '--source', 'no-such-source']).stdout).toBe('source,line,reason,raw\n');
  });

  it('prints plain text, without escape codes, when stdout is a pipe', () => {
    const env = { ...process.env, EVTRAIL_DB: undefined, NO_COLOR: undefined, FORCE_COLOR: undefined };
    const ingest = cli(['ingest', smallLog(), '--db', db], { env });
    expect(ingest.code, ingest.stderr).toBe(0);
    expect(ingest.stdout).toMatch(/^ingested 5 events into .*store\.duckdb, rejected 1 \(evtrail rejects lists them\), 1 redelivered, 1 conflicting ids\n/);
    expect(ingest.stdout).toMatch(/\nsource\s+format\s+preset\s+status\s+ingested\s+rejected\s+redelivered\s+conflicts\n─+/);
    expect(ingest.stderr).toBe(''); // no progress drawn into a pipe

    const info = cli(['info', '--db', db], { env });
    expect(info.code, info.stderr).toBe(0);
    for (const title of ['store ', '\nsources\n', '\nevent types\n', '\nlargest streams\n']) expect(info.stdout).toContain(title);
    expect(info.stdout).toMatch(/\nOrderPlaced\s+3\s+1,2\n/);

    const query = cli(['query', `select type, count(*)::INTEGER AS n from events group by all order by type`, '--db', db], { env });
    expect(query.stdout).toBe('type             n\n───────────────  ─\nOrderPlaced      3\nRiskCheckPassed  2\n2 rows\n');

    const limited = cli(['query', 'select range AS n from range(10)', '--db', db, '--limit', '3'], { env });
    expect(limited.stdout).toMatch(/\n2\n… 7 more rows \(--limit, or --csv \/ --json for all\)\n$/);

    const rejects = cli(['rejects', '--db', db], { env });
    expect(rejects.stdout).toMatch(/^1 rejected record\nsource\s+line\s+reason\s+raw\n/);

    // No rejects: one line, no empty table (JSON stays an empty array).
    expect(cli(['rejects', '--db', db, '--source', 'no-such-source'], { env }).stdout).toBe('no rejects from a source matching no-such-source\n');
    const clean = path.join(dir, 'clean.duckdb');
    expect(cli(['ingest', path.join(ROOT, 'fixtures', 'trading-sample.ndjson'), '--db', clean], { env }).code).toBe(0);
    expect(cli(['rejects', '--db', clean], { env }).stdout).toBe('no rejects: every record was read\n');
    expect(cliJson(['rejects', '--db', clean])).toEqual([]);

    for (const r of [ingest, info, query, limited, rejects]) expect(r.stdout).not.toMatch(ANSI);
  });

  // Their speed is measured by `npm run bench` (Start-up), not here: a wall-clock limit in a test
  // only measures the machine's load. What keeps them fast is what they do not load.
  it('--version and --help load neither DuckDB, ink nor zod', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    for (const args of [['--version'], ['-V'], ['--help'], ['ingest', '--help'], ['query', '--help'], ['audit', '--help'], ['report', '--help'], ['help']]) {
      const result = cli(args);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
      if (args[0] === '--version' || args[0] === '-V') expect(result.stdout).toBe(`${pkg.version}\n`);
      else expect(result.stdout).toMatch(/^Usage: evtrail/);

      const { code, modules } = modulesLoaded(args);
      expect(code).toBe(0);
      expect(modules.length).toBeGreaterThan(0); // the recorder ran
      expect(modules.filter((m) => /@duckdb\/|\/(ink|react)\//.test(m))).toEqual([]);
      expect(loadsDuckDB(modules)).toBe(false);
      expect(loadsInk(modules)).toBe(false);
      expect(loadsZod(modules), args.join(' ')).toBe(false);
    }
    const help = cli(['--help']).stdout;
    for (const command of ['ingest', 'info', 'query', 'rejects', 'demo']) expect(help).toMatch(new RegExp(`\\n  ${command} `));
  });

  it('--json (and plain text in a pipe) never load ink or react', () => {
    const file = smallLog();
    // The recorder sees ink when it is loaded (control), and DuckDB when a command opens a store.
    const control = modulesLoaded(['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(path.join(ROOT, 'dist/output/ink-table.js')).href)})`], []);
    expect(control.code).toBe(0);
    expect(loadsInk(control.modules)).toBe(true);

    for (const args of [
      ['ingest', file, '--db', db, '--json'],
      ['info', '--db', db, '--json'],
      ['query', 'select * from events', '--db', db, '--json'],
      ['rejects', '--db', db, '--json'],
      ['info', '--db', db],
      ['query', 'select * from events', '--db', db, '--csv'],
      ['audit', '--db', db, '--fail-on', 'none', '--json'],
      ['audit', '--db', db, '--fail-on', 'none'],
      ['report', '--out', path.join(dir, 'lazy.md'), '--db', db, '--json'],
    ]) {
      const { code, modules } = modulesLoaded(args);
      expect(code, args.join(' ')).toBe(0);
      expect(loadsDuckDB(modules), args.join(' ')).toBe(true);
      expect(loadsInk(modules), args.join(' ')).toBe(false);
      // The control for loadsZod: a command that reads its flags with zod (audit, report) loads it.
      if (args[0] === 'audit' || args[0] === 'report') expect(loadsZod(modules), args.join(' ')).toBe(true);
    }
  });

  it('evtrail demo ingests the bundled sample and shows what it finds', () => {
    const sample = path.join(ROOT, 'fixtures', 'trading-sample.ndjson');
    expect(fs.existsSync(sample), `${sample} is missing`).toBe(true);
    const demoDb = path.join(dir, 'demo.duckdb');
    const result = cli(['demo', '--db', demoDb], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^evtrail demo: .*trading-sample\.ndjson → /);
    expect(result.stdout).toMatch(/same id seen twice \(kept, never merged\)/);
    expect(result.stderr).toMatch(/^next: evtrail audit --details /);
    expect(result.stdout).toMatch(/what broke the rules \(evtrail audit\)/);
    expect(result.stdout).not.toMatch(ANSI);

    const lines = fs.readFileSync(sample, 'utf8').trimEnd().split('\n').length;
    const json = cliJson(['demo', '--db', demoDb], { cwd: dir });
    expect(json.ingest).toMatchObject({ ingested: lines, rejected: 0 });
    expect(json.info).toMatchObject({ events: lines, rejects: 0 });
    expect(json.ingest.redelivered + json.ingest.conflicts).toBe(json.duplicates.length);
    // Every order is replayed, and the audit finds exactly the rules the sample's injected
    // anomalies break (the generator's truth file says which).
    const truth = fs.readFileSync(path.join(ROOT, 'fixtures', 'trading-sample.truth.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const orders = new Set(fs.readFileSync(sample, 'utf8').trim().split('\n').map((l) => JSON.parse(l).data.orderId));
    expect(json.orders.reduce((n: number, r: { orders: number }) => n + r.orders, 0)).toBe(orders.size);
    const expected = new Set(truth.flatMap((t: { kind: AnomalyKind }) => [RULE_OF_ANOMALY[t.kind] ?? `unmapped:${t.kind}`, ...(ALSO_FIRES[t.kind] ?? [])]));
    const found = new Set(json.audit.rules.filter((r: { violations: number }) => r.violations > 0).map((r: { id: string }) => r.id));
    expect([...found].sort()).toEqual([...expected].sort());
    // Run twice: the demo starts from a fresh store each time.
    expect(cliJson(['info', '--db', demoDb]).events).toBe(lines);
  });
});
