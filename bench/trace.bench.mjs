// Trace budgets on the cached 10M-event store (issue 4, tightened by issue 21 to ≤ 10 ms, with
// the CPU per trace beside the wall time): one order's trace ≤ 50 ms p50 over 100
// random orders inside one process, against the same traces without the trace index (a scan
// per lookup) on a few of them; `trace --stats` ≤ 10 s, against the same statistics joined on
// the event ids; the index's build cost against the ingest it follows; the CLI's start-up.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { OUT, ROOT, evtrail, fmt, generate, largeStore, median, rmStore } from './lib.mjs';
const { Rng } = await import(new URL('../dist/fixtures/trading-generator.js', import.meta.url).href);

const dist = (p) => import(pathToFileURL(path.join(ROOT, 'dist', p)).href);

function percentile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil(q * s.length) - 1)];
}

/** The generator's deterministic PRNG (mulberry32): the same 100 orders every run. */
function rng(seed) {
  const g = new Rng(seed);
  return () => g.next();
}

export async function run({ args }) {
  const { Store } = await dist('store/store.js');
  const { EventSource } = await dist('trace/source.js');
  const { traceReport, defaultSettings } = await dist('trace/trace.js');
  const { traceJson } = await dist('trace/view.js');
  const { hopStats } = await dist('trace/stats.js');
  const { refreshTraceIndex, indexStatus } = await dist('trace/trace-index.js');

  const { db } = largeStore();

  // --- the index on the 10M store: built once (timed then, the time kept next to the store)
  const indexFile = db + '.trace-index.json';
  let build = fs.existsSync(indexFile) ? JSON.parse(fs.readFileSync(indexFile, 'utf8')) : null;
  {
    const store = await Store.open(db);
    try {
      const before = await indexStatus(store);
      if (before.state === null || before.tail > 0 || !build) {
        const r = await refreshTraceIndex(store);
        if (r.rebuilt || !build) build = { events: before.total, ms: r.ms, rebuilt: r.rebuilt, at: new Date().toISOString() };
        fs.writeFileSync(indexFile, JSON.stringify(build));
      }
    } finally {
      store.close();
    }
  }
  const dbBytes = fs.statSync(db).size;

  // --- the index's cost next to the ingest it follows, on the 1M-event file
  const orders1m = Number(args.orders ?? 100000);
  const file1m = path.join(OUT, `trading-${orders1m}.ndjson`);
  generate(orders1m, file1m);
  const small = path.join(OUT, 'trace-bench.duckdb');
  rmStore(small);
  const ingest = evtrail(['ingest', file1m, '--db', small, '--json']);
  const ingestEvents = JSON.parse(ingest.stdout).ingested;
  const sizeBefore = fs.statSync(small).size;
  let smallIndex;
  {
    const store = await Store.open(small);
    try {
      smallIndex = await refreshTraceIndex(store);
      await store.run('CHECKPOINT');
    } finally {
      store.close();
    }
  }
  const sizeAfter = fs.statSync(small).size;
  // An appended ingest, then the index brought up to date: only the new part is read (bar one
  // hash pass over (id, correlation) for the cross-correlation table).
  const fileAppend = path.join(OUT, 'trading-10000.ndjson');
  generate(10000, fileAppend);
  const append = evtrail(['ingest', fileAppend, '--db', small, '--json']);
  const appended = JSON.parse(append.stdout).ingested;
  let incremental;
  {
    const store = await Store.open(small);
    try {
      incremental = await refreshTraceIndex(store);
    } finally {
      store.close();
    }
  }
  rmStore(small);

  // --- one order's trace, inside one process, 100 random orders
  const random = rng(4);
  const orderIds = Array.from({ length: 100 }, () => `ord-${String(1 + Math.floor(random() * 1_000_000)).padStart(8, '0')}`);
  // The trace itself; the audit's findings on it (on by default) are timed apart below.
  const settings = defaultSettings({ audit: false });
  const store = await Store.open(db, { readOnly: true });
  const times = [];
  // CPU of the process (every DuckDB thread included) per trace: on a loaded machine the wall
  // time is mostly waiting for a core, so the issue-21 budget is read on both.
  const cpuTimes = [];
  const plainTimes = [];
  const auditTimes = [];
  let events = 0;
  let queries = 0;
  try {
    // Warm the connection (the first query of a process loads the catalog).
    await traceReport(await EventSource.open(store), 'ord-00000001', settings);
    for (const id of orderIds) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const source = await EventSource.open(store);
      const q0 = source.queries;
      const report = await traceReport(source, id, settings);
      JSON.stringify(traceJson(report));
      times.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpuTimes.push((c.user + c.system) / 1000);
      events += report.graph.nodes.length;
      queries += source.queries - q0;
    }
    // Baseline: the same traces without the index (each lookup scans events), on a few orders.
    for (const id of orderIds.slice(0, 3)) {
      const source = await EventSource.open(store);
      source.status.state = null;
      source.status.watermark = 0;
      const t0 = performance.now();
      await traceReport(source, id, settings);
      plainTimes.push(performance.now() - t0);
    }
    // With the audit's findings (the default): the catalog's rules over the trace's streams,
    // on one source (its auditor keeps its connection, as the explorer does); 20 orders.
    const audited = await EventSource.open(store);
    await traceReport(audited, 'ord-00000001', defaultSettings());
    for (const id of orderIds.slice(0, 20)) {
      const t0 = performance.now();
      await traceReport(audited, id, defaultSettings());
      auditTimes.push(performance.now() - t0);
    }
  } finally {
    store.close();
  }
  const p50 = percentile(times, 0.5);
  const cpuP50 = percentile(cpuTimes, 0.5);
  const load = fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0];

  // --- trace --stats: through the index, and the baseline join on event ids
  const statsStore = await Store.open(db, { readOnly: true });
  let statsMs;
  let joinMs;
  let hopKinds;
  try {
    const source = await EventSource.open(statsStore);
    let t0 = performance.now();
    const stats = await hopStats(source);
    statsMs = performance.now() - t0;
    hopKinds = stats.hops.length;
    source.status.state = null;
    t0 = performance.now();
    await hopStats(source);
    joinMs = performance.now() - t0;
  } finally {
    statsStore.close();
  }
  const statsCli = evtrail(['trace', '--stats', '--json', '--db', db]);

  // --- the CLI around it
  const cliTrace = median(Array.from({ length: 7 }, (_, i) => evtrail(['trace', orderIds[i], '--json', '--db', db]).secs * 1000));
  const cliHelp = median(Array.from({ length: 7 }, () => evtrail(['--help']).secs * 1000));

  return `## Trace: 10M-event store (bench/out/store-10m.duckdb, ${(dbBytes / 1e9).toFixed(2)} GB file)

One order's trace inside one process (\`traceReport\`: resolve the id, load the correlation and
the causation closure, stream revisions, build the graph and the saga view, serialize the JSON),
100 random orders of 1,000,000 (seed 4), ${fmt(events / orderIds.length, 1)} events and ${fmt(queries / orderIds.length, 1)} DuckDB round trips per trace on average:

| what | p50 ms | p90 ms | max ms | budget | verdict |
|---|---|---|---|---|---|
| trace of one order, with the trace index | ${fmt(p50, 1)} | ${fmt(percentile(times, 0.9), 1)} | ${fmt(Math.max(...times), 1)} | p50 ≤ 10 (issue 21; ≤ 50 in issue 4) | ${p50 <= 10 ? 'met' : p50 <= 50 ? 'issue 4 met, issue 21 MISSED' : 'MISSED'} |
| the same, CPU of the process per trace (all threads), load average ${load} | ${fmt(cpuP50, 1)} | ${fmt(percentile(cpuTimes, 0.9), 1)} | ${fmt(Math.max(...cpuTimes), 1)} | — | ${cpuP50 <= 10 ? 'within 10 ms of CPU' : 'over 10 ms of CPU'} |
| the same with the audit's findings (the default; \`--no-audit\` leaves them out; 20 orders) | ${fmt(percentile(auditTimes, 0.5), 1)} | ${fmt(percentile(auditTimes, 0.9), 1)} | ${fmt(Math.max(...auditTimes), 1)} | — | — |
| the same without the index (a scan per lookup; 3 orders) | ${fmt(median(plainTimes), 0)} | — | ${fmt(Math.max(...plainTimes), 0)} | — | ${fmt(median(plainTimes) / p50, 0)} × slower |
| \`evtrail trace <order> --json\` as a command (start-up + open + trace), median of 7 | ${fmt(cliTrace, 0)} | — | — | — | — |
| \`evtrail --help\` (start-up alone), median of 7 | ${fmt(cliHelp, 0)} | — | — | ≤ 200 | ${cliHelp <= 200 ? 'met' : 'MISSED'} |

\`trace --stats\` over the whole log (${hopKinds} kinds of hop):

| what | seconds | budget | verdict |
|---|---|---|---|
| hop statistics through the index (integer join of trace_causes and trace_ids), in process | ${fmt(statsMs / 1000)} | ≤ 10 | ${statsMs <= 10000 ? 'met' : 'MISSED'} |
| \`evtrail trace --stats --json\` as a command | ${fmt(statsCli.secs)} | ≤ 10 | ${statsCli.secs <= 10 ? 'met' : 'MISSED'} |
| baseline: the same statistics joining events on the id strings | ${fmt(joinMs / 1000)} | — | ${fmt(joinMs / statsMs, 1)} × the indexed time |

The trace index (src/trace/trace-index.ts: tables of (hash of id / causation id / correlation
id / stream / business key, seq) sorted by the hash, the few cross-correlation effects, the
distinct names for suggestions) and what it costs; the 10M build was timed when this script
first built it (${build.at}):

| store | events | index build s | ingest s | build / ingest | store file MB before → after |
|---|---|---|---|---|---|
| ${orders1m.toLocaleString('en-US')} orders | ${ingestEvents.toLocaleString('en-US')} | ${fmt(smallIndex.ms / 1000, 1)} | ${fmt(ingest.secs, 1)} | ${fmt(smallIndex.ms / 1000 / ingest.secs)} | ${fmt(sizeBefore / 1e6, 0)} → ${fmt(sizeAfter / 1e6, 0)} |
| the same + ${appended.toLocaleString('en-US')} appended events (incremental) | ${incremental.indexed.toLocaleString('en-US')} new | ${fmt(incremental.ms / 1000, 1)} | ${fmt(append.secs, 1)} | ${fmt(incremental.ms / 1000 / append.secs)} | — |
| 10M (bench/out/store-10m.duckdb) | ${build.events.toLocaleString('en-US')} | ${fmt(build.ms / 1000, 1)} | ${fmt(JSON.parse(fs.readFileSync(db + '.done', 'utf8')).secs, 1)} | ${fmt(build.ms / 1000 / JSON.parse(fs.readFileSync(db + '.done', 'utf8')).secs)} | — |

For comparison, DuckDB ART indexes (CREATE INDEX) on the 10M store took 110 s for events(id)
alone and 143 s for events(causation_id) (measured once by hand, 2 cores), and grew the file by
about 950 MB. Until ingest refreshes the index itself, \`evtrail trace\` brings it up to date
when it is missing or more than 100,000 events behind (the events past it are read by a
seq-pruned scan meanwhile).
`;
}
