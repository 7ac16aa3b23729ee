// Shared pieces of the benchmarks: child-process timing with peak RSS, the fixture generator,
// the baselines. Each bench/*.bench.mjs exports run(ctx) returning a Markdown section;
// bench/run.mjs runs them all in one process and writes BENCHMARKS.md.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const OUT = path.join(ROOT, 'bench', 'out');
export const BIN = path.join(ROOT, 'bin', 'evtrail.js');
export const HAS_TIME = fs.existsSync('/usr/bin/time');

/** Runs a command, returns wall seconds and peak RSS (MB) of the child. */
export function measure(cmd, cmdArgs, opts = {}) {
  const full = HAS_TIME ? ['/usr/bin/time', ['-f', '__RSS_KB=%M __CPU=%U %S', cmd, ...cmdArgs]] : [cmd, cmdArgs];
  const busy0 = machineBusy();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(full[0], full[1], { encoding: 'utf8', maxBuffer: 256 << 20, ...opts });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const busy1 = machineBusy();
  if (r.status !== 0) throw new Error(`${cmd} ${cmdArgs.join(' ')} failed (${r.status}): ${r.stderr}`);
  const rss = /__RSS_KB=(\d+)/.exec(r.stderr ?? '');
  // CPU seconds of the child (user + system, every thread): on a loaded machine the wall time
  // is mostly waiting for a core.
  const cpu = /__CPU=([\d.]+) ([\d.]+)/.exec(r.stderr ?? '');
  const machineCpu = busy0 !== null && busy1 !== null ? busy1 - busy0 : null;
  return { secs, rssMb: rss ? Number(rss[1]) / 1024 : null, cpuSecs: cpu ? Number(cpu[1]) + Number(cpu[2]) : null, machineCpu, stdout: r.stdout, stderr: r.stderr };
}

/**
 * CPU seconds the whole machine has been busy (every process, servers included: /proc/stat,
 * Linux only, else null): what a run costs when part of its work is done by PostgreSQL or NATS.
 */
export function machineBusy() {
  try {
    const [user, nice, system, , , irq, softirq, steal] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return (user + nice + system + irq + softirq + steal) / 100;
  } catch {
    return null;
  }
}

export function generate(orders, file) {
  if (fs.existsSync(file) && fs.existsSync(file + '.done')) return;
  console.error(`generating ${orders} orders → ${path.relative(ROOT, file)}`);
  execFileSync(process.execPath, [path.join(ROOT, 'dist/fixtures/generate.js'), '--orders', String(orders), '--anomalies', '0.01', '--seed', '7', '--out', file], { stdio: 'inherit' });
  fs.writeFileSync(file + '.done', '');
}

export function rmStore(db) {
  for (const f of [db, db + '.wal']) fs.rmSync(f, { force: true });
  fs.rmSync(db + '.tmp', { recursive: true, force: true });
}

export const BARE_COLUMNS = `{'id':'VARCHAR','stream':'VARCHAR','rev':'BIGINT','type':'VARCHAR','schema_version':'INTEGER','ts':'VARCHAR','recorded_ts':'VARCHAR','correlation_id':'VARCHAR','causation_id':'VARCHAR','source':'VARCHAR','data':'JSON','meta':'JSON'}`;

export function bareDuckdb(file, db) {
  rmStore(db);
  const script = `
    import { DuckDBInstance } from '${path.join(ROOT, 'node_modules/@duckdb/node-api/lib/index.js')}';
    const inst = await DuckDBInstance.create(${JSON.stringify(db)});
    const c = await inst.connect();
    await c.run(\`CREATE TABLE t AS SELECT * FROM read_json(${JSON.stringify(file).replaceAll('"', "'")}, format='newline_delimited', columns=${BARE_COLUMNS})\`);
    c.closeSync(); inst.closeSync();`;
  return measure(process.execPath, ['--input-type=module', '-e', script]);
}

export function naiveLoop(file) {
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

export function hasJq() {
  return spawnSync('jq', ['--version']).status === 0;
}

export function evtrail(cmdArgs, env = {}) {
  return measure(process.execPath, [BIN, ...cmdArgs], { env: { ...process.env, ...env } });
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export function startup(db) {
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

/** One SQL statement in a fresh Node process on the store opened read-only: the bare DuckDB baselines. */
export function bareQuery(db, sql) {
  const script = `
    import { DuckDBInstance } from '${path.join(ROOT, 'node_modules/@duckdb/node-api/lib/index.js')}';
    const inst = await DuckDBInstance.create(${JSON.stringify(db)}, { access_mode: 'READ_ONLY' });
    const c = await inst.connect();
    await c.run(${JSON.stringify(sql)});
    c.closeSync(); inst.closeSync();`;
  return measure(process.execPath, ['--input-type=module', '-e', script]);
}

/** bench/out/NAME.duckdb: the generated log of `orders` orders (seed 7), ingested once, then kept. */
export function cachedStore(orders, name) {
  const file = path.join(OUT, `trading-${orders}.ndjson`);
  generate(orders, file);
  const db = path.join(OUT, `${name}.duckdb`);
  if (!fs.existsSync(db + '.done')) {
    rmStore(db);
    evtrail(['ingest', file, '--db', db, '--json']);
    fs.writeFileSync(db + '.done', '');
  }
  return { file, db };
}

/** The fastest of several measured runs. */
export const best = (runs) => runs.reduce((a, b) => (a.secs <= b.secs ? a : b));

export const fmt = (x, d = 2) => (x === null || x === undefined ? 'n/a' : Number(x).toFixed(d));


/**
 * The 10M-event store the replay / trace / audit budgets are measured on: generated and
 * ingested once, then kept in bench/out (ingesting 10M events takes minutes).
 */
export function largeStore() {
  const file = path.join(OUT, 'trading-1000000.ndjson');
  generate(1_000_000, file);
  const db = path.join(OUT, 'store-10m.duckdb');
  let ingest = null;
  if (!fs.existsSync(db + '.done')) {
    rmStore(db);
    const r = evtrail(['ingest', file, '--db', db, '--json']);
    ingest = { events: JSON.parse(r.stdout).ingested, bytes: fs.statSync(file).size, secs: r.secs, rssMb: r.rssMb };
    fs.writeFileSync(db + '.done', JSON.stringify(ingest));
  } else {
    ingest = JSON.parse(fs.readFileSync(db + '.done', 'utf8'));
  }
  return { file, db, ingest };
}

/**
 * Event i of n in the stores bench's log (10 events per order, fills with nanosecond times): what
 * the stores bench writes into PostgreSQL and JetStream, and what bench/nats-map-cpu.mjs stages.
 */
export function storesBenchEvent(i, n) {
  const order = String(i % (n / 10)).padStart(8, '0');
  return {
    id: `evt-${i}`, stream: `order-ord-${order}`, rev: Math.floor(i / (n / 10)) + 1, type: 'OrderPartiallyFilled',
    ts: `2025-08-26T09:30:00.${String(i).padStart(9, '0')}Z`, correlation_id: `corr-${order}`, causation_id: i > n / 10 ? `evt-${i - n / 10}` : null,
    source: 'venue-gw', data: { orderId: `ord-${order}`, fillQty: 100, fillPrice: 50.14, cumQty: i % 1000, leavesQty: 100, tradeId: `t-${i}` },
    meta: { user: 'svc-venue', host: 'gw-1' },
  };
}
