// CPU of JetStream's mapping statement alone (evt_store_mapped, the canonical preset), one
// DuckDB thread, builds side by side: the stores bench's messages (10 per order) staged as the
// JetStream reader stages them (nats-range.ts), mapped by each build's own SQL in turn in one
// DuckDB, the build order alternating round after round; min and median CPU of this process.
//
//   node bench/nats-map-cpu.mjs <messages> <rounds> <name>=<dist dir> ...
//
// A build of another commit: `git worktree add DIR <commit>`, `cp -al node_modules` into it
// (same dependencies), `npx tsc -p tsconfig.build.json` there. Builds before issue 17 (no
// natsPreset) use natsCanonicalPreset and the four-column stage line.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { storesBenchEvent } from './lib.mjs';

const [nArg, roundsArg, ...specs] = process.argv.slice(2);
const n = Number(nArg);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nats-map-cpu-'));
const stage = path.join(dir, 'stage.txt');
const lines = [];
const t0 = 1765000000000000000n;
for (let i = 1; i <= n; i++) {
  const e = storesBenchEvent(i, n);
  // seq US kind US headers US subject US time (ns) US problem US payload
  lines.push(`${i}\x1fr\x1f\x1fevt_bench.orders\x1f${t0 + BigInt(i) * 1234567n}\x1f\x1f${JSON.stringify(e)}\n`);
}
fs.writeFileSync(stage, lines.join(''));

const builds = [];
for (const spec of specs) {
  const [name, distArg] = spec.split('=');
  const dist = path.resolve(distArg);
  const nats = await import(`${dist}/ingest/stores/nats.js`);
  const { buildMapSql } = await import(`${dist}/ingest/map-sql.js`);
  const { getPreset } = await import(`${dist}/ingest/presets/index.js`);
  const newer = typeof nats.natsPreset === 'function';
  const preset = newer ? nats.natsPreset(getPreset('canonical')) : nats.natsCanonicalPreset(getPreset('canonical'));
  const view = `stage_${name}`;
  builds.push({
    name, dist, view, stageSql: newer ? nats.natsRecordSql('canonical', 'EVT_BENCH') : nats.natsRecordSql('canonical'),
    sql: `CREATE OR REPLACE TEMP TABLE evt_store_mapped AS SELECT * REPLACE (CASE WHEN reason IS NULL THEN NULL ELSE line END AS line)
      FROM (${buildMapSql(preset, {}, { fileName: 'nats://x' }, view)})`,
  });
}
const { MACROS_SQL } = await import(`${builds[0].dist}/store/macros.js`);
const { Store } = await import(`${builds[0].dist}/store/store.js`);
const store = await Store.open(path.join(dir, 'map.duckdb'), { create: true });
try {
  await store.run(`SET threads=1`);
  await store.run(MACROS_SQL);
  // The reader's raw view (nats.ts: evt_store_nats), materialized: reading the file is not timed.
  await store.run(`CREATE TEMP TABLE evt_store_nats AS SELECT pos, payload, nullif(headers, '') AS headers, subject, time, nullif(problem, '') AS problem
    FROM read_csv('${stage}', columns={'pos': 'BIGINT', 'kind': 'VARCHAR', 'headers': 'VARCHAR', 'subject': 'VARCHAR', 'time': 'BIGINT', 'problem': 'VARCHAR', 'payload': 'VARCHAR'},
      header=false, delim=E'\\x1F', quote='', escape='', new_line='\\n', auto_detect=false, strict_mode=false)`);
  for (const b of builds) await store.run(`CREATE TEMP VIEW ${b.view} AS ${b.stageSql}`);
  const cpu = new Map(builds.map((b) => [b.name, []]));
  for (let round = 0; round < Number(roundsArg); round++) {
    for (const b of round % 2 ? [...builds].reverse() : builds) {
      const t = process.cpuUsage();
      await store.run(b.sql);
      const d = process.cpuUsage(t);
      cpu.get(b.name).push((d.user + d.system) / 1e6);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const [name, xs] of cpu) console.log(`${name}: min ${Math.min(...xs).toFixed(2)}, median ${median(xs).toFixed(2)} CPU-s [${xs.map((x) => x.toFixed(2)).join(' ')}]`);
} finally {
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
