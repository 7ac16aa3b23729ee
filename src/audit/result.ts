/**
 * What an audit returns (runPlannedAudit, runScopedAudit, ScopedAuditor in ./run.ts) and what a scoped
 * audit is given: data only, for the command's printing, the report, the explorer and watch.
 */
import type { FailOn } from './plan.js';
import type { Severity } from './rule-file.js';

export type RuleStatus = 'ran' | 'skipped';

export interface RuleResult {
  id: string;
  title: string;
  severity: Severity;
  pack: string;
  status: RuleStatus;
  /** Why a rule was skipped. */
  reason?: string;
  violations: number;
  /** Time of the rule's own query (shared views are timed apart). */
  ms: number;
  /** CPU time of the process meanwhile (DuckDB's threads included): less noisy than ms on a busy machine. */
  cpuMs: number;
  /** The first few event ids, in the order violations are listed. */
  examples: string[];
  /** Fewer violations listed than found (--limit). */
  truncated: boolean;
  params: Record<string, string>;
  file: string;
}

export interface Violation {
  rule: string;
  severity: Severity;
  eventId: string | null;
  stream: string | null;
  message: string;
  /** The rule's other columns (type, ts, seq, and what proves the finding). */
  evidence: Record<string, unknown>;
}

/**
 * Takes a rule's violations a chunk at a time, in the order they are listed, as the audit runs
 * (`audit --ndjson`: written as they come, never all held). With one, the result's
 * `violations` stays empty; the counts and examples are there as ever.
 */
export type ViolationSink = (violations: Violation[]) => Promise<void>;

export interface SharedResult {
  id: string;
  ms: number;
  cpuMs: number;
  materialized: boolean;
  usedBy: string[];
}

export interface PackResult {
  id: string;
  active: boolean;
  /** Share of the audited events whose type is in the pack's vocabulary. */
  share: number;
  forced: boolean;
}

export interface AuditResult {
  store: string;
  events: number;
  window: { since: string | null; until: string | null };
  failOn: FailOn;
  /** Some rule at or above --fail-on found violations: exit 1. */
  failed: boolean;
  packs: PackResult[];
  rules: RuleResult[];
  shared: SharedResult[];
  violations: Violation[];
  totalMs: number;
  totalCpuMs: number;
}

/**
 * An audit of a few events (what `trace` shows): the rules run over these events only, and
 * their findings are kept when their event is one of `eventIds`. For the findings to be the
 * ones a full audit makes about those events, `seqs` holds whole streams (every delivery),
 * the causes of their events and the first delivery of every redelivered id; which packs are
 * in force is decided over the whole store, as the full audit does.
 */
export interface AuditScope {
  seqs: readonly number[];
  eventIds: readonly string[];
  /**
   * The time the rules that measure silence judge against (audit_window.log_end, ns since the
   * epoch); default the latest time in the store. A watch's clock moves on while no event comes.
   */
  logEndNs?: bigint;
  /**
   * The scope as a query instead of lists (a watch's batch: whole streams, thousands of events
   * that would otherwise go to JavaScript and back as SQL literals): SQL over `{events}` (the
   * store's own table, put in by the auditor) returning `seq` and `judged` (the event's findings
   * are kept). When given, `seqs` and `eventIds` are not read.
   */
  sql?: string;
}
