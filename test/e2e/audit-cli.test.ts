/** `evtrail audit` as a user runs it: the built CLI on the committed sample log. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInRuleFiles } from '../audit-fixtures.js';
import { ROOT, cli, tmpDir } from '../helpers.js';

let dir: string;
let db: string;
const SAMPLE = path.join(ROOT, 'fixtures', 'trading-sample.ndjson');
const TRUTH = path.join(ROOT, 'fixtures', 'trading-sample.truth.ndjson');

/** The generator's anomaly kinds and the rules that find them (a clock skew: two, at the same event). */
const RULES_OF: Record<string, string[]> = {
  duplicate: ['duplicate-event-id'],
  conflict: ['conflicting-event-id'],
  'revision-gap': ['stream-revision-gap'],
  'orphan-causation': ['causation-orphan'],
  'clock-skew': ['causation-time-inversion', 'timestamp-regression'],
  overfill: ['order-overfill'],
  'fill-after-cancel': ['fill-after-terminal'],
  'route-without-risk-check': ['route-without-risk-check'],
  'missing-compensation': ['compensation-missing'],
  'stuck-saga': ['saga-incomplete'],
  'fill-price-through-limit': ['fill-price-outside-limit'],
  'settlement-mismatch': ['settlement-mismatch'],
  'schema-violation': ['schema-violation'],
};

function rulesDir(files: Record<string, string>): string {
  const d = fs.mkdtempSync(path.join(dir, 'rules-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(d, name), text);
  return d;
}

const BIG_ORDERS = `-- id: big-orders
-- title: An order above a size
-- severity: warning
-- description: OrderPlaced with qty above the limit.
-- rationale: Large orders need a second pair of eyes.
-- param limit: integer = 1000 | the largest qty that needs no review

SELECT id AS event_id, stream, 'qty ' || (data->>'qty') || ' above ' || $limit AS message, seq
FROM audit_events
WHERE type = 'OrderPlaced' AND TRY_CAST(data->>'qty' AS BIGINT) > $limit
`;

beforeAll(() => {
  dir = tmpDir('evtrail-audit-cli-');
  db = path.join(dir, 'sample.duckdb');
  const r = cli(['ingest', SAMPLE, '--db', db]);
  expect(r.code, r.stderr).toBe(0);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('evtrail audit', () => {
  it('finds every anomaly of the sample log and nothing else (--json), exit 1', () => {
    const r = cli(['audit', '--db', db, '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.rules.map((x: { id: string }) => x.id).sort()).toHaveLength(builtInRuleFiles());
    for (const rule of out.rules) {
      expect(Object.keys(rule)).toEqual(expect.arrayContaining(['id', 'severity', 'violations', 'ms']));
      expect(rule.status).toBe('ran');
    }
    const truth = fs.readFileSync(TRUTH, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const expected = truth.flatMap((t) => RULES_OF[t.kind]!.map((rule) => `${rule} ${t.eventId} ${t.stream}`)).sort();
    const found = out.violations.map((v: { rule: string; eventId: string; stream: string }) => `${v.rule} ${v.eventId} ${v.stream}`).sort();
    expect(found).toEqual(expected);
    for (const v of out.violations) expect(typeof v.message).toBe('string');
    expect(out.failed).toBe(true);
  });

  it('prints a plain summary in a pipe, every violation with --details, and says why it fails on stderr', () => {
    const r = cli(['audit', '--db', db, '--details']);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(/\x1b\[/);
    expect(r.stdout).toMatch(/^Audit of 408 events: 16 rules ran, 14 violations/);
    expect(r.stdout).toMatch(/^rule +severity +violations +examples +ms$/m);
    expect(r.stdout).toMatch(/^settlement-mismatch +error +1 +evt-2e11e33a4463 +\d+$/m);
    expect(r.stdout).toContain('  evt-2e11e33a4463  order-ord-00000025  amount 1199.57 but the fills total 1198.83 (2 fills, off by 0.74)');
    expect(r.stdout).toContain("OrderPlaced v2: qty is the string \"1100\", expected integer");
    // A duration in a message is shown as durations are everywhere (formatDuration), not as raw seconds.
    expect(r.stdout).toContain('  evt-484e5ee3c24d  order-ord-00000002  no terminal event; the last is OrderFilled, and the latest time 2025-08-26T09:30:20.300529918Z is 1m 59s before the end of the log');
    // Only the violations of rules at severity error count with --fail-on error.
    const rules = JSON.parse(cli(['audit', '--db', db, '--json']).stdout).rules as { severity: string; violations: number }[];
    const errors = rules.filter((x) => x.severity === 'error').reduce((n, x) => n + x.violations, 0);
    expect(errors).toBeLessThan(14);
    expect(r.stderr).toBe(`evtrail: ${errors} violations at or above error (--fail-on error)\n`);
  });

  it('--only, --fail-on and --param set what runs and what fails', () => {
    const warn = cli(['audit', '--db', db, '--only', 'saga-incomplete', '--json']);
    expect(warn.code).toBe(0);
    expect(JSON.parse(warn.stdout).rules.map((x: { id: string; violations: number }) => [x.id, x.violations])).toEqual([['saga-incomplete', 1]]);
    expect(cli(['audit', '--db', db, '--only', 'saga-incomplete', '--fail-on', 'warning']).code).toBe(1);
    expect(cli(['audit', '--db', db, '--fail-on', 'none']).code).toBe(0);
    // The stuck saga's last event is 119 s before the end of the log.
    const longer = cli(['audit', '--db', db, '--only', 'saga-incomplete,order-overfill', '--param', 'saga-incomplete.timeout=2m', '--json']);
    expect(longer.code).toBe(1);
    expect(JSON.parse(longer.stdout).rules.map((x: { id: string; violations: number; params: object }) => [x.id, x.violations, x.params])).toEqual([
      ['saga-incomplete', 0, { timeout: '2m' }],
      ['order-overfill', 1, {}],
    ]);
  });

  it('runs the rules of a --rules folder next to the built-in ones', () => {
    const r = cli(['audit', '--db', db, '--rules', rulesDir({ 'big-orders.sql': BIG_ORDERS }), '--only', 'big-orders', '--param', 'big-orders.limit=3000', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const qtys = fs.readFileSync(SAMPLE, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.type === 'OrderPlaced' && typeof e.data.qty === 'number' && e.data.qty > 3000);
    expect(qtys.length).toBeGreaterThan(0);
    expect(out.violations.map((v: { eventId: string }) => v.eventId).sort()).toEqual(qtys.map((e) => e.id).sort());
    expect(out.rules[0]).toMatchObject({ id: 'big-orders', severity: 'warning', pack: 'core', status: 'ran' });
  });

  it('--details --limit 1 lists one violation per rule and counts the rest', () => {
    const rules = rulesDir({ 'big-orders.sql': BIG_ORDERS });
    const all = JSON.parse(cli(['audit', '--db', db, '--rules', rules, '--only', 'big-orders', '--param', 'big-orders.limit=1000', '--json']).stdout);
    expect(all.rules[0].violations).toBeGreaterThan(2);
    const r = cli(['audit', '--db', db, '--rules', rules, '--only', 'big-orders', '--param', 'big-orders.limit=1000', '--details', '--limit', '1']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter((l) => / above 1000$/.test(l))).toHaveLength(1);
    expect(r.stdout).toContain(`  … ${all.rules[0].violations - 1} more (--limit 1; --limit 0 lists all)\n`);
  });

  it('refuses an invalid rule file before anything runs: file, line, field, reason, exit 2', () => {
    const bad = rulesDir({ 'big-orders.sql': BIG_ORDERS.replace('-- severity: warning', '-- severity: critical') });
    // The store does not even exist: the rule file is refused first.
    const r = cli(['audit', '--db', path.join(dir, 'missing.duckdb'), '--rules', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^evtrail: .*big-orders\.sql:3: severity: must be one of error, warning, info\nhint: /);
    expect(fs.existsSync(path.join(dir, 'missing.duckdb'))).toBe(false);

    const undeclared = cli(['audit', '--db', db, '--rules', rulesDir({ 'x.sql': BIG_ORDERS.replace('> $limit', '> $limt') })]);
    expect(undeclared.code).toBe(2);
    expect(undeclared.stderr).toMatch(/x\.sql:\d+: sql: \$limt is not a declared parameter/);
  });

  it('refuses a rule whose SQL does not bind, or lacks the required columns, before running anything (exit 2)', () => {
    const broken = cli(['audit', '--db', db, '--rules', rulesDir({ 'x.sql': BIG_ORDERS.replace('FROM audit_events', 'FROM audit_evnts') })]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/^evtrail: .*x\.sql:8: SQL: Catalog Error: Table with name audit_evnts does not exist/);
    expect(broken.stdout).toBe('');
    const columns = cli(['audit', '--db', db, '--rules', rulesDir({ 'x.sql': BIG_ORDERS.replace(' AS message', ' AS msg') })]);
    expect(columns.code).toBe(2);
    expect(columns.stderr).toMatch(/x\.sql: sql: the query must return the columns event_id, stream and message \(missing: message\)/);
  });

  it('explains a rule without a store, with the parameter values that would run', () => {
    const r = cli(['audit', '--explain', 'saga-incomplete', '--param', 'saga-incomplete.timeout=90s', '--db', path.join(dir, 'none.duckdb'), '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ id: 'saga-incomplete', severity: 'warning', pack: 'trading', params: [{ name: 'timeout', type: 'duration', default: '60s', value: '90s' }] });
    expect(doc.sql).toContain('> (90000000000)');
    expect(doc.uses.map((u: { id: string }) => u.id)).toContain('trading_orders');
    const text = cli(['audit', '--explain', 'fill-after-terminal']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^fill-after-terminal: A fill after the order was cancelled, rejected or settled\n/);
    expect(text.stdout).toContain('\nWhy\n');
    expect(text.stdout).toContain('\nSQL\n');
    expect(cli(['audit', '--list', '--json']).stdout).toContain('"settlement-mismatch"');
  });

  it('says what is wrong with the command line (exit 2, one line and a hint)', () => {
    const cases: [string[], RegExp, RegExp][] = [
      [['--only', 'order-overfil'], /--only: no rule order-overfil/, /did you mean order-overfill\?/],
      [['--param', 'saga-incomplete.timout=30s'], /rule saga-incomplete has no parameter timout/, /its parameters: timeout/],
      [['--param', 'saga-incomplete.timeout=soon'], /expected a duration such as 60s/, /saga-incomplete\.timeout is a duration/],
      [['--param', 'timeout=30s'], /expected rule\.key=value/, /e\.g\. --param saga-incomplete\.timeout=30s/],
      [['--since', 'yesterday'], /--since yesterday: not a time/, /e\.g\. 10:00/],
      [['--since', '10:00', '--until', '09:00'], /is not before --until/, /since must come first/],
      [['--pack', 'payments'], /--pack payments: no such pack/, /packs: core, market, trading/],
      // Given empty, --pack was taken as absent (as --only is not).
      [['--pack', ' , '], /^evtrail: --pack needs pack ids$/, /^hint: packs: core, market, trading$/],
      [['--explain', ''], /^evtrail: --explain needs a value$/, /^hint: e\.g\. --explain saga-incomplete/],
      [['--limit', '1e3'], /^evtrail: --limit 1e3: expected a whole number$/, /^hint: e\.g\. --limit 100, or 0 for all$/],
      // Every flag is read before anything runs, --list and --explain too (a bad --limit was ignored there).
      [['--list', '--limit', 'lots'], /^evtrail: --limit lots: expected a whole number$/, /^hint: e\.g\. --limit 100, or 0 for all$/],
      [['--explain', 'saga-incomplete', '--limit', '-1'], /^evtrail: --limit -1: expected a whole number$/, /^hint: /],
    ];
    for (const [args, message, hint] of cases) {
      const r = cli(['audit', '--db', db, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      const [line, hintLine, ...rest] = r.stderr.split('\n');
      expect(line, args.join(' ')).toMatch(message);
      expect(hintLine, args.join(' ')).toMatch(hint);
      expect(rest.join('')).toBe('');
    }
  });
});
