import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cli, ROOT, tmpDir } from '../helpers.js';

// Many CLI runs per test: a shared, loaded machine takes minutes.
vi.setConfig({ testTimeout: 300_000 });

/**
 * The reference's worked examples (docs/reference.md) (Ingest: "Worked examples: exchange feeds"), run as written
 * from the repository root on the committed feeds under examples/, and compared with the
 * output the README shows.
 */
let dir: string;
// The worked examples live in the reference (docs/reference.md, Ingest), which the package ships.
const readme = fs.readFileSync(path.join(ROOT, 'docs', 'reference.md'), 'utf8');
const run = (args: string[]) => {
  const r = cli(args, { cwd: ROOT });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.replaceAll(dir + path.sep, '');
};

/** The output the README shows under the command line starting with `$ <command>`. */
function shown(command: string): string {
  const at = readme.indexOf(`$ ${command}`);
  expect(at, `README shows "$ ${command}"`).toBeGreaterThan(0);
  const rest = readme.slice(readme.indexOf('\n', at) + 1);
  return rest.slice(0, Math.min(...['\n$ ', '\n```'].map((m) => (rest.indexOf(m) < 0 ? Infinity : rest.indexOf(m))))) + '\n';
}

beforeAll(() => {
  dir = tmpDir('evtrail-readme-examples-');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('README worked examples', () => {
  it('(a) L3 array frames: config with index paths and computed fields, replayed to the final book by a custom projection', () => {
    const db = path.join(dir, 'l3.duckdb');
    expect(run(['ingest', 'examples/l3-orders/feed.ndjson', '--config', 'examples/l3-orders/evtrail.config.json', '--db', db]))
      .toBe(shown('evtrail ingest examples/l3-orders/feed.ndjson --config examples/l3-orders/evtrail.config.json --db l3.duckdb'));
    const q = "select seq, id, type, stream, ts, data from events where stream = 'ord-4' order by seq";
    expect(run(['query', q, '--db', db])).toBe(shown(`evtrail query "${q}" --db l3.duckdb`));
    expect(run(['replay', '--projection', './examples/l3-orders/book.mjs', '--db', db]))
      .toBe(shown('evtrail replay --projection ./examples/l3-orders/book.mjs --db l3.duckdb'));
  });

  it('(b) L2 snapshot/delta messages: info frames skipped, levels exploded, best bid and ask after each u in SQL', () => {
    const db = path.join(dir, 'l2.duckdb');
    const args = ['--each', '$.data.b', '--each', '$.data.a', '--map', 'id=none', '--map', 'ts=none', '--map', 'type=sql:$frame.type',
      '--map', 'stream=sql:$each', '--map', 'position=$frame.data.u', '--skip', "$.event = 'info'"];
    expect(run(['ingest', 'examples/l2-levels/feed.ndjson', '--db', db, ...args])).toBe(shown('evtrail ingest examples/l2-levels/feed.ndjson --db l2.duckdb'.concat(
      " --each '$.data.b' --each '$.data.a' --map id=none --map ts=none --map 'type=sql:$frame.type' --map 'stream=sql:$each' --map 'position=$frame.data.u' --skip \"$.event = 'info'\"")));
    const q = 'select seq, id, type, stream AS side, position AS u, data, source_pos AS line from events where position = 3';
    expect(run(['query', q, '--db', db])).toBe(shown(`evtrail query "${q}" --db l2.duckdb`));
    const best = fs.readFileSync(path.join(ROOT, 'examples/l2-levels/best.sql'), 'utf8');
    expect(run(['query', best, '--db', db])).toBe(shown('evtrail query "$(cat examples/l2-levels/best.sql)" --db l2.duckdb'));
  });

  it('the committed feeds are what the generator writes', () => {
    const copy = path.join(dir, 'gen');
    fs.mkdirSync(path.join(copy, 'l3-orders'), { recursive: true });
    fs.mkdirSync(path.join(copy, 'l2-levels'), { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'examples/generate.mjs'), path.join(copy, 'generate.mjs'));
    const r = spawnSync(process.execPath, [path.join(copy, 'generate.mjs')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    for (const f of ['l3-orders/feed.ndjson', 'l2-levels/feed.ndjson']) {
      expect(fs.readFileSync(path.join(copy, f), 'utf8')).toBe(fs.readFileSync(path.join(ROOT, 'examples', f), 'utf8'));
    }
  });
});
