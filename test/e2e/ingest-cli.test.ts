import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { cli, cliJson, event, ndjson, tmpDir } from '../helpers.js';

let dir: string;
let db: string;
beforeEach(() => {
  dir = tmpDir();
  db = path.join(dir, 'store.duckdb');
});

function write(name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

describe('evtrail ingest (built CLI)', () => {
  it('ingests NDJSON, keeps nanoseconds, and reports the contract shape', () => {
    const file = write('a.ndjson', ndjson([
      event({ id: 'e1', ts: '2025-08-26T10:31:05.123456789Z' }),
      event({ id: 'e2', rev: 2, type: 'RiskCheckPassed', ts: '2025-08-26T12:31:05.223456789+02:00', causation_id: 'e1' }),
    ]));
    const summary = cliJson(['ingest', file, '--db', db]);
    expect(summary).toMatchObject({ ingested: 2, rejected: 0, redelivered: 0, conflicts: 0 });
    expect(summary.sources).toHaveLength(1);
    const rows = cliJson(['query', 'select seq, id, evt_iso(ts) as ts, causation_id from events order by seq', '--db', db]);
    expect(rows).toEqual([
      { seq: 1, id: 'e1', ts: '2025-08-26T10:31:05.123456789Z', causation_id: null },
      { seq: 2, id: 'e2', ts: '2025-08-26T10:31:05.223456789Z', causation_id: 'e1' },
    ]);
  });

  it('re-ingesting adds nothing; an appended file adds only its new part', () => {
    const file = write('log.ndjson', ndjson([event({ id: 'e1' }), event({ id: 'e2', rev: 2 })]));
    expect(cliJson(['ingest', file, '--db', db]).ingested).toBe(2);
    const again = cliJson(['ingest', file, '--db', db]);
    expect(again.ingested).toBe(0);
    expect(again.sources[0].status).toBe('unchanged');
    fs.appendFileSync(file, ndjson([event({ id: 'e3', rev: 3 })]));
    const appended = cliJson(['ingest', file, '--db', db]);
    expect(appended).toMatchObject({ ingested: 1 });
    expect(appended.sources[0]).toMatchObject({ status: 'appended', firstSeq: 3, lastSeq: 3 });
    const rows = cliJson(['query', 'select id, source_pos from events order by seq', '--db', db]);
    expect(rows.map((r: any) => [r.id, r.source_pos])).toEqual([['e1', 1], ['e2', 2], ['e3', 3]]);
  });

  it('refuses a source whose ingested part changed, and leaves the store as it was', () => {
    const file = write('log.ndjson', ndjson([event({ id: 'e1' }), event({ id: 'e2', rev: 2 })]));
    cliJson(['ingest', file, '--db', db]);
    fs.writeFileSync(file, ndjson([event({ id: 'eX' }), event({ id: 'e2', rev: 2 }), event({ id: 'e3', rev: 3 })]));
    const result = cli(['ingest', file, '--db', db]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/has changed since it was ingested/);
    expect(result.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
    expect(cliJson(['query', 'select count(*)::INTEGER n from events', '--db', db])).toEqual([{ n: 2 }]);
  });

  it('keeps redeliveries and conflicts, and counts them', () => {
    const file = write('dups.ndjson', ndjson([
      event({ id: 'e1' }),
      event({ id: 'e2', rev: 2 }),
      event({ id: 'e1' }), // redelivery
      event({ id: 'e2', rev: 2, data: { orderId: 'ord-1', qty: 999 } }), // conflict
    ]));
    const summary = cliJson(['ingest', file, '--db', db]);
    expect(summary).toMatchObject({ ingested: 4, redelivered: 1, conflicts: 1 });
    const rows = cliJson(['query', 'select seq, dup_kind, dup_of from events order by seq', '--db', db]);
    expect(rows).toEqual([
      { seq: 1, dup_kind: null, dup_of: null },
      { seq: 2, dup_kind: null, dup_of: null },
      { seq: 3, dup_kind: 'redelivery', dup_of: 1 },
      { seq: 4, dup_kind: 'conflict', dup_of: 2 },
    ]);
  });

  it('rejects bad lines with line numbers and reasons, and --strict leaves the store unchanged', () => {
    const lines = [
      JSON.stringify(event({ id: 'e1' })),
      '{"id": "e2", "type": "X"}',
      'not json at all',
      JSON.stringify(event({ id: 'e4', ts: 'lunchtime' })),
      JSON.stringify(event({ id: 'e5', rev: 'five' })),
      '',
      JSON.stringify(event({ id: 'e7', rev: 2 })),
      '{"id": "e8", "type": "Y", "ts": "2025-08-26T10:00:00Z"',
    ];
    const file = write('bad.ndjson', lines.join('\n'));
    const strict = cli(['ingest', file, '--db', db, '--strict']);
    expect(strict.code).toBe(2);
    expect(strict.stderr).toMatch(/--strict: 5 record\(s\) rejected/);
    expect(fs.existsSync(db) ? cliJson(['query', 'select count(*)::INTEGER n from events', '--db', db]) : [{ n: 0 }]).toEqual([{ n: 0 }]);

    const summary = cliJson(['ingest', file, '--db', db]);
    expect(summary).toMatchObject({ ingested: 2, rejected: 5 });
    const rejects = cliJson(['rejects', '--db', db]);
    expect(rejects.map((r: any) => [r.line, r.reason])).toEqual([
      [2, 'missing ts'],
      [3, 'not valid JSON'],
      [4, 'ts: cannot read lunchtime as a time'],
      [5, 'rev: expected an integer, got five'],
      [8, expect.stringMatching(/^incomplete last line/)],
    ]);
    expect(rejects[1].raw).toBe('not json at all');
    // Events keep their source line and get gap-free seqs.
    const rows = cliJson(['query', 'select seq, id, source_pos from events order by seq', '--db', db]);
    expect(rows).toEqual([
      { seq: 1, id: 'e1', source_pos: 1 },
      { seq: 2, id: 'e7', source_pos: 7 },
    ]);
    // The unfinished last line is read once the writer completes it.
    fs.appendFileSync(file, '}\n');
    const more = cliJson(['ingest', file, '--db', db]);
    expect(more).toMatchObject({ ingested: 1, rejected: 0 });
    expect(cliJson(['rejects', '--db', db])).toHaveLength(4);
  });

  it('maps fields by hand with --map, and explains a bad mapping', () => {
    const file = write('custom.ndjson', ndjson([{ evt: { uuid: 'u1', kind: 'Thing', at: 1756204265123 }, body: { a: 1 } }]));
    const summary = cliJson(['ingest', file, '--db', db, '--map', 'id=evt.uuid', '--map', 'type=evt.kind', '--map', 'ts=evt.at', '--map', 'data=body']);
    expect(summary.ingested).toBe(1);
    expect(cliJson(['query', 'select id, type, evt_iso(ts) ts, data from events', '--db', db])).toEqual([
      { id: 'u1', type: 'Thing', ts: '2025-08-26T10:31:05.123000000Z', data: { a: 1 } },
    ]);
    const bad = cli(['ingest', file, '--db', db, '--map', 'colour=evt.uuid']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown field "colour"/);
    expect(bad.stderr).toMatch(/hint: fields: id, stream/);
  });
});
