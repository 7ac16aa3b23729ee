// Issue "Audit as it happens": `evtrail watch nats://…` while a publisher writes a generated
// trading log (1% anomalies) into JetStream at a steady rate. Measured in the same run:
// - the rate published and the rate watch stored (from its health lines), and the backlog when
//   the publisher stops (does watch keep up?), and how long it then takes to drain;
// - alert latency: for each alert, the time its line reached us minus the time the event it
//   names was published (an alert raised because of a later event counts from the earlier one:
//   the figure can only be too high);
// - peak RSS of the watch process after 10 s and at the end (memory must stay flat).
// Budget: 20k events/s for 60 s with lag not growing, alert p50 ≤ 200 ms and p99 ≤ 1 s, RSS at the
// end within 10% of the peak after 10 s. Default here: 5k events/s for 20 s (the budget's run
// with --large), so that a full `npm run bench` stays short on a shared machine.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, OUT, ROOT, fmt, rmStore } from './lib.mjs';

const NATS_URL = process.env.EVTRAIL_BENCH_NATS ?? 'nats://127.0.0.1:4222';
const mod = (name) => path.join(ROOT, 'node_modules', name);

function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** Calls fn with each whole, non-empty line a stream writes. */
function eachLine(stream, fn) {
  let rest = '';
  stream.on('data', (d) => {
    const parts = (rest + d).split('\n');
    rest = parts.pop();
    for (const line of parts) if (line) fn(line);
  });
}

const pct = (xs, p) => (xs.length === 0 ? null : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]);

export async function run({ args }) {
  const rate = Number(process.env.EVTRAIL_BENCH_WATCH_RATE ?? (args.large ? 20_000 : 5_000));
  const seconds = Number(process.env.EVTRAIL_BENCH_WATCH_SECONDS ?? (args.large ? 60 : 20));
  const total = rate * seconds;
  const { generateTradingLog } = await import(path.join(ROOT, 'dist/fixtures/trading-generator.js'));
  const lines = [];
  for (const e of generateTradingLog({ orders: Math.ceil(total / 9), seed: 11, anomalyRate: 0.01 })) {
    lines.push({ id: e.id, stream: e.stream, text: JSON.stringify(e) });
    if (lines.length >= total) break;
  }
  const { connect } = await import(mod('@nats-io/transport-node/lib/mod.js'));
  const { jetstreamManager } = await import(mod('@nats-io/jetstream/lib/mod.js'));
  const nc = await connect({ servers: NATS_URL });
  const jsm = await jetstreamManager(nc);
  const stream = `BENCHWATCH_${crypto.randomBytes(3).toString('hex').toUpperCase()}`;
  const subject = stream.toLowerCase();
  await jsm.streams.add({ name: stream, subjects: [`${subject}.>`] });
  const db = path.join(OUT, 'watch.duckdb');
  rmStore(db);

  const child = spawn(process.execPath, [BIN, 'watch', NATS_URL, '--stream', stream, '--db', db, '--json', '--interval', '20ms', '--health-every', '1s', '--stop-after', '5s'], { cwd: ROOT });
  const published = new Map(); // event id → ms published
  const latencies = [];
  // Alerts of rules whose findings settle (a rule file's `settle`: compensation-missing waits
  // 2 s for a compensation that may still come) are late by design: their latency is also
  // given apart, so that the budget's figure for the others is not hidden behind the wait.
  const { loadCatalog } = await import(path.join(ROOT, 'dist/audit/catalog.js'));
  const settled = new Set(loadCatalog({}).rules.filter((r) => r.settle && r.settle.ns > 0n).map((r) => r.id));
  const promptLatencies = [];
  let alerts = 0;
  let stored = 0;
  const storedAt = []; // [ms since start, events stored so far]
  // [ms since the first publish, events published but not yet stored]: the lag behind the
  // stream's head (the generated events carry times of their own, so now − event time says nothing here).
  const lags = [];
  let sent = 0;
  const t0 = Date.now();
  eachLine(child.stdout, (line) => {
    const a = JSON.parse(line);
    alerts++;
    const sent = a.eventId ? published.get(a.eventId) : undefined;
    if (sent !== undefined) {
      latencies.push(Date.now() - sent);
      if (!settled.has(a.rule)) promptLatencies.push(Date.now() - sent);
    }
  });
  eachLine(child.stderr, (line) => {
    if (line.startsWith('[watch]')) console.error(line); // EVTRAIL_TIMINGS=1: each batch's steps
    try {
      const h = JSON.parse(line).health;
      if (h) {
        stored += h.events;
        storedAt.push([Date.now() - t0, stored]);
        if (pubStart !== undefined) lags.push([Date.now() - pubStart, sent - stored]);
      }
    } catch {
      // a notice or the closing line
    }
  });
  const done = new Promise((resolve) => child.on('close', resolve));
  let pubStart;
  const load0 = os.loadavg()[0];
  await new Promise((r) => setTimeout(r, 1500)); // watch started and connected

  // Publish: core NATS publishes (JetStream stores them), a slice every 20 ms at the target rate.
  let rss10 = null;
  let rssPeak = 0;
  const sampler = setInterval(() => {
    const r = rssMb(child.pid);
    if (r !== null) rssPeak = Math.max(rssPeak, r);
    if (rss10 === null && Date.now() - pubStart >= 10_000) rss10 = rssPeak;
  }, 250);
  pubStart = Date.now();
  while (sent < lines.length) {
    const due = Math.min(lines.length, Math.floor(((Date.now() - pubStart) / 1000) * rate));
    for (; sent < due; sent++) {
      const l = lines[sent];
      nc.publish(`${subject}.${l.stream}`, l.text);
      if (!published.has(l.id)) published.set(l.id, Date.now());
    }
    await nc.flush();
    await new Promise((r) => setTimeout(r, 20));
  }
  const pubSecs = (Date.now() - pubStart) / 1000;
  const load1 = os.loadavg()[0];
  const storedWhenStopped = stored;
  const code = await done;
  clearInterval(sampler);
  const drainedAt = storedAt.length ? storedAt[storedAt.length - 1][0] : null;
  await jsm.streams.delete(stream).catch(() => undefined);
  await nc.close();
  rmStore(db);
  if (code !== 0) throw new Error(`watch exited with ${code}`);

  const p50 = pct(latencies, 50);
  const p99 = pct(latencies, 99);
  const kept = storedWhenStopped / lines.length;
  const flat = rss10 !== null ? rssPeak <= rss10 * 1.1 : null;
  // Lag while the publisher ran, at each quarter of its time (the latest health line before it):
  // growing means watch falls behind.
  const lagAt = (f) => lags.filter(([t]) => t <= f * pubSecs * 1000).pop()?.[1] ?? null;
  const lagTrend = [0.25, 0.5, 0.75, 1].map((f) => (lagAt(f) === null ? 'n/a' : `${lagAt(f).toLocaleString('en-US')} (${fmt(lagAt(f) / rate, 1)} s)`)).join(' → ');
  return `## Watch (live audit of a JetStream stream)

${lines.length.toLocaleString('en-US')} events published at ${rate.toLocaleString('en-US')}/s for ${fmt(pubSecs, 1)} s (core NATS publishes into the stream) while \`evtrail watch nats://… --json\` ran; ${alerts} alerts.

| measure | value | budget |
|---|---|---|
| events stored by watch when the publisher stopped | ${storedWhenStopped.toLocaleString('en-US')} of ${lines.length.toLocaleString('en-US')} (${fmt(kept * 100, 0)}%) | keeps up: ~100% |
| all stored after | ${drainedAt !== null ? `${fmt((drainedAt - (pubStart - t0)) / 1000, 1)} s from the first publish` : 'n/a'} | ≈ the publishing time |
| alert latency p50 / p99 (publish → alert line) | ${fmt(p50, 0)} ms / ${fmt(p99, 0)} ms (${latencies.length} alerts timed) | ≤ 200 ms / ≤ 1000 ms |
| the same, rules that do not settle (not ${[...settled].join(', ') || '—'}) | ${fmt(pct(promptLatencies, 50), 0)} ms / ${fmt(pct(promptLatencies, 99), 0)} ms (${promptLatencies.length} alerts) | ≤ 200 ms / ≤ 1000 ms |
| peak RSS after 10 s / at the end | ${fmt(rss10, 0)} MB / ${fmt(rssPeak, 0)} MB | end within 10% (${flat === null ? 'n/a' : flat ? 'met' : 'MISSED'}) |
| backlog (published, not stored) at ¼, ½, ¾ and the end of publishing | ${lagTrend} | does not grow |
| load average (1 min) at the start / end of publishing | ${fmt(load0, 1)} / ${fmt(load1, 1)} | — |

${args.large ? '' : 'The budget is stated for 20k events/s over 60 s: `npm run bench -- --only watch --large` runs that.'}
`;
}
