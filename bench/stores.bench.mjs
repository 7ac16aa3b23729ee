// Issue 9's budget: ≥ 200k events/s from PostgreSQL (Message DB layout) and from NATS
// JetStream into the store. Each is set against a floor measured in the same run on the same
// data: for PostgreSQL, psql copying the same rows out as JSON text (row_to_json, position
// order) to /dev/null; for JetStream, a bare ordered consumer draining the stream in Node,
// storing nothing. Events: 10 per order (--orders, default 100000 → 1M events).
//
// Measured 2026-11-26 on the shared 2-core machine (load average 4–5 from other sessions),
// `node bench/run.mjs --only stores --orders 100000`, 1,000,000 events:
//   PostgreSQL (Message DB) → store  24.4 s  41,033 ev/s  (floor psql COPY 5.6 s, 180k/s; 4.4 × floor)  RSS 1.44 GB
//   NATS JetStream → store           17.3 s  57,860 ev/s  (floor bare consumer 8.1 s, 124k/s; 2.1 × floor) RSS 1.18 GB
// The ≥ 200k events/s budget is missed; on this machine even the floors are below it.
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { OUT, ROOT, evtrail, fmt, measure, rmStore } from './lib.mjs';

const PG_URL = process.env.EVTRAIL_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const NATS_URL = process.env.EVTRAIL_BENCH_NATS ?? 'nats://127.0.0.1:4222';
const mod = (name) => path.join(ROOT, 'node_modules', name);

function psql(sql) {
  const r = spawnSync('psql', [PG_URL, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** Message DB rows shaped like the trading log's fills: ~400 bytes of JSON each. */
function seedPostgres(schema, n) {
  psql(`CREATE SCHEMA ${schema};
    CREATE TABLE ${schema}.messages (global_position bigserial NOT NULL PRIMARY KEY, position bigint NOT NULL,
      time TIMESTAMP WITHOUT TIME ZONE DEFAULT (now() AT TIME ZONE 'utc') NOT NULL, stream_name text NOT NULL, type text NOT NULL,
      data jsonb, metadata jsonb, id UUID NOT NULL DEFAULT gen_random_uuid());
    INSERT INTO ${schema}.messages (position, time, stream_name, type, data, metadata, id)
    SELECT i / ${n / 10}, timestamp '2025-08-26 09:30:00' + i * interval '13 microseconds', 'order-ord-' || lpad((i % ${n / 10})::text, 8, '0'),
      (ARRAY['OrderPlaced','RiskCheckPassed','OrderRouted','OrderAcknowledged','OrderPartiallyFilled','OrderFilled','SettlementCompleted'])[1 + i % 7],
      jsonb_build_object('orderId', 'ord-' || lpad((i % ${n / 10})::text, 8, '0'), 'fillQty', 100, 'fillPrice', 50.14, 'cumQty', i % 1000, 'leavesQty', 100, 'tradeId', 't-' || i),
      jsonb_build_object('correlationStreamName', 'corr-' || (i % ${n / 10}), 'user', 'svc-venue', 'host', 'gw-1',
        'causationMessageStreamName', 'order-ord-' || lpad((i % ${n / 10})::text, 8, '0'), 'causationMessagePosition', i / ${n / 10} - 1,
        'causationMessageGlobalPosition', i - ${n / 10}),
      md5(i::text)::uuid
    FROM generate_series(1, ${n}) i;
    ANALYZE ${schema}.messages;`);
}

async function seedNats(stream, n) {
  const { connect } = await import(mod('@nats-io/transport-node/lib/mod.js'));
  const { jetstream, jetstreamManager } = await import(mod('@nats-io/jetstream/lib/mod.js'));
  const nc = await connect({ servers: NATS_URL });
  await (await jetstreamManager(nc)).streams.add({ name: stream, subjects: [`${stream.toLowerCase()}.>`] });
  const js = jetstream(nc);
  const pending = [];
  for (let i = 1; i <= n; i++) {
    const order = String(i % (n / 10)).padStart(8, '0');
    const e = {
      id: `evt-${i}`, stream: `order-ord-${order}`, rev: Math.floor(i / (n / 10)) + 1, type: 'OrderPartiallyFilled',
      ts: `2025-08-26T09:30:00.${String(i).padStart(9, '0')}Z`, correlation_id: `corr-${order}`, causation_id: i > n / 10 ? `evt-${i - n / 10}` : null,
      source: 'venue-gw', data: { orderId: `ord-${order}`, fillQty: 100, fillPrice: 50.14, cumQty: i % 1000, leavesQty: 100, tradeId: `t-${i}` },
      meta: { user: 'svc-venue', host: 'gw-1' },
    };
    pending.push(js.publish(`${stream.toLowerCase()}.orders`, JSON.stringify(e)));
    if (pending.length >= 5000) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  await nc.close();
}

async function dropNats(stream) {
  const { connect } = await import(mod('@nats-io/transport-node/lib/mod.js'));
  const { jetstreamManager } = await import(mod('@nats-io/jetstream/lib/mod.js'));
  const nc = await connect({ servers: NATS_URL });
  await (await jetstreamManager(nc)).streams.delete(stream).catch(() => undefined);
  await nc.close();
}

/** The JetStream floor: an ordered consumer draining the stream in Node, nothing kept. */
function natsDrain(stream) {
  const script = `
    import { connect } from ${JSON.stringify(mod('@nats-io/transport-node/lib/mod.js'))};
    import { jetstream } from ${JSON.stringify(mod('@nats-io/jetstream/lib/mod.js'))};
    const nc = await connect({ servers: ${JSON.stringify(NATS_URL)} });
    const c = await jetstream(nc).consumers.get(${JSON.stringify(stream)});
    const msgs = await c.consume({ max_messages: 10000 });
    let n = 0, bytes = 0;
    for await (const m of msgs) { n++; bytes += m.data.length; if (m.info.pending === 0) break; }
    await nc.close(); console.log(n, bytes);`;
  return measure(process.execPath, ['--input-type=module', '-e', script]);
}

export async function run({ args }) {
  const n = Number(args.orders) * 10;
  const tag = crypto.randomBytes(3).toString('hex');
  const schema = `evt_bench_${tag}`;
  const stream = `EVT_BENCH_${tag}`;
  const db = path.join(OUT, 'stores.duckdb');
  const rows = [];
  try {
    console.error(`stores: seeding ${n} Message DB rows`);
    seedPostgres(schema, n);
    const pgFloor = measure('bash', ['-c', `psql ${PG_URL} -qAtc "COPY (SELECT row_to_json(t) FROM ${schema}.messages t ORDER BY global_position) TO STDOUT" > /dev/null`]);
    rmStore(db);
    const pg = evtrail(['ingest', PG_URL, '--preset', 'messagedb', '--schema', schema, '--db', db, '--json', '--quiet']);
    const pgOut = JSON.parse(pg.stdout);
    if (pgOut.ingested !== n) throw new Error(`postgres: ingested ${pgOut.ingested} of ${n}`);
    rows.push(['PostgreSQL (Message DB) → store', pg, pgFloor, 'psql COPY (row_to_json, position order) > /dev/null']);
  } finally {
    try { psql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`); } catch { /* left for a human */ }
  }
  try {
    console.error(`stores: publishing ${n} JetStream messages`);
    await seedNats(stream, n);
    const natsFloor = natsDrain(stream);
    rmStore(db);
    const nats = evtrail(['ingest', NATS_URL, '--stream', stream, '--db', db, '--json', '--quiet']);
    const natsOut = JSON.parse(nats.stdout);
    if (natsOut.ingested !== n) throw new Error(`nats: ingested ${natsOut.ingested} of ${n}`);
    rows.push(['NATS JetStream → store', nats, natsFloor, 'bare ordered consumer drain in Node, nothing kept']);
  } finally {
    await dropNats(stream).catch(() => undefined);
    rmStore(db);
  }
  const table = rows.map(([name, r, floor, floorName]) =>
    `| ${name} | ${fmt(r.secs)} | ${Math.round(n / r.secs).toLocaleString('en-US')} | ${fmt(r.rssMb, 0)} | ${floorName}: ${fmt(floor.secs)} s (${Math.round(n / floor.secs).toLocaleString('en-US')}/s) | ${fmt(r.secs / floor.secs)} × | ${n / r.secs >= 200_000 ? 'met' : 'MISSED'} |`).join('\n');
  return `## Event-store ingest: ${n.toLocaleString('en-US')} events (issue 9)

| source | seconds (CLI, whole run) | events/s | peak RSS MB | floor in the same run | × floor | ≥ 200k events/s |
|---|---|---|---|---|---|---|
${table}

The CLI time includes start-up, mapping, duplicate-id marking and the one transaction that
appends events and checkpoint together. PostgreSQL is read over two connections sharing one
snapshot (the server's JSON rendering is the heavy part); JetStream through one ordered consumer.
`;
}
