// The schema budgets (issue 7): `evtrail schema check` ≤ 30 s and `evtrail schema infer` ≤ 10 s
// on 10M events. Measured as a user runs them (the CLI, a child process, --json), against a
// baseline in the same run on the same store: one bare DuckDB pass that extracts a field from
// every event's data (json_extract, the least any data check costs). The check's findings are
// compared with the generator's ground truth.
//
// Default: the --orders store (100,000 orders ≈ 1M events, ingested once into bench/out);
// --large: the cached 10M-event store the other budgets use (do not run it while others work).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { BIN, HAS_TIME, OUT, ROOT, bareQuery, best, cachedStore, evtrail, fmt, largeStore } from './lib.mjs';

/** Like measure, but exit 1 (a check that found problems) is a result, not a failure. */
function measureCheck(cmdArgs) {
  const full = HAS_TIME ? ['/usr/bin/time', ['-f', '__RSS_KB=%M', process.execPath, BIN, ...cmdArgs]] : [process.execPath, [BIN, ...cmdArgs]];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(full[0], full[1], { encoding: 'utf8', maxBuffer: 256 << 20 });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0 && r.status !== 1) throw new Error(`evtrail ${cmdArgs.join(' ')} failed (${r.status}): ${r.stderr}`);
  const rss = /__RSS_KB=(\d+)/.exec(r.stderr ?? '');
  return { secs, rssMb: rss ? Number(rss[1]) / 1024 : null, stdout: r.stdout };
}

function bareScan(db) {
  return bareQuery(db, "SELECT count(*) FROM events WHERE json_extract(data, '$.orderId') IS NOT NULL");
}

export async function run({ args }) {
  const { file, db } = args.large ? largeStore() : cachedStore(Number(args.orders), `schema-${args.orders}`);
  const runs = Math.max(1, Number(args.runs ?? 1));
  const load = os.loadavg()[0];
  const registry = path.join(OUT, 'schema-bench-registry');
  fs.rmSync(registry, { recursive: true, force: true });
  const scans = [];
  const checks = [];
  const infers = [];
  const checkInferred = [];
  const starts = [];
  for (let i = 0; i < runs; i++) {
    starts.push(evtrail(['info', '--json', '--db', db]));
    scans.push(bareScan(db));
    checks.push(measureCheck(['schema', 'check', '--db', db, '--json', '--limit', '100']));
    infers.push(evtrail(['schema', 'infer', '--db', db, '--json', '--out', registry, '--force']));
    checkInferred.push(measureCheck(['schema', 'check', '--db', db, '--json', '--registry', registry]));
  }
  const scan = best(scans);
  const check = best(checks);
  const infer = best(infers);
  const checkInf = best(checkInferred);
  // What does not grow with the log: process start-up and opening the store (evtrail info).
  const fixed = best(starts).secs;
  const at10m = (secs) => fixed + (secs - fixed) * scale;
  const out = JSON.parse(check.stdout);
  const scale = 10_000_000 / out.events;
  const outInf = JSON.parse(checkInf.stdout);
  const truthFile = file.replace(/\.ndjson$/, '.truth.ndjson');
  const injected = fs.existsSync(truthFile)
    ? fs.readFileSync(truthFile, 'utf8').split('\n').filter((l) => l && JSON.parse(l).kind === 'schema-violation').length
    : null;
  const prefilters = out.types.reduce((m, t) => ({ ...m, [t.prefilter]: (m[t.prefilter] ?? 0) + 1 }), {});
  return `## Schema: check and infer on ${out.events.toLocaleString('en-US')} events (best of ${runs} run(s))

Store \`${path.relative(ROOT, db)}\` (generated with seed 7 and 1% anomalies). Every command is the CLI as a user runs it (start-up, open, run, JSON out).

| what | seconds | ratio to baseline | peak RSS MB |
|---|---|---|---|
| baseline: one bare DuckDB pass, \`json_extract\` of a field of every event's data | ${fmt(scan.secs)} | 1.00 × | ${fmt(scan.rssMb, 0)} |
| \`evtrail schema check --json\` (the trading pack's schemas) | ${fmt(check.secs)} | ${fmt(check.secs / scan.secs)} × | ${fmt(check.rssMb, 0)} |
| \`evtrail schema infer --json --out DIR\` | ${fmt(infer.secs)} | ${fmt(infer.secs / scan.secs)} × | ${fmt(infer.rssMb, 0)} |
| \`evtrail schema check --registry DIR\` (the inferred schemas) | ${fmt(checkInf.secs)} | ${fmt(checkInf.secs / scan.secs)} × | ${fmt(checkInf.rssMb, 0)} |

Budgets (issue 7, on 10M events): check ≤ 30 s, infer ≤ 10 s.${scale > 1.5 ? ` Here ${out.events.toLocaleString('en-US')} events: scaled to 10M (start-up and store opening, ${fmt(fixed)} s as \`evtrail info --json\` takes, kept fixed; the rest linear), check ≈ ${fmt(at10m(check.secs), 1)} s, infer ≈ ${fmt(at10m(infer.secs), 1)} s: an estimate, \`--large\` measures the 10M store.` : ` check **${fmt(check.secs)} s, ${check.secs <= 30 ? 'met' : 'MISSED'}**; infer **${fmt(infer.secs)} s, ${infer.secs <= 10 ? 'met' : 'MISSED'}**.`}
The load average was ${load.toFixed(1)} when this bench started (a shared two-core machine).

Check against the pack: ${out.violatingEvents} event(s) with violations, ${injected === null ? 'no truth file' : `${injected} schema-violation anomalies injected (${out.violatingEvents === injected ? 'equal' : '**differ**'})`};
${out.suspects} suspect(s) went to Ajv, the rest passed DuckDB's prefilter (schemas by prefilter: ${Object.entries(prefilters).map(([k, v]) => `${k} ${v}`).join(', ')}).
Check against the inferred registry: ${outInf.violatingEvents} violation(s) (a log passes the schemas inferred from it), ${outInf.suspects} suspect(s).
`;
}
