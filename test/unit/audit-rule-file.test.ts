import { describe, expect, it } from 'vitest';
import { findParamRefs, parseParamValue, substituteParams } from '../../src/audit/params.js';
import { RuleFileError, parseRule, parseSqlFile, parseView } from '../../src/audit/rule-file.js';

const GOOD = `-- id: saga-too-slow
-- title: A saga took too long
-- severity: warning
-- pack: trading
-- description: The first and the last event of a stream are more than
--   $timeout apart.
--
--   A second paragraph.
-- rationale: Service level.
-- uses: audit_stream
-- requires: ts, rev
-- param timeout: duration = 1.5s | how long a saga may take
-- param label: string = it's slow | the message

SELECT id AS event_id, stream, $label AS message  -- $label in a comment is not a reference
FROM audit_stream WHERE epoch_ns(ts) - epoch_ns(first_ts) > $timeout AND type <> '$timeout';
`;

function fails(text: string): RuleFileError {
  try {
    parseRule('rules/x.sql', text);
  } catch (error) {
    if (error instanceof RuleFileError) return error;
    throw error;
  }
  throw new Error('expected a RuleFileError');
}

describe('rule files', () => {
  it('reads the header, the params and the SQL', () => {
    const rule = parseRule('rules/saga-too-slow.sql', GOOD);
    expect(rule.id).toBe('saga-too-slow');
    expect(rule.severity).toBe('warning');
    expect(rule.pack).toBe('trading');
    expect(rule.description).toBe('The first and the last event of a stream are more than $timeout apart.\nA second paragraph.');
    expect(rule.uses).toEqual(['audit_stream']);
    expect(rule.requires).toEqual(['ts', 'rev']);
    expect(rule.params.map((p) => [p.name, p.type, p.default.sql, p.description])).toEqual([
      ['timeout', 'duration', '1500000000', 'how long a saga may take'],
      ['label', 'string', "'it''s slow'", 'the message'],
    ]);
    expect(rule.sql.startsWith('SELECT id AS event_id')).toBe(true);
    expect(rule.sql.endsWith("'$timeout'")).toBe(true); // the trailing ; is dropped
    expect(rule.sqlLine).toBe(15);
  });

  it('names file, field, line and reason for each kind of mistake', () => {
    const cases: [string, string, RegExp, number?][] = [
      [GOOD.replace('-- severity: warning', '-- severity: fatal'), 'severity', /one of error, warning, info/, 3],
      [GOOD.replace('-- id: saga-too-slow\n', ''), 'id', /missing/],
      [GOOD.replace('-- id: saga-too-slow', '-- id: Saga_Too_Slow'), 'id', /kebab-case/, 1],
      [GOOD.replace('-- rationale: Service level.\n', ''), 'rationale', /missing/],
      [GOOD.replace('-- title: A saga took too long', '-- titel: A saga took too long'), 'titel', /unknown field/, 2],
      [GOOD.replace('duration = 1.5s', 'duration = soon'), 'param timeout', /default: expected a duration/, 12],
      [GOOD.replace('duration = 1.5s', 'interval = 1s'), 'param timeout type', /type must be one of/, 12],
      [GOOD.replace('= 1.5s | how long a saga may take', '= 1.5s'), 'param timeout description', /description/, 12],
      [GOOD.replace('-- requires: ts, rev', '-- requires: ts, coffee'), 'requires', /one of rev, ts/],
      [GOOD.replace('> $timeout', '> $timout'), 'sql', /\$timout is not a declared parameter/, 16],
      [GOOD.replace(' AND type <> \'$timeout\'', '').replace('> $timeout', '> 1'), 'param timeout', /never uses \$timeout/, 12],
      [GOOD.replace('-- uses: audit_stream', '-- uses: audit_stream\n-- uses: other'), 'uses', /given twice/, 11],
      [GOOD.replace('-- pack: trading', '-- pack trading'), 'header', /expected "-- key: value"/, 4],
      [GOOD.slice(0, GOOD.indexOf('\n\nSELECT')), 'sql', /no SQL/],
    ];
    for (const [text, field, reason, line] of cases) {
      const error = fails(text);
      expect(error.file, field).toBe('rules/x.sql');
      expect(error.field, String(reason)).toBe(field);
      expect(error.reason).toMatch(reason);
      if (line !== undefined) expect(error.line, field).toBe(line);
      expect(error.message.startsWith('rules/x.sql')).toBe(true);
    }
  });

  it('reads settle (how long watch waits before raising a finding that a later event can withdraw), and refuses a bad one', () => {
    expect(parseRule('rules/x.sql', GOOD).settle).toBeUndefined();
    const settled = parseRule('rules/x.sql', GOOD.replace('-- requires: ts, rev', '-- requires: ts, rev\n-- settle: 1.5s | a later\n--   release withdraws it'));
    expect(settled.settle).toEqual({ ns: 1_500_000_000n, text: '1.5s', why: 'a later release withdraws it' });
    const noWhy = fails(GOOD.replace('-- requires: ts, rev', '-- requires: ts, rev\n-- settle: 2s'));
    expect([noWhy.field, noWhy.line]).toEqual(['settle', 12]);
    expect(noWhy.reason).toMatch(/which later event withdraws the finding/);
    expect(fails(GOOD.replace('-- requires: ts, rev', '-- requires: ts, rev\n-- settle: soon | x')).reason).toMatch(/expected a duration/);
  });

  it('reads view files', () => {
    const view = parseView('views/v.sql', '-- view: audit_thing\n-- description: things\n-- materialize: false\nSELECT 1 AS x');
    expect(view).toMatchObject({ id: 'audit_thing', materialize: false, uses: [], sql: 'SELECT 1 AS x' });
    expect(parseView('views/v.sql', '-- view: a\n-- description: d\nSELECT 1').materialize).toBe(true);
    expect(() => parseView('views/v.sql', '-- view: a-b\n-- description: d\nSELECT 1')).toThrow(/view: must be snake_case/);
    expect(() => parseView('views/v.sql', '-- view: a\n-- description: d\n-- severity: error\nSELECT 1')).toThrow(/severity: unknown field/);
  });

  it('ends the header at the first line that is not a comment', () => {
    const parsed = parseSqlFile('f.sql', '\n-- id: a\n\n-- a comment in the SQL: kept\nSELECT 1');
    expect(parsed.entries).toEqual([{ key: 'id', value: 'a', line: 2 }]);
    expect(parsed.sql).toBe('-- a comment in the SQL: kept\nSELECT 1');
    expect(parsed.sqlLine).toBe(4);
  });
});

describe('parameters', () => {
  it('reads durations exactly, in nanoseconds', () => {
    const ns = (t: string) => {
      const v = parseParamValue('duration', t);
      return 'error' in v ? v.error : v.sql;
    };
    expect(ns('60s')).toBe('60000000000');
    expect(ns('1.5s')).toBe('1500000000');
    expect(ns('2m')).toBe('120000000000');
    expect(ns('2min')).toBe('120000000000');
    expect(ns('1h')).toBe('3600000000000');
    expect(ns('250ms')).toBe('250000000');
    expect(ns('0.000000001s')).toBe('1');
    expect(ns('7ns')).toBe('7');
    expect(ns('0.5ns')).toMatch(/finer than a nanosecond/);
    expect(ns('60')).toMatch(/expected a duration/);
    expect(ns('-1s')).toMatch(/expected a duration/);
  });

  it('checks and quotes the other types', () => {
    expect(parseParamValue('number', '0.01')).toEqual({ text: '0.01', sql: '0.01' });
    expect(parseParamValue('number', '1e3')).toEqual({ text: '1e3', sql: '1e3::DOUBLE' });
    expect(parseParamValue('number', '1; DROP TABLE events')).toHaveProperty('error');
    expect(parseParamValue('integer', '1.5')).toHaveProperty('error');
    expect(parseParamValue('boolean', 'yes')).toHaveProperty('error');
    expect(parseParamValue('string', "o'clock")).toEqual({ text: "o'clock", sql: "'o''clock'" });
  });

  it('finds references outside strings and comments, and substitutes them', () => {
    const sql = "SELECT $a, '$b', \"$c\", $1 -- $d\n/* $e */ FROM t WHERE x = $a_b AND y = 'it''s $f'";
    expect(findParamRefs(sql).map((r) => r.name)).toEqual(['a', 'a_b']);
    expect(substituteParams(sql, { a: { text: '1', sql: '1' }, a_b: { text: 'x', sql: "'x'" } })).toBe(
      "SELECT (1), '$b', \"$c\", $1 -- $d\n/* $e */ FROM t WHERE x = ('x') AND y = 'it''s $f'",
    );
    expect(() => substituteParams('SELECT $z', {})).toThrow(/\$z/);
  });
});
