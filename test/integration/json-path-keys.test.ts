/**
 * One JSON-path quoter (src/store/sql.ts jsonPath) for ingest's mapping and the audit's schema
 * check, judged by DuckDB itself: a key holding a quote, a backslash or a dot is read as that
 * key, and not as its near twin. Before there was one helper, the mapping's own left
 * backslashes alone: `data["a\\"]` was a DuckDB path error, and `data["a\\\\b"]` (two
 * backslashes) read the key `a\b` (one).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSql, parseEventSchema } from '../../src/audit/json-schema.js';
import { AUDIT_MACROS_SQL } from '../../src/audit/run.js';
import { ingestFiles } from '../../src/ingest/ingest.js';
import { MACROS_SQL } from '../../src/store/macros.js';
import { jsonPath, sqlString } from '../../src/store/sql.js';
import { Store } from '../../src/store/store.js';
import { tmpDir } from '../helpers.js';

/** Each key beside a twin that a wrong quoting would read instead (or fail on). */
const KEYS = [
  'a\\b', // one backslash
  'a\\\\b', // two: a path that unescapes once reads the key above
  'end\\', // a trailing backslash swallows the closing quote unless escaped
  'q"uote',
  'a\\"b', // a backslash, then a quote
  'dot.ted',
  "it's",
  '$[0]',
];
const DATA: Record<string, string> = Object.fromEntries(KEYS.map((k, i) => [k, `value-${i}`]));

let dir: string;
let store: Store;
beforeAll(async () => {
  dir = tmpDir('evtrail-json-path-');
  store = await Store.open(path.join(dir, 'keys.duckdb'), { create: true });
  await store.run(MACROS_SQL);
  await store.run(AUDIT_MACROS_SQL);
});
afterAll(() => {
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('jsonPath', () => {
  it.each(KEYS)('DuckDB reads the key %j, nested and in a list of paths', async (key) => {
    const doc = sqlString(JSON.stringify({ outer: [DATA] }));
    const p = sqlString(jsonPath(['outer', 0, key]));
    const [row] = await store.all(`SELECT json_extract_string(${doc}, ${p}) AS one, json_extract_string(${doc}, [${p}])[1] AS listed`);
    expect(row).toEqual({ one: DATA[key], listed: DATA[key] });
  });
});

describe('ingest --map with such a key', () => {
  it.each(KEYS)('data[%j] maps the stream from that key', async (key) => {
    const file = path.join(dir, 'keys.ndjson');
    fs.writeFileSync(file, JSON.stringify({ id: 'e1', type: 'T', ts: '2025-08-26T09:30:00Z', data: DATA }) + '\n');
    const db = await Store.open(path.join(dir, `map-${Math.random().toString(36).slice(2)}.duckdb`), { create: true });
    try {
      const summary = await ingestFiles(db, { sources: [file], map: { stream: `data[${JSON.stringify(key)}]` } as never });
      expect(summary.rejected).toBe(0);
      expect(await db.all('SELECT stream FROM events')).toEqual([{ stream: DATA[key] }]);
    } finally {
      db.close();
    }
  });
});

describe("the audit's schema check with such a property", () => {
  it.each(KEYS)('reads %j, not its twin', async (key) => {
    const schema = parseEventSchema('keys.json', {
      'x-evtrail-type': 'T', 'x-evtrail-version': 1, type: 'object',
      required: [key], properties: { [key]: { type: 'string', const: DATA[key] } },
    });
    // No problem is '' or NULL (schemaProblemsSql keeps `problems <> ''`).
    const check = async (data: Record<string, string>) =>
      (await store.all(`SELECT coalesce(${checkSql(schema, `${sqlString(JSON.stringify(data))}::JSON`)}, '') AS problems`))[0]!.problems;
    expect(await check(DATA)).toBe('');
    const without = Object.fromEntries(Object.entries(DATA).filter(([k]) => k !== key));
    expect(await check(without)).toBe(`missing required field ${key}`);
  });
});
