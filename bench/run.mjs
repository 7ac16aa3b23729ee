#!/usr/bin/env node
// npm run bench [-- --orders N] [-- --large]
//
// Generates a trading log and, in the same run on the same file, times evtrail's ingest
// against baselines: bare DuckDB read_json with explicit columns into a file-backed table (the
// floor of this stack), a naive Node loop (readline + JSON.parse + a Map fold, persisting
// nothing), and jq when installed. Reports events/s, ratios and peak RSS, the CLI's start-up,
// and writes BENCHMARKS.md. --large adds the 10M-event (~3 GB) peak-RSS check.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'bench', 'out');
const BIN = path.join(ROOT, 'bin', 'evtrail.js');
const { values: args } = parseArgs({
  options: { orders: { type: 'string', default: '100000' }, large: { type: 'boolean', default: false }, runs: { type: 'string', default: '1' } },
});
fs.mkdirSync(OUT, { recursive: true });
const HAS_TIME = fs.existsSync('/usr/bin/time');

/** Runs a command, returns wall seconds and peak RSS (MB) of the child. */
function measure(cmd, cmdArgs, opts = {}) {
  const full = HAS_TIME ? ['/usr/bin/time', ['-f', '__RSS_KB=%M', cmd, ...cmdArgs]] : [cmd, cmdArgs];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(full[0], full[1], { encoding: 'utf8', maxBuffer: 256 << 20, ...opts });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${cmdArgs.join(' ')} failed (${r.status}): ${r.stderr}`);
  const rss = /__RSS_KB=(\d+)/.exec(r.stderr ?? '');
  return { secs, rssMb: rss ? Number(rss[1]) / 1024 : null, stdout: r.stdout };
}

function generate(orders, file) {
  if (fs.existsSync(file) && fs.existsSync(file + '.done')) return;
  console.error(`generating ${orders} orders → ${path.relative(ROOT, file)}`);
  execFileSync(process.execPath, [path.join(ROOT, 'dist/fixtures/generate.js'), '--orders', String(orders), '--anomalies', '0.01', '--seed', '7', '--out', file], { stdio: 'inherit' });
  fs.writeFileSync(file + '.done', '');
}

function rmStore(db) {
  for (const f of [db, db + '.wal']) fs.rmSync(f, { force: true });
  fs.rmSync(db + '.tmp', { recursive: true, force: true });
}

const BARE_COLUMNS = `{'id':'VARCHAR','stream':'VARCHAR','rev':'BIGINT','type':'VARCHAR','schema_version':'INTEGER','ts':'VARCHAR','recorded_ts':'VARCHAR','correlation_id':'VARCHAR','causation_id':'VARCHAR','source':'VARCHAR','data':'JSON','meta':'JSON'}`;

function bareDuckdb(file, db) {
  rmStore(db);
  const script = `
    import { DuckDBInstance } from '${path.join(ROOT, 'node_modules/@duckdb/node-api/lib/index.js')}';
    const inst = await DuckDBInstance.create(${JSON.stringify(db)});
    const c = await inst.connect();
    await c.run(\`CREATE TABLE t AS SELECT * FROM read_json(${JSON.stringify(file).replaceAll('"', "'")}, format='newline_delimited', columns=${BARE_COLUMNS})\`);
    c.closeSync(); inst.closeSync();`;
  return measure(process.execPath, ['--input-type=module', '-e', script]);
}

function naiveLoop(file) {
  // What someone would write without evtrail: one pass, latest state per order, nothing kept.
  const script = `
    import fs from 'node:fs'; import readline from 'node:readline';
    const state = new Map();
    const rl = readline.createInterface({ input: fs.createReadStream(${JSON.stringify(file)}), crlfDelay: Infinity });
    let n = 0;
    for await (const line of rl) {
      if (!line) continue;
      const e = JSON.parse(line); n++;
      const s = state.get(e.stream) ?? { events: 0 };
      s.events++; s.lastType = e.type; s.lastTs = e.ts;
      if (e.data && e.data.cumQty !== undefined) s.cumQty = e.data.cumQty;
      state.set(e.stream, s);
    }
    console.log(n, state.size);`;
  return measure(process.execPath, ['--input-type=module', '-e', script]);
}

function hasJq() {
  return spawnSync('jq', ['--version']).status === 0;
}

function evtrail(cmdArgs, env = {}) {
  return measure(process.execPath, [BIN, ...cmdArgs], { env: { ...process.env, ...env } });
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function startup(db) {
  const times = (cmdArgs) => median(Array.from({ length: 7 }, () => evtrail(cmdArgs).secs * 1000));
  // Which heavy modules a --json command loads: none of ink/react. A loader hook records every
  // module URL the command resolves.
  const probeFile = path.join(OUT, 'modules.txt');
  fs.rmSync(probeFile, { force: true });
  const hooks = `import fs from 'node:fs'; export async function resolve(s, c, next) { const r = await next(s, c); fs.appendFileSync(${JSON.stringify(probeFile)}, r.url + '\\n'); return r; }`;
  const register = `import { register } from 'node:module'; register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hooks)}));`;
  spawnSync(process.execPath, ['--import', 'data:text/javascript,' + encodeURIComponent(register), BIN, 'info', '--json', '--db', db], { encoding: 'utf8' });
  const loaded = fs.existsSync(probeFile) ? fs.readFileSync(probeFile, 'utf8').split('\n') : [];
  const heavy = loaded.length ? String(loaded.filter((u) => /node_modules\/(ink|react)\//.test(u)).length) : undefined;
  return { helpMs: times(['--help']), versionMs: times(['--version']), infoJsonMs: times(['info', '--json', '--db', db]), inkModulesInJsonCommand: heavy === undefined ? 'n/a' : Number(heavy) };
}

const fmt = (x, d = 2) => (x === null || x === undefined ? 'n/a' : Number(x).toFixed(d));

async function main() {
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

  let large = null;
  if (args.large) {
    const bigFile = path.join(OUT, 'trading-1000000.ndjson');
    generate(1_000_000, bigFile);
    const bigDb = path.join(OUT, 'bench-large.duckdb');
    rmStore(bigDb);
    const r = evtrail(['ingest', bigFile, '--db', bigDb, '--json']);
    large = { events: JSON.parse(r.stdout).ingested, bytes: fs.statSync(bigFile).size, secs: r.secs, rssMb: r.rssMb };
    rmStore(bigDb);
  }

  const rows = [
    ['evtrail ingest (CLI, file-backed store)', ev],
    ['bare DuckDB read_json, explicit columns, file-backed', bare],
    ['naive Node loop (readline + JSON.parse + Map fold)', naive],
    ...(jq ? [["jq -c '{id, type}' (one pass, no storage)", jq]] : []),
  ];
  const table = rows.map(([name, r]) => `| ${name} | ${fmt(r.secs)} | ${Math.round(events / r.secs).toLocaleString('en-US')} | ${fmt(r.secs / bare.secs)} | ${fmt(r.rssMb, 0)} |`).join('\n');
  const budgetIngest = ev.secs / bare.secs;
  const asofTotal = ev.secs + asof.secs;
  const md = `# Benchmarks

Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)} (${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}).
Every number in one table comes from the same run on the same file, so compare ratios, not
absolute times: these machines are shared and noisy. Best of ${runs} run(s).

## Ingest: ${events.toLocaleString('en-US')} events, ${(bytes / 1e6).toFixed(0)} MB of NDJSON (generated trading log, seed 7)

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
  fs.writeFileSync(path.join(ROOT, 'BENCHMARKS.md'), md);
  process.stdout.write(md);
  rmStore(db);
  rmStore(bareDb);
}

await main();
