// The export budget: `evtrail export --format parquet --partition-by date,type` on a 1M-event
// store (the CLI as a user runs it: start-up, open, COPY, hashing every file, manifest, rename)
// against a bare DuckDB `COPY … TO … (FORMAT parquet, PARTITION_BY (date, type))` of the same
// store in the same run. Then the export is ingested back into a fresh store and compared.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OUT, ROOT, bareQuery, best, cachedStore, evtrail, fmt, measure, rmStore } from './lib.mjs';

function bareCopy(db, out) {
  fs.rmSync(out, { recursive: true, force: true });
  return bareQuery(db, `COPY (SELECT *, ts::DATE AS date FROM events) TO '${out}' (FORMAT parquet, PARTITION_BY (date, type))`);
}

/** Events of store a not in store b, by every envelope field, seq and the duplicate marks. */
function differences(a, b) {
  const cols = 'seq, id, stream, rev, type, schema_version, ts, recorded_ts, correlation_id, causation_id, source, data::VARCHAR, meta::VARCHAR, position, dup_of, dup_kind';
  const script = `
    import { DuckDBInstance } from '${path.join(ROOT, 'node_modules/@duckdb/node-api/lib/index.js')}';
    const inst = await DuckDBInstance.create(':memory:');
    const c = await inst.connect();
    await c.run(\`ATTACH '${a}' AS a (READ_ONLY); ATTACH '${b}' AS b (READ_ONLY)\`);
    const r = await c.runAndReadAll(\`SELECT (SELECT count(*) FROM (SELECT ${cols} FROM a.events EXCEPT ALL SELECT ${cols} FROM b.events))
      + (SELECT count(*) FROM (SELECT ${cols} FROM b.events EXCEPT ALL SELECT ${cols} FROM a.events)) AS n\`);
    console.log(String(r.getRowObjectsJson()[0].n));
    c.closeSync(); inst.closeSync();`;
  return measure(process.execPath, ['--input-type=module', '-e', script]).stdout.trim();
}

function folderBytes(dir) {
  return fs.readdirSync(dir, { recursive: true }).reduce((n, f) => {
    const s = fs.statSync(path.join(dir, f));
    return n + (s.isFile() ? s.size : 0);
  }, 0);
}

export async function run({ args }) {
  // The 1M-event store (100k orders, seed 7): ingested once, then kept in bench/out.
  const { db } = cachedStore(100_000, 'export-1m');
  const runs = Math.max(3, Number(args.runs));
  const load = os.loadavg()[0];
  const bareOut = path.join(OUT, 'export-bare');
  const out = path.join(OUT, 'export-evtrail');
  const bare = [];
  const ours = [];
  const quick = [];
  const cmd = ['export', '--format', 'parquet', '--partition-by', 'date,type', '--out', out, '--force', '--json', '--db', db];
  // Every run's files, by path and SHA-256: the same bytes each time (deterministic export).
  const fileSets = new Set();
  const files = () => JSON.stringify(JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')).files);
  for (let i = 0; i < runs; i++) {
    bare.push(bareCopy(db, bareOut));
    ours.push(evtrail(cmd));
    fileSets.add(files());
    quick.push(evtrail([...cmd, '--verify']));
    fileSets.add(files());
  }
  const b = best(bare);
  const e = best(ours);
  const q = best(quick);
  const result = JSON.parse(e.stdout);
  const ratio = e.secs / b.secs;
  const quickRatio = q.secs / b.secs;
  const bareBytes = folderBytes(bareOut);

  // Read back: the export as one source into a fresh store, the same events.
  const back = path.join(OUT, 'export-back.duckdb');
  rmStore(back);
  const ingest = evtrail(['ingest', out, '--db', back, '--json', '--quiet']);
  const ingested = JSON.parse(ingest.stdout).ingested;
  const differing = differences(db, back);
  rmStore(back);
  fs.rmSync(bareOut, { recursive: true, force: true });
  fs.rmSync(out, { recursive: true, force: true });

  return `## Export: ${result.events.toLocaleString('en-US')} events to hive-partitioned Parquet (best of ${runs} runs)

\`evtrail export --format parquet --partition-by date,type --out DIR --force --json\` on a store of 100,000
generated orders (seed 7), against a bare DuckDB \`COPY (SELECT *, ts::DATE AS date FROM events) TO DIR
(FORMAT parquet, PARTITION_BY (date, type))\` on the same store in the same run.

| what | seconds | peak RSS MB | files | MB written |
|---|---|---|---|---|
| evtrail export (CLI: start-up, COPY in seq order on one thread, SHA-256 of every file, the stored chain head, manifest, rename) | ${fmt(e.secs)} | ${fmt(e.rssMb, 0)} | ${result.files} | ${fmt(result.bytes / 1e6, 1)} |
| evtrail export --verify (the chain recomputed first, as evtrail verify does) | ${fmt(q.secs)} | ${fmt(q.rssMb, 0)} | | |
| baseline: bare DuckDB COPY … PARTITION_BY (date, type) | ${fmt(b.secs)} | ${fmt(b.rssMb, 0)} | | ${fmt(bareBytes / 1e6, 1)} |
| ratio export / bare COPY | ${fmt(ratio)} × | | | |
| ratio export --verify / bare COPY | ${fmt(quickRatio)} × | | | |

Aim (issue 6 has no budget for export): ≤ 1.5× the bare COPY: **${fmt(ratio)} ×, ${ratio <= 1.5 ? 'met' : 'MISSED'}**; without recomputing
with --verify ${fmt(quickRatio)} × (it hashes every event first: the cost of \`evtrail verify\`);
the partitioned COPY runs on one thread because DuckDB's partitioned writer flushes its per-thread
buffers in no fixed order (rows out of seq order, bytes differing between runs), while the bare
COPY uses every core and keeps no order.
The load average was ${load.toFixed(1)} when this bench started (two shared cores).
The ${2 * runs} exports wrote ${fileSets.size === 1 ? 'the same bytes every time (every file\'s SHA-256 equal)' : `**${fileSets.size} different sets of files**`}.

Read back: \`evtrail ingest DIR\` into a fresh store took ${fmt(ingest.secs)} s (peak RSS ${fmt(ingest.rssMb, 0)} MB) for
${Number(ingested).toLocaleString('en-US')} events; events differing from the original store (every envelope field, seq, position, duplicate marks; both ways): ${differing}.
`;
}
