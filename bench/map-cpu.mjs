// CPU of the mapping statement alone (the canonical preset over NDJSON lines), one DuckDB
// thread, best of 3: what issue 15's "ingest ≤ 10 % slower" turns on, measured without the
// hashing, storing and the machine's other load that an end-to-end ingest carries.
//
//   node bench/map-cpu.mjs <dist dir of a build> <file.ndjson>
//
// Compare two builds (this one and one from `git archive <commit> | tar -x`, built with
// `npx tsc -p tsconfig.build.json`) on the same file, alternating runs.
import fs from 'node:fs';
import path from 'node:path';

const [dist, file] = process.argv.slice(2).map((p) => path.resolve(p));
const { buildMapSql } = await import(`${dist}/ingest/map-sql.js`);
const { getPreset } = await import(`${dist}/ingest/presets/index.js`);
const { MACROS_SQL } = await import(`${dist}/store/macros.js`);
const { Store } = await import(`${dist}/store/store.js`);
const db = path.join(path.dirname(file), `map-cpu-${process.pid}.duckdb`);
const store = await Store.open(db, { create: true });
try {
  await store.run(`SET threads=1`);
  await store.run(MACROS_SQL);
  await store.run(`CREATE TEMP TABLE raw AS SELECT line FROM read_csv('${file.replaceAll("'", "''")}', columns={'line': 'VARCHAR'},
    header=false, delim=E'\\x1F', quote='', escape='', auto_detect=false)`);
  const sql = buildMapSql(getPreset('canonical'), {}, { fileName: 'x' }, '(SELECT NULL::BIGINT AS pos, line FROM raw)');
  const runs = [];
  for (let i = 0; i < 3; i++) {
    const t = process.cpuUsage();
    await store.run(`CREATE OR REPLACE TEMP TABLE m AS ${sql}`);
    const d = process.cpuUsage(t);
    runs.push((d.user + d.system) / 1e6);
  }
  console.log(`${dist}: ${runs.map((x) => x.toFixed(2)).join(' ')} CPU-s, best ${Math.min(...runs).toFixed(2)}`);
} finally {
  store.close();
  for (const f of [db, `${db}.wal`]) fs.rmSync(f, { force: true });
}
