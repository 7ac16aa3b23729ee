/**
 * How `evtrail watch` shows what happens, and only that: in a terminal (no --json) the live
 * view (./live-view.tsx, ink loaded only then); otherwise an alert is one line on stdout (text,
 * or with --json one NDJSON object, for other tools) and how the flow is doing (events per
 * second by type, lag, rejects, notices) goes to stderr, as text or JSON lines, at most once
 * per --health-every. `watchStopped` is the closing line (or, after a signal, the error that
 * carries its exit code).
 */
import { UserError } from '../core/errors.js';
import { INTERRUPT_EXIT } from '../core/interrupt.js';
import { formatDuration } from '../core/time.js';
import { stringifyJson } from '../output/json.js';
import { terminalSafe } from '../output/terminal.js';
import { alertJsonLine, type Alert } from './alerts.js';
import type { WatchOutput, WatchRun } from './run-watch.js';
import type { BatchReport } from './watcher.js';

export interface WatchShow {
  json: boolean;
  healthEveryMs: number;
  /** For the live view's header. */
  sources: string[];
  db: string;
}

/** A line a script can read: JSON with bigint as text (the store's seqs and positions). */
function jsonLine(value: unknown): string {
  return stringifyJson(value, undefined).replace(/\n/g, '\\n') + '\n';
}

function alertText(a: Alert): string {
  const where = [a.stream !== null ? `stream ${a.stream}` : null, a.eventId !== null ? `event ${a.eventId}` : null].filter(Boolean).join(' ');
  return `${a.raisedAt}  ${a.severity.padEnd(7)}  ${a.rule}  ${where}: ${a.message}`;
}

export async function watchOutput(show: WatchShow): Promise<WatchOutput> {
  if (!show.json && process.stdout.isTTY && process.stdout.columns) {
    // Credentials in a URL are not shown.
    const live = (await import('./live-view.js')).startLiveView(show.sources.map((s) => s.replace(/\/\/[^@/]*@/, '//')).join(' '), show.db);
    return {
      alert: (a) => live.alert(a),
      batch: (b) => live.batch(b),
      notice: (m) => live.notice(m),
      stopping: () => live.stopping(),
      end: () => live.end(),
      close: () => live.end(),
    };
  }
  const health = healthReporter(show.json, show.healthEveryMs);
  return {
    alert: (a) => void process.stdout.write(show.json ? alertJsonLine(a) : terminalSafe(alertText(a)) + '\n'),
    batch: (b) => health.batch(b),
    notice: (m) => health.notice(m),
    stopping: () => undefined,
    end: async () => health.flush(),
    close: async () => undefined,
  };
}

/**
 * The closing line on stderr; after a signal, the UserError that says it with the signal's exit
 * code (the command throws it). `stopAfter` is --stop-after as the user wrote it.
 */
export function watchStopped(json: boolean, run: WatchRun, stopAfter: string | undefined): UserError | undefined {
  const { result, signal } = run;
  const pending = result.pending > 0 ? `; ${result.pending} finding(s) still settling, kept in the store for the next watch` : '';
  const line = `watch stopped${result.stoppedBy === 'idle' ? ` after ${stopAfter} without new events` : ''}: ${result.batches} batch(es), ${result.events} event(s), ${result.alerts} alert(s) this run; every batch was committed`;
  if (signal) {
    return new UserError(`${line} (${signal})${pending}`, 'run the same command again to go on from here: nothing is read or raised twice', INTERRUPT_EXIT[signal]);
  }
  process.stderr.write(json ? jsonLine({ stopped: result.stoppedBy, ...result }) : `${line}${pending}\n`);
  return undefined;
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
