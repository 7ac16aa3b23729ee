// The integrity budgets: what the hash chain adds to ingest (the same file ingested with the
// chain and without it, EVTRAIL_BENCH_NO_CHAIN=1, alternating, in the same run), `evtrail
// verify` of the whole store against a bare DuckDB pass hashing every event's data (the floor
// of any recomputation), opening a store written before the chain (migrations v3 and v4 hash and
// chain every event) and one written with evtrail-chain/1 (migration v4 checks its events
// against the old blocks, then rebuilds them). With --large, verify on the cached 10M-event
// store as well.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { OUT, bareQuery, best, evtrail, fmt, generate, largeStore, rmStore } from './lib.mjs';

function bareHashPass(db) {
  return bareQuery(db, 'SELECT max(sha256(data::VARCHAR)) FROM events');
}

/** Makes a store look as one written with evtrail-chain/1 (store schema 3): its blocks in the old format. */
async function toChainV1(db) {
  const { Store } = await import('../dist/store/store.js');
  const { blockSize, insertBlocks, linkScopes } = await import('../dist/integrity/chain-store.js');
  const { legacyDigests } = await import('../dist/integrity/chain-v1.js');
  const store = await Store.open(db);
  try {
    const blocks = linkScopes(await legacyDigests(store, await blockSize(store)));
    await store.run(`DELETE FROM chain_blocks; DELETE FROM evtrail_meta WHERE key = 'chain_format'; DROP TABLE source_gaps;
      UPDATE evtrail_meta SET value = '3' WHERE key = 'schema_version'`);
    await insertBlocks(store, blocks);
    await store.run('CHECKPOINT');
  } finally {
    store.close();
  }
}

/** Makes a store look as one written before migration v3 (no hashes, no chain). */
async function downgrade(db) {
  const inst = await DuckDBInstance.create(db);
  const c = await inst.connect();
  await c.run(`DROP TABLE event_hashes; DROP TABLE chain_blocks; DROP TABLE source_gaps; DELETE FROM evtrail_meta WHERE key LIKE 'chain_%';
    UPDATE evtrail_meta SET value = '2' WHERE key = 'schema_version'; CHECKPOINT`);
  c.closeSync();
  inst.closeSync();
}

export async function run({ args }) {
  const orders = Number(args.orders);
  const file = path.join(OUT, `trading-${orders}.ndjson`);
  generate(orders, file);
  const runs = Math.max(1, Number(args.runs));
  const load = os.loadavg()[0];
  const db = path.join(OUT, 'integrity.duckdb');
  const plain = path.join(OUT, 'integrity-nochain.duckdb');
  const withChain = [];
  const without = [];
  for (let i = 0; i < runs; i++) {
    rmStore(plain);
    without.push(evtrail(['ingest', file, '--db', plain, '--json'], { EVTRAIL_BENCH_NO_CHAIN: '1' }));
    rmStore(db);
    withChain.push(evtrail(['ingest', file, '--db', db, '--json']));
  }
  const ing = best(withChain);
  const base = best(without);
  const events = JSON.parse(ing.stdout).ingested;

  const verifies = [];
  const passes = [];
  for (let i = 0; i < Math.max(runs, 2); i++) {
    passes.push(bareHashPass(db));
    verifies.push(evtrail(['verify', '--db', db, '--json']));
  }
  const ver = best(verifies);
  const verOut = JSON.parse(ver.stdout);
  if (!verOut.ok) throw new Error(`verify of the bench store failed: ${JSON.stringify(verOut.problems[0])}`);
  const pass = best(passes);

  // A store from before the chain: the first open migrates it.
  rmStore(plain);
  fs.copyFileSync(db, plain);
  await downgrade(plain);
  const migrate = evtrail(['info', '--db', plain, '--json']);
  const migratedHead = JSON.parse(evtrail(['verify', '--db', plain, '--json']).stdout).head;
  rmStore(plain);
  // A store written with evtrail-chain/1: the first open checks and rebuilds its blocks.
  fs.copyFileSync(db, plain);
  await toChainV1(plain);
  const migrateV1 = evtrail(['info', '--db', plain, '--json']);
  const migratedV1 = JSON.parse(evtrail(['verify', '--db', plain, '--json']).stdout);
  rmStore(plain);

  let large = null;
  if (args.large) {
    const { db: big } = largeStore();
    const open = evtrail(['info', '--db', big, '--json']);
    const load = os.loadavg()[0];
    const v = evtrail(['verify', '--db', big, '--json']);
    large = { open, load, verify: v, out: JSON.parse(v.stdout) };
  }

  const overhead = ing.secs - base.secs;
  const projected = ver.secs * (10_000_000 / events);
  const md = `## Integrity: hash chain at ingest, verify (${events.toLocaleString('en-US')} events, ${(fs.statSync(file).size / 1e6).toFixed(0)} MB of NDJSON, best of ${runs} run(s))

| what | seconds | peak RSS MB |
|---|---|---|
| evtrail ingest with the chain (event hashes + blocks in the ingest transaction) | ${fmt(ing.secs)} | ${fmt(ing.rssMb, 0)} |
| evtrail ingest without it (EVTRAIL_BENCH_NO_CHAIN=1, the baseline) | ${fmt(base.secs)} | ${fmt(base.rssMb, 0)} |
| chain overhead at ingest | ${fmt(overhead)} (${fmt((overhead / base.secs) * 100, 0)} %) | |
| evtrail verify --json (CLI: start-up, open, recompute every block digest, compare) | ${fmt(ver.secs)} | ${fmt(ver.rssMb, 0)} |
| … its own clock (recompute + compare) | ${fmt(verOut.ms / 1000)} | |
| baseline: one bare DuckDB pass, sha256 of every event's data | ${fmt(pass.secs)} | ${fmt(pass.rssMb, 0)} |
| ratio verify / baseline | ${fmt(ver.secs / pass.secs)} × | |
| opening a store written before the chain (migrations v3 and v4 hash and chain it) | ${fmt(migrate.secs)} | ${fmt(migrate.rssMb, 0)} |
| opening a store written with evtrail-chain/1 (migration v4: its events checked against the old blocks, then the blocks rebuilt) | ${fmt(migrateV1.secs)} | ${fmt(migrateV1.rssMb, 0)} |

The migrated stores' heads equal the head built at ingest: ${migratedHead === verOut.head && migratedV1.ok && migratedV1.head === verOut.head ? 'yes' : 'NO'}.

Budget (issue 6): \`verify\` of the whole store ≤ 10 s at 10M events: ${large
    ? `**${fmt(large.verify.secs)} s on ${large.out.events.toLocaleString('en-US')} events, ${large.verify.secs <= 10 ? 'met' : 'MISSED'}** (its own clock ${fmt(large.out.ms / 1000)} s, peak RSS ${fmt(large.verify.rssMb, 0)} MB; opening the store first, which migrates a store written by an older evtrail: ${fmt(large.open.secs)} s)`
    : `not run here (npm run bench -- --large); linear projection from this run: ${fmt(projected, 1)} s`}.
The load average was ${load.toFixed(1)} when this bench started${large ? ` and ${large.load.toFixed(1)} before the 10M verify` : ''} (two shared cores): verify is
CPU-bound (DuckDB building the canonical forms, Node hashing them), so its wall time scales with the cores it gets.
`;
  rmStore(db);
  return md;
}
