import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../src/store/temp-dir.js';
import { tmpDir } from '../helpers.js';

describe('makeTempDir', () => {
  const saved = process.env.TMPDIR;
  afterEach(() => {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  });

  it('removes the folders of its kind that a killed process left, and only those', () => {
    const root = tmpDir();
    process.env.TMPDIR = root;
    // 999999999 is above any pid Linux hands out: that process is gone.
    const made = ['evtrail-x-999999999-a', `evtrail-x-${process.ppid}-b`, 'evtrail-y-999999999-c', 'evtrail-x-notapid-d'];
    for (const name of made) fs.mkdirSync(path.join(root, name));
    const dir = makeTempDir('evtrail-x-', 'a test');
    expect(path.basename(dir)).toMatch(new RegExp(`^evtrail-x-${process.pid}-`));
    expect(fs.readdirSync(root).sort()).toEqual([`evtrail-x-${process.ppid}-b`, 'evtrail-x-notapid-d', 'evtrail-y-999999999-c', path.basename(dir)].sort());
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('a TMPDIR that does not exist is one line with a hint', () => {
    process.env.TMPDIR = '/no-such-dir-evt';
    expect(() => makeTempDir('evtrail-x-', 'a test')).toThrow(/cannot create a temporary folder in \/no-such-dir-evt for a test: ENOENT/);
  });
});
