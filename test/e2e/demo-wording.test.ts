import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cli, ROOT, tmpDir } from '../helpers.js';

vi.setConfig({ testTimeout: 120_000 });

let dir = '';
beforeAll(() => {
  dir = tmpDir('evtrail-demo-wording-');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('evtrail demo, run outside the repository (as a new user in a fresh folder)', () => {
  it('names the sample by its absolute path, not ../../…, and says there are no rejects', () => {
    const r = cli(['demo'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(`evtrail demo: ${path.join(ROOT, 'fixtures', 'trading-sample.ndjson')} → evtrail-demo.duckdb`);
    expect(r.stdout).toMatch(/rejected records \(evtrail rejects\)\n.*\n.*\nnone: every record was read\n/);
  });
});
