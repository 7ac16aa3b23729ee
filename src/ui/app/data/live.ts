/**
 * `ui --watch`: what the watcher running beside the explorer says (batches, alerts, notices, its
 * end), kept for the screens. Screens that show the log's contents read again when `version`
 * moves, which it does at most every REFRESH_MS however fast the batches come: a redraw and
 * its reads cost more than a batch of a few events is worth seeing at once.
 *
 * The audit screen of a live store shows the watcher's alerts (liveAudit): the watcher has
 * already audited each batch's streams and raised each finding once, so the explorer does not
 * audit the whole store again beside it (seconds of DuckDB per run, holding the query lane).
 *
 * Pure state and timers: no store, no ink (the watcher's callbacks feed it; useSyncExternalStore
 * reads it).
 */
import type { AuditResult, RuleResult, Violation } from '../../../audit/result.js';
import { alertKey, type Alert } from '../../../watch/alerts.js';
import type { LiveRule, WatchEnd } from '../../../watch/session.js';
import type { BatchReport } from '../../../watch/watcher.js';

/** Screens read again at most this often while batches come. */
export const REFRESH_MS = 400;
/** The newest alerts kept for the audit screen's live panel. */
export const RECENT_KEPT = 200;
/** Alerts kept per rule for the drill-down (the counts stay exact; the store keeps them all: watch_alerts). */
export const KEPT_PER_RULE = 1000;

/**
 * The overview's scans of the events (per type, streams, the sparkline) cost with the store's
 * size (~0.5 s each at 10M events): read again while batches come, they would keep DuckDB busy
 * beside the watcher. So they take at most a quarter of the time: after scans that took `costMs`,
 * the next start SCAN_SPACING × costMs after the last began (never sooner than REFRESH_MS).
 */
export const SCAN_SPACING = 4;

/** How long to wait before the next scans (≤ 0: now), given the last ones' cost and how long ago they began. */
export function scanDelay(costMs: number, sinceStartMs: number): number {
  return Math.max(REFRESH_MS, SCAN_SPACING * costMs) - sinceStartMs;
}

export interface LiveState {
  /** running: following; stopping: asked to stop, the batch in flight finishing; then how it ended. */
  status: 'running' | 'stopping' | 'stopped' | 'failed';
  /** Batches and events stored by this run, alerts raised by it. */
  batches: number;
  events: number;
  alertCount: number;
  /** Alerts in the store: raised by earlier runs (watch_alerts) and by this one. */
  alertsInStore: number;
  /** The newest alerts, newest first. */
  recent: readonly Alert[];
  lagMs: number | null;
  /** Wall clock of the last batch that stored or raised something, ms since the epoch. */
  lastBatchAt: number | null;
  /** The last notice (a file rotated, gaps kept open). */
  notice: string | null;
  /** Why it failed (status failed). */
  error: string | null;
  /** Moves when the store's contents changed (throttled): screens read again. */
  version: number;
}

export class LiveFeed {
  private state: LiveState = {
    status: 'running', batches: 0, events: 0, alertCount: 0, alertsInStore: 0, recent: [], lagMs: null, lastBatchAt: null, notice: null, error: null, version: 0,
  };
  private readonly listeners = new Set<() => void>();
  /** Per rule: how many alerts, and the first KEPT_PER_RULE of them (oldest first). */
  private readonly byRule = new Map<string, { count: number; kept: Alert[] }>();
  /** Alerts seen (rule and what it is about): one read from the store and raised again is one. */
  private readonly seen = new Set<string>();
  private pending = false;
  private lastBump = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    /** The rules the watcher runs, in the catalog's order. */
    readonly rules: readonly LiveRule[] = [],
    private readonly refreshMs = REFRESH_MS,
  ) {}

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  snapshot = (): LiveState => this.state;

  batch(b: BatchReport): void {
    this.set({
      batches: this.state.batches + 1,
      events: this.state.events + b.events,
      lagMs: b.lagMs ?? this.state.lagMs,
      lastBatchAt: b.at,
    });
    this.changed();
  }

  alert(a: Alert): void {
    if (!this.keep(a)) return;
    this.set({ alertCount: this.state.alertCount + 1, alertsInStore: this.state.alertsInStore + 1, recent: [a, ...this.state.recent].slice(0, RECENT_KEPT) });
    this.changed();
  }

  /** The alerts earlier runs raised (read from watch_alerts when the explorer opens), oldest first. */
  earlier(alerts: readonly Alert[]): void {
    const fresh = alerts.filter((a) => this.keep(a));
    if (fresh.length === 0) return;
    // This run's (newer) stay in front.
    this.set({ alertsInStore: this.state.alertsInStore + fresh.length, recent: [...this.state.recent, ...[...fresh].reverse()].slice(0, RECENT_KEPT) });
    this.changed();
  }

  notice(message: string): void {
    this.set({ notice: message });
  }

  stopping(): void {
    if (this.state.status === 'running') this.set({ status: 'stopping' });
  }

  ended(end: WatchEnd): void {
    this.set(end.kind === 'failed' ? { status: 'failed', error: end.message + (end.hint ? ` (hint: ${end.hint})` : '') } : { status: 'stopped' });
  }

  /** No timer left behind (the app is closing). */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * The audit screen's result: the watcher's rules, each with the alerts raised for it (in the
   * order raised), as an audit over `events` events would list them.
   */
  audit(store: string, events: number): AuditResult {
    return liveAudit(this.rules, this.byRule, store, events);
  }

  private keep(a: Alert): boolean {
    const key = `${a.rule}\u0000${alertKey(a)}`;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    const entry = this.byRule.get(a.rule) ?? { count: 0, kept: [] };
    entry.count++;
    if (entry.kept.length < KEPT_PER_RULE) entry.kept.push(a);
    this.byRule.set(a.rule, entry);
    return true;
  }

  /** The contents changed: version moves now, or once REFRESH_MS has passed since it last did. */
  private changed(): void {
    if (this.pending) return;
    const wait = this.lastBump + this.refreshMs - performance.now();
    if (wait <= 0) return this.bump();
    this.pending = true;
    this.timer = setTimeout(() => this.bump(), wait);
    this.timer.unref?.();
  }

  private bump(): void {
    this.pending = false;
    this.timer = undefined;
    this.lastBump = performance.now();
    this.set({ version: this.state.version + 1 });
  }

  private set(patch: Partial<LiveState>): void {
    this.state = { ...this.state, ...patch };
    for (const l of this.listeners) l();
  }
}

/** See LiveFeed.audit. A rule that raised for a rule id the catalog does not list (a --rules folder changed) is listed too. */
export function liveAudit(rules: readonly LiveRule[], byRule: ReadonlyMap<string, { count: number; kept: readonly Alert[] }>, store: string, events: number): AuditResult {
  const listed = [...rules, ...[...byRule.keys()].filter((id) => !rules.some((r) => r.id === id)).map((id) => ({ id, title: '', severity: byRule.get(id)!.kept[0]?.severity ?? 'error', pack: '' }))];
  const ruleResults: RuleResult[] = listed.map((r) => {
    const entry = byRule.get(r.id);
    return {
      id: r.id, title: r.title, severity: r.severity, pack: r.pack, status: 'ran', violations: entry?.count ?? 0, ms: 0, cpuMs: 0,
      examples: (entry?.kept ?? []).slice(0, 3).flatMap((a) => (a.eventId ? [a.eventId] : [])),
      truncated: (entry?.count ?? 0) > (entry?.kept.length ?? 0), params: {}, file: '',
    };
  });
  const violations: Violation[] = listed.flatMap((r) => (byRule.get(r.id)?.kept ?? []).map((a) => ({ rule: a.rule, severity: a.severity, eventId: a.eventId, stream: a.stream, message: a.message, evidence: a.evidence })));
  return {
    store, events, window: { since: null, until: null }, failOn: 'none', failed: false, packs: [], rules: ruleResults, shared: [], violations, totalMs: 0, totalCpuMs: 0,
  };
}
