/**
 * The watch loop: read what is new from the sources (exactly as `ingest` stores it: one
 * transaction per batch with its checkpoint and its part of the chain), audit the streams the
 * batch touched, raise each finding once, and say how the flow is doing.
 *
 * One batch:
 * 1. files: only those whose size or mtime moved (a stat, not a read); an event store: always
 *    (its checkpoint makes an empty read cheap);
 * 2. the ingest job (src/ingest/run-ingest.ts prepareIngest), which commits the batch;
 * 3. the events after the audited mark (watch_state): their streams audited whole by the
 *    catalog's rules (a scoped audit, src/audit/run.ts), the findings raised once
 *    (watch_alerts), the mark moved in the same transaction. A batch interrupted between 2
 *    and 3 is audited by the next run: nothing is missed, nothing raised twice.
 *
 * Settling: a rule whose finding a later event can withdraw (a rule file's `settle`, e.g.
 * compensation-missing: "no RiskReservationReleased follows") has its findings wait in
 * watch_pending until they have held for the settle time on the watch's clock. A pending
 * finding whose stream a later batch touches is judged again with the rest (withdrawn silently
 * when no longer found); one whose time has come has its stream audited again, then is raised.
 * A quiet watch whose clock runs looks at its pending findings as they fall due.
 */
import fs from 'node:fs';
import type { Catalog } from '../audit/catalog.js';
import { keepRunningBlocks } from '../integrity/chain-store.js';
import { withPackDefaults, type AuditPlan } from '../audit/plan.js';
import { ScopedAuditor } from '../audit/run.js';
import type { IngestJob } from '../ingest/run-ingest.js';
import type { IngestSummary } from '../ingest/ingest.js';
import type { Store } from '../store/store.js';
import { ALERTS_DDL, auditedEnd, auditedTo, duePending, nextDue, pendingFindings, pendingKey, raiseSettled, type Alert, type Pending, type SettleTimes } from './alerts.js';
import { WatchClock, type ClockKind } from './clock.js';
import { batchScope } from './scope.js';

export interface WatchCallbacks {
  alert(alert: Alert): void;
  batch(batch: BatchReport): void;
  /** Something a person should know that is not an alert (a file rotated, gaps kept open). */
  notice(message: string): void;
}

export interface WatchSettings {
  /** Files given on the command line (plain paths), or none for an event store. */
  files: readonly string[];
  /** Between two reads when nothing was new, ms. */
  intervalMs: number;
  /** Stop once nothing new has come for this long, ms (a bounded follow; tests, cron). */
  stopAfterIdleMs?: number;
  /** What silence is measured against (clock.ts); default live. */
  clock?: ClockKind;
  /** `--settle`: each settled rule's wait (ns) instead of its file's; the key '*' for every settled rule. */
  settle?: ReadonlyMap<string, bigint>;
}

export interface BatchReport {
  /** Wall clock at the end of the batch, ms since the epoch. */
  at: number;
  events: number;
  rejected: number;
  /** Events by type in this batch. */
  types: Record<string, number>;
  /** now − the newest event time in the batch, ms (null when the batch had no timed event). */
  lagMs: number | null;
  alerts: number;
  /** The batch: ingest and audit, ms. */
  ms: number;
  summary: IngestSummary | null;
}

export interface WatchResult {
  batches: number;
  events: number;
  alerts: number;
  stoppedBy: 'idle' | 'signal';
  /** Findings still settling when the watch stopped (kept in the store: the next watch goes on with them). */
  pending: number;
}

const TIMINGS = process.env.EVTRAIL_TIMINGS === '1';

interface FileMark {
  size: number;
  mtimeMs: number;
  ino: number;
}

/** The stop button: set from a signal handler; wakes the loop's sleep. */
export class StopSignal {
  stopped = false;
  private wake: (() => void) | undefined;
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wake = undefined;
        resolve();
      }
      this.wake = done;
      if (this.stopped) done();
    });
  }
}

export async function watch(store: Store, job: IngestJob, catalog: Catalog, plan: AuditPlan, settings: WatchSettings, on: WatchCallbacks, stop: StopSignal): Promise<WatchResult> {
  await store.run(ALERTS_DDL);
  // Batch after batch into one store: the hash chain's last partial block goes on from its
  // SHA-256 state instead of being read and hashed again (src/integrity/chain-store.ts).
  keepRunningBlocks();
  // Its tables and prepared statements kept from batch to batch (src/audit/run.ts, Kept).
  const auditor = new ScopedAuditor(store, catalog, { keep: true });
  const thresholds = timeThresholds(plan, catalog);
  const clock = new WatchClock(settings.clock ?? 'live');
  // While nothing comes, the clock's crossings are looked for at most this often.
  const quietCheckMs = Math.max(settings.intervalMs, 1000);
  let lastAudit = 0;
  const packsSeen: { active?: string } = {};
  const marks = new Map<string, FileMark>();
  const dropped = new Set<string>();
  // Pending findings of rules this run does not audit (--only) stay in the store, untouched.
  const planned = new Set(plan.rules.map((p) => p.rule.id));
  const settling: Settling = { settleNs: settleTimes(plan, settings.settle), planned, pending: (await pendingFindings(store)).filter((p) => planned.has(p.rule)) };
  const result: WatchResult = { batches: 0, events: 0, alerts: 0, stoppedBy: 'signal', pending: 0 };
  let idleSince = Date.now();
  try {
    while (!stop.stopped) {
      const t0 = performance.now();
      const cpu0 = TIMINGS ? process.cpuUsage() : undefined;
      const changed = job.storeSource ? undefined : changedFiles(settings.files, marks, dropped, on);
      let summary: IngestSummary | null = null;
      const steps: string[] = [];
      if (job.storeSource || changed!.length > 0) summary = await job.run(store, TIMINGS ? stepTimings(cpu0!, steps) : undefined, changed);
      if (summary) for (const s of summary.sources) noticeGaps(s, on);
      const t1 = performance.now();
      const cpu1 = TIMINGS ? process.cpuUsage(cpu0) : undefined;
      // A quiet watch whose clock runs still audits now and then: a timeout may have passed.
      const quiet = summary === null || summary.ingested === 0;
      const lookAtClock = quiet && clock.runs && thresholds.length > 0 && Date.now() - lastAudit >= quietCheckMs;
      const report = await auditNew(store, auditor, plan, thresholds, clock, on, lookAtClock, packsSeen, settling);
      if (!quiet || lookAtClock) lastAudit = Date.now();
      // EVTRAIL_TIMINGS=1: each batch's two steps on stderr, for profiling a watch.
      if (TIMINGS && (summary?.ingested || report.alerts)) {
        const cpu2 = process.cpuUsage(cpu0);
        const ms = (u: NodeJS.CpuUsage) => Math.round((u.user + u.system) / 1000);
        process.stderr.write(steps.join(''));
        process.stderr.write(`[watch] batch: ${summary?.ingested ?? 0} event(s), ingest ${Math.round(t1 - t0)} ms (cpu ${ms(cpu1!)}), audit ${Math.round(performance.now() - t1)} ms (cpu ${ms(cpu2) - ms(cpu1!)})\n`);
      }
      const events = summary?.ingested ?? 0;
      if (events > 0 || report.alerts > 0 || (summary?.rejected ?? 0) > 0) {
        // A pass that only raised what fell due (a timeout, a settled finding) read no batch.
        if (events > 0 || (summary?.rejected ?? 0) > 0) result.batches++;
        result.events += events;
        result.alerts += report.alerts;
        idleSince = Date.now();
        on.batch({ ...report, at: Date.now(), events, rejected: summary?.rejected ?? 0, ms: Math.round(performance.now() - t0), summary });
        continue; // more may be waiting: read again at once
      }
      // A bounded follow does not stop while findings are settling on a clock that runs: each
      // falls due within its settle time, so the wait is bounded too.
      const settlingHere = settling.pending.filter((p) => settling.settleNs.has(p.rule)).length;
      if (settings.stopAfterIdleMs !== undefined && Date.now() - idleSince >= settings.stopAfterIdleMs && !(clock.runs && settlingHere > 0)) {
        result.stoppedBy = 'idle';
        break;
      }
      await stop.sleep(settings.intervalMs);
    }
  } finally {
    auditor.close();
    keepRunningBlocks(false);
  }
  result.pending = settling.pending.length;
  return result;
}

/** EVTRAIL_TIMINGS=1: the ingest's steps inside a batch (CPU ms since the batch began, all threads), said with the batch's line. */
function stepTimings(cpu0: NodeJS.CpuUsage, lines: string[]): (message: string) => void {
  return (message) => {
    const u = process.cpuUsage(cpu0);
    lines.push(`[watch]   cpu ${Math.round((u.user + u.system) / 1000)} ms: ${message}\n`);
  };
}

/** The files to read this time: new, grown or touched since the last look; a shrunk or replaced one is said once and left. */
function changedFiles(files: readonly string[], marks: Map<string, FileMark>, dropped: Set<string>, on: WatchCallbacks): string[] {
  const out: string[] = [];
  for (const file of files) {
    if (dropped.has(file)) continue;
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      continue; // not there (yet, or during a rotation): looked at again next time
    }
    const before = marks.get(file);
    const now = { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
    if (before && (now.size < before.size || now.ino !== before.ino)) {
      dropped.add(file);
      on.notice(`${file} was ${now.ino !== before.ino ? 'replaced (rotated)' : `truncated (${before.size} → ${now.size} bytes)`}: its events so far are kept; a rewritten file is a new log, so it is no longer followed (watch the new file into a new store with --db)`);
      continue;
    }
    if (!before || now.size !== before.size || now.mtimeMs !== before.mtimeMs) out.push(file);
    marks.set(file, now);
  }
  return out;
}

function noticeGaps(s: IngestSummary['sources'][number], on: WatchCallbacks): void {
  if (s.held) on.notice(`${s.source}: ${s.held} row(s) held back (transactions still running on the server); read in a later batch`);
  if (s.gaps?.open) on.notice(`${s.source}: ${s.gaps.open} gap(s) kept open (transactions still running); read again in a later batch`);
  if (s.gaps && s.gaps.count > 0) on.notice(`${s.source}: ${s.gaps.missing} position(s) missing in ${s.gaps.count} gap(s), first at ${s.gaps.first} (event loss, or a rolled-back write)`);
}

/** The durations of the rules that measure silence against the end of the log (see TimeCrossings in scope.ts). */
export function timeThresholds(plan: AuditPlan, catalog: Catalog): bigint[] {
  const out = new Set<bigint>();
  // Which packs are in force is decided by the audit on the store; every pack's default is a
  // candidate (an extra threshold only widens the scope, never changes a finding).
  const variants = [plan.rules, ...catalog.packs.map((pack) => withPackDefaults(plan.rules, [pack]))];
  for (const planned of variants.flat()) {
    if (!planned.rule.uses.includes('audit_window')) continue;
    for (const p of planned.rule.params) if (p.type === 'duration' && planned.values[p.name]) out.add(BigInt(planned.values[p.name]!.sql));
  }
  return [...out];
}

/** The rules whose findings settle before they are raised, and for how long (ns): the rule file's `settle`, or `--settle`. */
export function settleTimes(plan: AuditPlan, overrides: ReadonlyMap<string, bigint> = new Map()): SettleTimes {
  const out = new Map<string, bigint>();
  for (const { rule } of plan.rules) {
    if (!rule.settle) continue;
    const ns = overrides.get(rule.id) ?? overrides.get('*') ?? rule.settle.ns;
    if (ns > 0n) out.set(rule.id, ns);
  }
  return out;
}

/** The settled rules' waits, and the findings pending now (watch_pending, as of the last audit). */
interface Settling {
  settleNs: SettleTimes;
  /** The rules this run audits. */
  planned: ReadonlySet<string>;
  pending: Pending[];
}

/**
 * The end kept never goes back (a restarted live clock starts again from the log's end): the
 * settle times are measured on it, so the time a finding had held before a restart counts.
 */
function keepEnd(end: bigint | null, previousEnd: bigint | null): bigint | null {
  return end !== null && previousEnd !== null && previousEnd > end ? previousEnd : end;
}

async function keptEnd(store: Store, clock: WatchClock, logEnd: bigint | null): Promise<bigint | null> {
  return keepEnd(clock.end(logEnd), await auditedEnd(store));
}

/** Audits the events after the audited mark and raises what is new. */
async function auditNew(
  store: Store, auditor: ScopedAuditor, plan: AuditPlan, thresholds: readonly bigint[], clock: WatchClock, on: WatchCallbacks,
  /** Nothing new came, but the clock ran: look for streams that crossed a timeout. */
  lookAtClock: boolean,
  /** The packs in force at the last audit of this run. */
  packsSeen: { active?: string },
  settling: Settling,
): Promise<Pick<BatchReport, 'types' | 'lagMs' | 'alerts'>> {
  const from = await auditedTo(store);
  const head = (await store.all(`SELECT coalesce(max(seq), 0) AS last, epoch_ns(max(ts)) AS end_ns FROM events`))[0]!;
  const to = Number(head.last);
  const logEnd = head.end_ns === null || head.end_ns === undefined ? null : BigInt(head.end_ns as bigint);
  // A pending finding falls due on the watch's clock, which may run while nothing comes.
  const dueBy = settling.pending.length > 0 ? nextDue(settling.pending, settling.settleNs) : null;
  if (to <= from && !lookAtClock && !(dueBy !== null && clock.runs && (await keptEnd(store, clock, logEnd) ?? dueBy - 1n) >= dueBy)) {
    return { types: {}, lagMs: null, alerts: 0 };
  }
  const stats = await store.all(`SELECT type, count(*) AS n, epoch_ns(max(ts)) AS newest FROM events WHERE seq > $from AND seq <= $to GROUP BY type`, { from, to });
  const types: Record<string, number> = {};
  let newest: bigint | null = null;
  for (const r of stats) {
    types[String(r.type)] = Number(r.n);
    if (r.newest !== null && r.newest !== undefined) {
      const ns = BigInt(r.newest as bigint);
      if (newest === null || ns > newest) newest = ns;
    }
  }
  const previousEnd = await auditedEnd(store);
  const end = clock.end(logEnd);
  const kept = keepEnd(end, previousEnd);
  const due = duePending(settling.pending, settling.settleNs, kept);
  const dueKeys = { streams: due.flatMap((p) => (p.stream !== null ? [p.stream] : [])), eventIds: due.flatMap((p) => (p.stream === null && p.eventId !== null ? [p.eventId] : [])) };
  const c0 = TIMINGS ? process.cpuUsage() : undefined;
  let scope = await batchScope(store, from, to, { previousEnd, end, thresholdsNs: thresholds }, dueKeys);
  if (to <= from && scope.empty) return { types: {}, lagMs: null, alerts: 0 };
  const c1 = TIMINGS ? process.cpuUsage(c0) : undefined;
  let audit = await auditor.run(plan, scope);
  const c2 = TIMINGS ? process.cpuUsage(c0) : undefined;
  // The packs in force changed with this batch (the store grew into a pack's vocabulary): what
  // the rules say of every stream may have changed, so the whole store is audited this once.
  const active = audit.packs.filter((p) => p.active).map((p) => p.id).join(',');
  if (packsSeen.active !== undefined && packsSeen.active !== active) {
    scope = await batchScope(store, 0, to, { previousEnd, end, thresholdsNs: thresholds }, dueKeys);
    audit = await auditor.run(plan, scope);
  }
  packsSeen.active = active;
  // Which pending findings the audit looked at again (few: asked of the auditor's scope tables).
  const looked = await auditor.judged(settling.pending);
  const judged = new Set(settling.pending.filter((_p, i) => looked[i]).map(pendingKey));
  const { alerts, pending } = await raiseSettled(store, audit.violations, to, kept, { settleNs: settling.settleNs, pending: settling.pending, judged });
  settling.pending = pending.filter((p) => settling.planned.has(p.rule));
  if (TIMINGS) {
    const ms = (u: NodeJS.CpuUsage) => Math.round((u.user + u.system) / 1000);
    process.stderr.write(`[watch]   audit cpu: scope ${ms(c1!)} ms (${audit.events} events), rules ${ms(c2!) - ms(c1!)} ms, raise ${ms(process.cpuUsage(c0)) - ms(c2!)} ms\n`);
  }
  for (const a of alerts) on.alert(a);
  const lagMs = newest === null ? null : Number((BigInt(Date.now()) * 1_000_000n - newest) / 1_000_000n);
  return { types, lagMs, alerts: alerts.length };
}
