import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, tmpDir } from '../helpers.js';

let dir = '';
beforeAll(() => {
  dir = tmpDir('evtrail-ingest-wording-');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('ingest summary wording', () => {
  it('one event is "1 event", not "1 events"', () => {
    const db = path.join(dir, 'one.duckdb');
    const event = JSON.stringify({ id: 'e1', stream: 's', type: 'T', ts: '2025-08-26T09:30:00Z', data: {} });
    const r = cli(['ingest', '-', '--db', db], { input: event + '\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ingested 1 event into /);
  });
});
