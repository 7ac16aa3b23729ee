/**
 * JSON that scripts can use, through the built CLI: every command's --json checked against its
 * shipped schema (docs/json/*.schema.json, Ajv), the same field with the same type everywhere,
 * jq filters that compare numbers, --ndjson streamed in bounded memory, query's SQL from a file
 * or stdin and --out Parquet, --csv on the tabular commands, not-found keys and --at past the
 * end, and JUnit following --fail-on.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, cli, tmpDir } from '../helpers.js';

const FIXTURE = path.join(ROOT, 'fixtures', 'trading-sample.ndjson');
const SCHEMAS = path.join(ROOT, 'docs', 'json');
// CLI runs on a loaded two-core machine: seconds each.
const SLOW = 600_000;
const TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/;
let dir: string;
let db: string;
const run = (args: string[], input?: string) => cli([...args, '--db', db], { cwd: dir, ...(input !== undefined ? { input } : {}) });
const json = (args: string[]) => {
  const r = run([...args, '--json']);
  expect([0, 1], r.stderr).toContain(r.code);
  return JSON.parse(r.stdout) as any;
};
const lines = (text: string) => text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as any);

const ajv = new Ajv2020({ allErrors: true, strict: false });
function validator(name: string) {
  const schema = JSON.parse(fs.readFileSync(path.join(SCHEMAS, `${name}.schema.json`), 'utf8'));
  return ajv.getSchema(schema.$id) ?? ajv.compile(schema);
}
function expectValid(name: string, value: unknown) {
  const validate = validator(name);
  const ok = validate(value);
  expect(ok, `${name}: ${ajv.errorsText(validate.errors)}`).toBe(true);
}

function jq(filter: string, input: string, args: string[] = []): string {
  const r = spawnSync('jq', [...args, filter], { input, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

beforeAll(() => {
  dir = tmpDir('evtrail-json-out-');
  db = path.join(dir, 'sample.duckdb');
  expect(cli(['ingest', FIXTURE, '--db', db]).code).toBe(0);
  // Two lines that cannot be read: rejects to list.
  const bad = path.join(dir, 'bad.ndjson');
  fs.writeFileSync(bad, '{"id":"x1","stream":"s","type":"T","ts":"2025-08-26T09:30:00Z","data":{}}\nnot json\n{"id":\n');
  expect(cli(['ingest', bad, '--db', db]).code).toBe(0);
}, SLOW);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('--json: one type per field, a schema per command', () => {
  it('query --json: BIGINT is a number, timestamps RFC 3339 with Z and nine digits, big integers strings, JSON columns as JSON', () => {
    const rows = json(['query', `select seq, ts, data, 9007199254740993::BIGINT AS big, 9007199254740991::BIGINT AS edge, 1.50::DECIMAL(5,2) AS d,
      123456789012345678.5::DECIMAL(38,1) AS d2, 42::HUGEINT AS h, [seq, 2] AS l, {'t': ts} AS s from events order by seq limit 3`]);
    expectValid('query', rows);
    expect(rows[0].seq).toBe(1);
    expect(rows[0].ts).toBe('2025-08-26T09:30:02.529212508Z');
    expect(rows[0].big).toBe('9007199254740993');
    expect(rows[0].edge).toBe(9007199254740991);
    expect(rows[0].d).toBe(1.5);
    expect(rows[0].d2).toBe('123456789012345678.5');
    expect(rows[0].h).toBe(42);
    expect(rows[0].l).toEqual([1, 2]);
    expect(rows[0].s.t).toMatch(TS);
    expect(rows[0].data.orderId).toBe('ord-00000001');
  }, SLOW);

  it('jq compares numbers: select(.seq < 5) matches on --json and --ndjson', () => {
    const sql = 'select seq, type from events order by seq limit 20';
    expect(jq('[.[] | select(.seq < 5)] | length', run(['query', sql, '--json']).stdout).trim()).toBe('4');
    expect(jq('select(.seq < 5) | .seq', run(['query', sql, '--ndjson']).stdout, ['-c']).trim().split('\n')).toEqual(['1', '2', '3', '4']);
    // A replay's rows, an audit's evidence and a trace's nodes too.
    expect(Number(jq('[.rows[] | select(.events > 10)] | length', run(['replay', '--projection', 'orders', '--json']).stdout))).toBeGreaterThan(0);
    expect(jq('[.violations[] | select(.evidence.seq? > 0)] | length > 0', run(['audit', '--json']).stdout).trim()).toBe('true');
    expect(jq('[.nodes[] | select(.seq < 3)] | length', run(['trace', 'ord-00000001', '--json']).stdout).trim()).toBe('2');
  }, SLOW);

  it('every command validates against its schema, and seq / ts / events have one type in all of them', () => {
    const docs: Record<string, unknown> = {
      query: json(['query', 'select seq, ts, id, stream, type from events order by seq limit 5']),
      replay: json(['replay', '--projection', 'orders']),
      audit: json(['audit', '--details']),
      trace: json(['trace', 'ord-00000001']),
      info: json(['info']),
      rejects: json(['rejects']),
    };
    for (const [name, doc] of Object.entries(docs)) expectValid(name, doc);
    expectValid('replay', json(['replay', '--projection', 'positions', '--at', 'seq:200']));
    expectValid('replay', json(['replay', '--projection', 'streams', '--key', 'order-ord-00000001']));
    expect((docs.rejects as unknown[]).length).toBe(2);
    // Walk every document: a field name has the same JSON type wherever it appears.
    const seen = new Map<string, Set<string>>();
    const walk = (v: unknown, where: string) => {
      if (Array.isArray(v)) return v.forEach((x) => walk(x, where));
      if (v === null || typeof v !== 'object') return;
      for (const [k, x] of Object.entries(v)) {
        if (['seq', 'ts', 'events', 'rev', 'line', 'lastTs', 'firstTs', 'lastEventAt'].includes(k) && x !== null) {
          const t = typeof x === 'string' && TS.test(x) ? 'timestamp' : typeof x;
          if (!seen.has(k)) seen.set(k, new Set());
          seen.get(k)!.add(`${t}`);
        }
        walk(x, where);
      }
    };
    for (const [name, doc] of Object.entries(docs)) walk(doc, name);
    expect(Object.fromEntries([...seen].map(([k, v]) => [k, [...v]]))).toEqual({
      seq: ['number'], ts: ['timestamp'], events: ['number'], rev: ['number'], line: ['number'],
      lastTs: ['timestamp'], firstTs: ['timestamp'], lastEventAt: ['timestamp'],
    });
    // Audit evidence, which was text for BIGINT columns.
    const evidence = (docs.audit as any).violations.map((v: any) => v.evidence).filter((e: any) => 'seq' in e);
    expect(evidence.length).toBeGreaterThan(0);
    for (const e of evidence) expect(typeof e.seq).toBe('number');
    expect((docs.info as any).sources[0].lastIngestedAt).toMatch(TS);
  }, SLOW);
});

describe('--ndjson', () => {
  it('query, replay, audit and rejects print one valid object per line', () => {
    const q = lines(run(['query', 'select seq, ts from events order by seq', '--ndjson']).stdout);
    expect(q.length).toBe(json(['query', 'select count(*)::INTEGER AS n from events'])[0].n);
    expect(q[0]).toEqual({ seq: 1, ts: '2025-08-26T09:30:02.529212508Z' });
    const replayRows = lines(run(['replay', '--projection', 'orders', '--ndjson']).stdout);
    expect(replayRows).toEqual(json(['replay', '--projection', 'orders']).rows);
    const audit = run(['audit', '--ndjson']);
    expect(audit.code).toBe(1);
    const violations = lines(audit.stdout);
    expect(violations).toEqual(json(['audit']).violations);
    for (const v of violations) expectValid('audit-violation', v);
    const rejects = lines(run(['rejects', '--ndjson']).stdout);
    expect(rejects).toEqual(json(['rejects']));
    for (const r of rejects) expectValid('reject', r);
  }, SLOW);

  it('streams a 5M-row result under a 64 MB heap (never holding it whole)', () => {
    const out = fs.openSync('/dev/null', 'w');
    const sql = "select range AS n, range * 2 AS twice, 'row-' || range::VARCHAR AS label from range(5000000)";
    const r = spawnSync(process.execPath, ['--max-old-space-size=64', BIN, 'query', sql, '--ndjson', '--db', db], {
      stdio: ['ignore', out, 'pipe'], encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 240_000,
    });
    fs.closeSync(out);
    expect(r.status, r.stderr).toBe(0);
    // The same through a pipe, counted: every row arrived.
    const counted = spawnSync('sh', ['-c', `"${process.execPath}" --max-old-space-size=64 "${BIN}" query "select range AS n from range(5000000)" --ndjson --db "${db}" | wc -l`], { encoding: 'utf8', timeout: 240_000 });
    expect(counted.stdout.trim()).toBe('5000000');
  }, 600_000);
});

describe('audit --ndjson streams', () => {
  const rule = (id: string, sql: string) => `-- id: ${id}\n-- title: ${id}\n-- severity: warning\n-- description: a test rule.\n-- rationale: a test.\n\n${sql}\n`;

  it('1M violations of one rule under a 64 MB heap (read and written a chunk at a time, never all held)', () => {
    const rules = path.join(dir, 'many-rules');
    fs.mkdirSync(rules, { recursive: true });
    fs.writeFileSync(path.join(rules, 'many.sql'), rule('many', "SELECT 'evt-' || lpad(range::VARCHAR, 7, '0') AS event_id, 'order-x' AS stream, 'found ' || range::VARCHAR AS message, range AS seq FROM range(1000000)"));
    const r = spawnSync('sh', ['-c', `"${process.execPath}" --max-old-space-size=64 "${BIN}" audit --rules "${rules}" --only many --limit 0 --ndjson --db "${db}" | tail -n 1; echo "lines=$("${process.execPath}" --max-old-space-size=64 "${BIN}" audit --rules "${rules}" --only many --limit 0 --ndjson --db "${db}" | wc -l)"`], {
      encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', EVTRAIL_DB: undefined }, timeout: 300_000,
    });
    expect(r.stderr).not.toMatch(/heap out of memory|evtrail: .*bug/i);
    const [last, count] = r.stdout.trim().split('\n');
    expect(JSON.parse(last!)).toMatchObject({ rule: 'many', eventId: 'evt-0999999', message: 'found 999999', evidence: { seq: 999999 } });
    expect(count).toBe('lines=1000000');
  }, 600_000);

  it('a rule\'s violations are on stdout once it has run, before a later rule fails', () => {
    const rules = path.join(dir, 'boom-rules');
    fs.mkdirSync(rules, { recursive: true });
    fs.writeFileSync(path.join(rules, 'zz-boom.sql'), rule('zz-boom', "SELECT NULL AS event_id, NULL AS stream, error('boom') AS message FROM range(1)"));
    const r = run(['audit', '--rules', rules, '--only', 'order-overfill,zz-boom', '--ndjson']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/zz-boom\.sql:\d+: running the rule: .*boom/);
    expect(lines(r.stdout).map((v: any) => v.rule)).toEqual(['order-overfill']);
  }, SLOW);
});

describe('query: SQL from a file or stdin, --out Parquet', () => {
  it('reads the SQL from stdin (-) and from --file; refuses both at once', () => {
    expect(lines(run(['query', '-', '--ndjson'], 'select 41 + 1 AS x;\n').stdout)).toEqual([{ x: 42 }]);
    fs.writeFileSync(path.join(dir, 'q.sql'), '-- the count\nselect count(*) AS n from events\n');
    expect(json(['query', '--file', 'q.sql'])[0].n).toBeGreaterThan(400);
    const both = run(['query', 'select 1', '--file', 'q.sql']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/^evtrail: give the SQL once.*\nhint: /);
    const missing = run(['query', '--file', 'nope.sql']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--file nope.sql: no such file\nhint: /);
  }, SLOW);

  it('--out writes Parquet, refuses to overwrite without --force, and a bad path exits 2 with a hint', () => {
    const r = run(['query', 'select seq, type from events order by seq', '--out', 'r.parquet']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    const back = json(['query', `select count(*)::INTEGER AS n, min(seq) AS first from read_parquet('${path.join(dir, 'r.parquet')}')`]);
    expect(back[0].first).toBe(1);
    expect(back[0].n).toBeGreaterThan(400);
    const again = run(['query', 'select 1', '--out', 'r.parquet']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/the file exists\nhint: add --force/);
    expect(run(['query', 'select 1 AS one', '--out', 'r.parquet', '--force']).code).toBe(0);
    expect(json(['query', `select * from read_parquet('${path.join(dir, 'r.parquet')}')`])).toEqual([{ one: 1 }]);
    const bad = run(['query', 'select 1', '--out', 'no/such/dir/r.parquet']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/does not exist\nhint: /);
    expect(bad.stderr).not.toMatch(/at .*\.js/);
    const badSql = run(['query', 'select nope from events', '--out', 'x.parquet']);
    expect(badSql.code).toBe(2);
    expect(fs.readdirSync(dir).filter((f) => f.includes('x.parquet'))).toEqual([]);
  }, SLOW);
});

describe('--csv on the tabular commands', () => {
  const header = (args: string[]) => {
    const r = run([...args, '--csv']);
    expect([0, 1], r.stderr).toContain(r.code);
    return r.stdout.split('\n')[0];
  };
  it('info, audit, trace, replay and rejects print CSV', () => {
    expect(header(['info'])).toBe('events,streams,types,first event,last event,rejects,redelivered,conflicts');
    expect(header(['audit'])).toBe('rule,severity,status,violations,examples,ms');
    expect(header(['audit', '--details'])).toBe('rule,severity,eventId,stream,message,evidence');
    expect(header(['trace', 'ord-00000001'])).toMatch(/^id,type,ts,stream,rev,source,seq,/);
    expect(header(['replay', '--projection', 'orders'])).toMatch(/^orderId,accountId,/);
    expect(header(['rejects'])).toBe('source,line,reason,raw');
    expect(run(['trace', 'ord-00000001', '--csv']).stdout.trim().split('\n').length).toBe(8);
  }, SLOW);
});

describe('not found, and past the end', () => {
  it('replay --key the log never names exits 2 with the closest keys, as trace does', () => {
    const r = run(['replay', '--projection', 'orders', '--key', 'ord-0000001']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^evtrail: --key ord-0000001: no orders entity with this key in the store\nhint: closest: ord-00000001/);
    expect(run(['replay', '--projection', 'positions', '--key', 'acc-99999999', '--json']).code).toBe(2);
    expect(run(['replay', '--projection', 'streams', '--key', 'order-ord-1']).code).toBe(2);
    // A custom projection's keys are its keyOf's: an unknown one is refused the same way.
    fs.writeFileSync(path.join(dir, 'count.mjs'), `export default { name: 'count', initialState: () => 0, evolve: (n) => n + 1, keyOf: (e) => e.data?.orderId };\n`);
    const custom = run(['replay', '--projection', './count.mjs', '--key', 'ord-0000002']);
    expect(custom.code).toBe(2);
    expect(custom.stderr).toMatch(/^evtrail: --key ord-0000002: no count entity with this key in the store\nhint: closest: ord-00000002/);
    expect(json(['replay', '--projection', './count.mjs', '--key', 'ord-00000002']).rows).toHaveLength(1);
    // A key that is in the log, only not yet at the cut, is an empty answer (exit 0).
    const early = run(['replay', '--projection', 'orders', '--key', 'ord-00000040', '--at', 'seq:3']);
    expect(early.code, early.stderr).toBe(0);
    expect(early.stdout).toMatch(/no orders row for ord-00000040 at this point/);
  }, SLOW);

  it('--at after the last event says so: a note, and afterLastEvent in --json', () => {
    const r = run(['replay', '--projection', 'orders', '--at', '2030-01-01T00:00:00Z', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/note: --at 2030-01-01T00:00:00Z is after the last event \(seq \d+, .*Z\)/);
    const doc = JSON.parse(r.stdout);
    expectValid('replay', doc);
    expect(doc.afterLastEvent.seq).toBe(json(['query', 'select max(seq) AS m from events'])[0].m);
    expect(doc.afterLastEvent.ts).toMatch(TS);
    const inside = run(['replay', '--projection', 'orders', '--at', 'seq:5', '--json']);
    expect(inside.stderr).not.toMatch(/after the last event/);
    expect(JSON.parse(inside.stdout).afterLastEvent).toBeUndefined();
    // A seq past the last one is answered the same way (exit 0, the end's state, the note).
    const bySeq = run(['replay', '--projection', 'orders', '--at', 'seq:999999', '--json']);
    expect(bySeq.code, bySeq.stderr).toBe(0);
    expect(bySeq.stderr).toMatch(/note: --at seq:999999 is after the last event \(seq \d+, .*Z\): the state shown is the end of the log/);
    const seqDoc = JSON.parse(bySeq.stdout);
    expectValid('replay', seqDoc);
    expect(seqDoc.afterLastEvent).toEqual(doc.afterLastEvent);
    expect(seqDoc.rows).toEqual(doc.rows);
  }, SLOW);
});

describe('JUnit follows --fail-on', () => {
  const junit = (args: string[]) => {
    const r = run(['report', '--out', 'r.xml', ...args]);
    expect([0, 1], r.stderr).toContain(r.code);
    const xml = fs.readFileSync(path.join(dir, 'r.xml'), 'utf8');
    fs.rmSync(path.join(dir, 'r.xml'));
    return xml;
  };
  it('warnings are not failures unless --fail-on warning asks', () => {
    const audit = json(['audit']);
    const found = (sev: string[]) => audit.rules.filter((r: any) => r.violations > 0 && sev.includes(r.severity)).length;
    expect(found(['warning'])).toBeGreaterThan(0);
    const byDefault = junit([]);
    expect(byDefault).toContain(`<testsuites name="evtrail audit" tests="${audit.rules.length}" failures="${found(['error'])}"`);
    // A warning rule's findings are shown, not failed.
    expect(byDefault).toMatch(/name="causation-orphan"[^>]*>\s*<system-out>/);
    expect(byDefault).not.toMatch(/<failure[^>]*type="warning"/);
    const strict = junit(['--fail-on', 'warning']);
    expect(strict).toContain(`failures="${found(['error', 'warning'])}"`);
    expect(strict).toMatch(/<failure[^>]*type="warning"/);
    expect(junit(['--fail-on', 'none'])).toContain('failures="0"');
  }, SLOW);
});
