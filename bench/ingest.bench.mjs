// The foundation's budgets: evtrail's ingest against bare DuckDB read_json with explicit
// columns into a file-backed table (the floor of this stack), a naive Node loop (readline +
// JSON.parse + a Map fold, persisting nothing) and jq when installed, on the same file in the
// same run; the CLI's start-up; with --large the 10M-event peak RSS.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, OUT, bareDuckdb, evtrail, fmt, generate, hasJq, largeStore, measure, naiveLoop, rmStore, startup } from './lib.mjs';

export async function run({ args }) {
  const orders = Number(args.orders);
  const file = path.join(OUT, `trading-${orders}.ndjson`);
  generate(orders, file);
  const bytes = fs.statSync(file).size;
  const events = Number(execFileSync('wc', ['-l', file], { encoding: 'utf8' }).trim().split(/\s+/)[0]);
  const db = path.join(OUT, 'bench.duckdb');
  const bareDb = path.join(OUT, 'bare.duckdb');

  const runs = Number(args.runs);
  const results = { evtrail: [], bare: [], naive: [], jq: [], asof: [] };
  for (let i = 0; i < runs; i++) {
    results.bare.push(bareDuckdb(file, bareDb));
    rmStore(db);
    results.evtrail.push(evtrail(['ingest', file, '--db', db, '--json']));
    const mid = JSON.parse(evtrail(['query', 'select evt_iso(min(ts) + (max(ts) - min(ts)) / 2) AS t from events', '--db', db, '--json']).stdout)[0].t;
    // One as-of question answered from the store: every order's last event type as of mid-log.
    results.asof.push(evtrail(['query', `select count(*) as orders, count(*) filter (where last_type = 'SettlementCompleted') as settled from (select stream, arg_max(type, seq) as last_type from events where ts <= '${mid}'::TIMESTAMP_NS group by stream)`, '--db', db, '--json']));
    results.naive.push(naiveLoop(file));
    if (hasJq()) results.jq.push(measure('bash', ['-c', `jq -c '{id, type}' ${JSON.stringify(file)} > /dev/null`]));
  }
  const pick = (k) => results[k].length ? results[k].reduce((a, b) => (a.secs <= b.secs ? a : b)) : null;
  const ev = pick('evtrail'), bare = pick('bare'), naive = pick('naive'), jq = pick('jq'), asof = pick('asof');
  const st = startup(db);

  const large = args.large ? largeStore().ingest : null;

  const rows = [
    ['evtrail ingest (CLI, file-backed store)', ev],
    ['bare DuckDB read_json, explicit columns, file-backed', bare],
    ['naive Node loop (readline + JSON.parse + Map fold)', naive],
    ...(jq ? [["jq -c '{id, type}' (one pass, no storage)", jq]] : []),
  ];
  const table = rows.map(([name, r]) => `| ${name} | ${fmt(r.secs)} | ${Math.round(events / r.secs).toLocaleString('en-US')} | ${fmt(r.secs / bare.secs)} | ${fmt(r.rssMb, 0)} |`).join('\n');
  const budgetIngest = ev.secs / bare.secs;
  const asofTotal = ev.secs + asof.secs;
  const md = `## Ingest: ${events.toLocaleString('en-US')} events, ${(bytes / 1e6).toFixed(0)} MB of NDJSON (generated trading log, seed 7, best of ${runs} run(s))

| what | seconds | events/s | × bare DuckDB | peak RSS MB |
|---|---|---|---|---|
${table}

Budgets (issue: foundation):

| budget | measured | verdict |
|---|---|---|
| ingest ≤ 1.5 × bare DuckDB read_json on the same file | ${fmt(budgetIngest)} × | ${budgetIngest <= 1.5 ? 'met' : 'MISSED'} |
| ingest + one as-of question from the store beats the naive loop's single fold | ${fmt(ev.secs)} + ${fmt(asof.secs)} = ${fmt(asofTotal)} s vs ${fmt(naive.secs)} s | ${asofTotal < naive.secs ? 'met' : 'MISSED'} |
| 10M events (~3 GB) ingest with peak RSS ≤ 2 GB | ${large ? `${large.events.toLocaleString('en-US')} events, ${(large.bytes / 1e9).toFixed(1)} GB, ${fmt(large.secs, 1)} s, ${fmt(large.rssMb, 0)} MB` : 'not run (npm run bench -- --large)'} | ${large ? (large.rssMb <= 2048 ? 'met' : 'MISSED') : '—'} |

evtrail's ingest does more than the floor: it reads every line raw (so a bad line becomes a
reject row with its line number instead of failing the file), maps some sixty alias paths,
parses times to nanoseconds, checks types, hashes the file (SHA-256, for append and tamper
detection) and marks duplicate ids, all in one transaction.

## Start-up

| command | median ms (7 runs) | budget |
|---|---|---|
| evtrail --help | ${fmt(st.helpMs, 0)} | ≤ 200 |
| evtrail --version | ${fmt(st.versionMs, 0)} | ≤ 200 |
| evtrail info --json (opens DuckDB) | ${fmt(st.infoJsonMs, 0)} | — |

ink/React modules loaded by a \`--json\` command: ${st.inkModulesInJsonCommand} (must be 0).
`;
  rmStore(db);
  rmStore(bareDb);
  return md;
}

