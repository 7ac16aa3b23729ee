/**
 * `evtrail watch`: follow sources into a store and raise what breaks the rules as it happens.
 *
 * Output: an alert is one line on stdout (text, or with --json one NDJSON object, for other
 * tools); how the flow is doing (events per second by type, lag, rejects, notices) goes to
 * stderr, as text or JSON lines. `--exec CMD` runs CMD through the shell once per alert, the
 * alert's JSON on its stdin.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { loadCatalog } from '../audit/catalog.js';
import { auditRequest, planAudit } from '../audit/plan.js';
import { UserError } from '../core/errors.js';
import { duration } from '../core/flags.js';
import { INTERRUPT_EXIT, onInterrupt } from '../core/interrupt.js';
import { formatDuration } from '../core/time.js';
import { prepareIngest, type IngestFlags } from '../ingest/run-ingest.js';
import { isStoreUrl } from '../ingest/sources.js';
import { stringifyJson } from '../output/json.js';
import { terminalSafe } from '../output/terminal.js';
import { Store } from '../store/store.js';
import type { Rule } from '../audit/rule-file.js';
import type { Alert } from './alerts.js';
import { CLOCKS } from './clock.js';
import { StopSignal, watch, type BatchReport } from './watcher.js';

export interface WatchFlags extends IngestFlags {
  json?: boolean;
  exec?: string;
  interval: string;
  stopAfter?: string;
  healthEvery: string;
  clock: string;
  settle?: string[];
  only?: string[];
  param?: string[];
  pack?: string[];
  rules?: string;
}

function durationMs(flag: string, text: string, example: string): number {
  return Number(duration(flag, text, `e.g. ${flag} ${example}`) / 1_000_000n);
}

/** A line a script can read: JSON with bigint as text (the store's seqs and positions). */
function jsonLine(value: unknown): string {
  return stringifyJson(value, undefined).replace(/\n/g, '\\n') + '\n';
}

function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v)));
}

export async function runWatchCommand(sources: string[], flags: WatchFlags): Promise<void> {
  if (sources.includes('-')) throw new UserError('watch follows files and event stores, not standard input', 'write the stream to a file and watch the file, or use evtrail ingest -');
  const storeUrl = sources.some(isStoreUrl);
  const files = storeUrl ? [] : sources;
  for (const f of files) {
    // Globs and folders are read once by ingest; watch follows named files (it stats them between reads).
    if (fs.existsSync(f) && !fs.statSync(f).isFile()) throw new UserError(`${f} is not a file`, 'watch the log files themselves (a folder or glob is read once by evtrail ingest)');
  }
  const intervalMs = durationMs('--interval', flags.interval, '250ms');
  const healthMs = durationMs('--health-every', flags.healthEvery, '5s');
  const stopAfterIdleMs = flags.stopAfter === undefined ? undefined : durationMs('--stop-after', flags.stopAfter, '30s');
  const clock = CLOCKS.find((c) => c === flags.clock);
  if (!clock) throw new UserError(`--clock ${flags.clock}: not a clock`, `one of ${CLOCKS.join(', ')} (live: stuck sagas are raised when their timeout passes, though no event comes)`);
  const catalog = loadCatalog(flags.rules === undefined ? {} : { rulesDir: flags.rules });
  // Every finding is kept (limit 0): an alert is raised once, and none may be cut.
  const plan = planAudit(catalog, auditRequest({ only: flags.only, param: flags.param, pack: flags.pack }, 'none', 0));
  const settle = settleFlags(flags.settle ?? [], plan.rules.map((p) => p.rule));
  // follow: a JetStream source keeps one consumer for the whole watch (deleted when it ends).
  const job = await prepareIngest(sources, { ...flags, json: true, quiet: true }, { follow: true });

  const store = await Store.open(flags.db, { create: true, memoryLimit: '800MB' });
  const stop = new StopSignal();
  let signal: 'SIGINT' | 'SIGTERM' | undefined;
  // In a terminal (and not --json): the live view (ink, loaded only then); else lines.
  const live = !flags.json && process.stdout.isTTY && process.stdout.columns
    ? (await import('./live-view.js')).startLiveView(sources.map((s) => s.replace(/\/\/[^@/]*@/, '//')).join(' '), flags.db)
    : undefined;
  const release = onInterrupt((s) => {
    signal = s;
    live?.stopping();
    stop.stop();
  });
  const execs: Promise<void>[] = [];
  const health = healthReporter(flags.json ?? false, healthMs);
  const say = (line: string) => process.stdout.write(line);
  try {
    const result = await watch(store, job, catalog, plan, { files, intervalMs, stopAfterIdleMs, clock, settle }, {
      alert: (a) => {
        if (live) live.alert(a);
        else say(flags.json ? jsonLine(plain(a)) : terminalSafe(alertText(a)) + '\n');
        if (flags.exec) execs.push(runExec(flags.exec, a));
      },
      batch: (b) => (live ? live.batch(b) : health.batch(b)),
      notice: (m) => (live ? live.notice(m) : health.notice(m)),
    }, stop);
    if (live) await live.end();
    else health.flush();
    await Promise.all(execs);
    const pending = result.pending > 0 ? `; ${result.pending} finding(s) still settling, kept in the store for the next watch` : '';
    const line = `watch stopped${result.stoppedBy === 'idle' ? ` after ${flags.stopAfter} without new events` : ''}: ${result.batches} batch(es), ${result.events} event(s), ${result.alerts} alert(s) this run; every batch was committed`;
    if (signal) {
      throw new UserError(`${line} (${signal})${pending}`, 'run the same command again to go on from here: nothing is read or raised twice', INTERRUPT_EXIT[signal]);
    }
    process.stderr.write(flags.json ? jsonLine({ stopped: result.stoppedBy, ...result }) : `${line}${pending}\n`);
  } finally {
    release();
    await job.close();
    store.close();
    await live?.end().catch(() => undefined);
  }
}

/**
 * `--settle DURATION` (every rule whose findings settle) or `--settle RULE=DURATION`
 * (repeatable): how long a finding that a later event can withdraw waits before it is raised.
 */
export function settleFlags(values: readonly string[], rules: readonly Rule[]): Map<string, bigint> {
  const out = new Map<string, bigint>();
  const settled = rules.filter((r) => r.settle).map((r) => `${r.id} (${r.settle!.text})`);
  for (const value of values) {
    const eq = value.indexOf('=');
    const id = eq < 0 ? '*' : value.slice(0, eq).trim();
    const text = eq < 0 ? value : value.slice(eq + 1);
    if (id !== '*') {
      const rule = rules.find((r) => r.id === id);
      if (!rule?.settle) {
        throw new UserError(`--settle ${value}: ${rule ? `${id}'s findings are not withdrawn by later events, so they do not settle` : `no rule ${id} in this watch`}`, `rules that settle: ${settled.join(', ') || 'none'}`);
      }
    }
    out.set(id, duration('--settle', text, 'e.g. --settle 5s or --settle compensation-missing=30s'));
  }
  return out;
}

function alertText(a: Alert): string {
  const where = [a.stream !== null ? `stream ${a.stream}` : null, a.eventId !== null ? `event ${a.eventId}` : null].filter(Boolean).join(' ');
  return `${a.raisedAt}  ${a.severity.padEnd(7)}  ${a.rule}  ${where}: ${a.message}`;
}

/** Runs the user's command with the alert on its stdin; its failure is said, never fatal. */
function runExec(command: string, alert: Alert): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'inherit', 'inherit'] });
    child.on('error', (e) => {
      process.stderr.write(`watch: --exec could not start: ${e.message}\n`);
      resolve();
    });
    child.on('exit', (code) => {
      if (code !== 0) process.stderr.write(`watch: --exec exited with ${code} for ${alert.rule} ${alert.eventId ?? ''}\n`);
      resolve();
    });
    child.stdin.on('error', () => undefined); // a command that does not read its stdin
    child.stdin.end(jsonLine(plain(alert)));
  });
}

/** Health on stderr: a line per period with what came (by type), the rate, lag and alerts. */
function healthReporter(json: boolean, everyMs: number) {
  let since = Date.now();
  let events = 0;
  let rejected = 0;
  let alerts = 0;
  let lagMs: number | null = null;
  const types: Record<string, number> = {};
  const write = (value: Record<string, unknown>, text: string) => process.stderr.write(json ? jsonLine(value) : terminalSafe(text) + '\n');
  const flush = () => {
    if (events === 0 && rejected === 0 && alerts === 0) return;
    const secs = Math.max((Date.now() - since) / 1000, 0.001);
    const rate = Math.round(events / secs);
    const top = Object.entries(types).sort((a, b) => b[1] - a[1]).slice(0, 5).map(([t, n]) => `${t} ${n}`).join(', ');
    write(
      { health: { events, perSecond: rate, rejected, alerts, lagMs, types: { ...types } } },
      `watch: +${events} event(s) (${rate}/s)${rejected ? `, ${rejected} rejected` : ''}, ${alerts} alert(s)${lagMs !== null ? `, lag ${formatDuration(BigInt(lagMs) * 1_000_000n)}` : ''}${top ? ` — ${top}` : ''}`,
    );
    since = Date.now();
    events = rejected = alerts = 0;
    for (const k of Object.keys(types)) delete types[k];
  };
  return {
    batch(b: BatchReport) {
      events += b.events;
      rejected += b.rejected;
      alerts += b.alerts;
      if (b.lagMs !== null) lagMs = b.lagMs;
      for (const [t, n] of Object.entries(b.types)) types[t] = (types[t] ?? 0) + n;
      if (Date.now() - since >= everyMs) flush();
    },
    notice(message: string) {
      write({ notice: message }, `watch: ${message}`);
    },
    flush,
  };
}
