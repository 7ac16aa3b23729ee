/**
 * A watch's setup, written once for its two front ends: `evtrail watch` (./run-watch.ts
 * `runWatch`, its output by ./render.ts) and `evtrail ui --watch` (src/ui/app/boot.ts). The
 * sources checked, the rule plan made, the source's ingest job readied and the store opened
 * (created when new) read-write; the loop (watcher.ts) runs when `start` is called. The
 * explorer reads beside it through `store.reader()` (one DuckDB instance in one process: see
 * docs/architecture.md §5 for why not a second process); both are told of batches, alerts and
 * notices by callbacks.
 *
 * The flags come read (src/cli/watch-schema.ts); what needs the catalog (does --settle's rule
 * settle?) is checked here.
 */
import fs from 'node:fs';
import { loadCatalog } from '../audit/catalog.js';
import { auditRequest, planAudit } from '../audit/plan.js';
import type { Rule } from '../audit/rule-file.js';
import { UserError, firstLine } from '../core/errors.js';
import { prepareIngest, type IngestFlags, type IngestJob } from '../ingest/run-ingest.js';
import { isStoreUrl } from '../ingest/sources.js';
import { Store } from '../store/store.js';
import type { ClockKind } from './clock.js';
import { StopSignal, watch, type WatchCallbacks, type WatchResult } from './watcher.js';

/** One `--settle` value: `rule` is '*' for every rule whose findings settle. */
export interface SettleFlag {
  /** As given, for the message when the rule does not settle. */
  value: string;
  rule: string;
  ns: bigint;
}

/** What a watch follows and how: the ingest settings of its source, its rules, its timing. */
export interface WatchSetup extends Pick<IngestFlags, 'db' | 'preset' | 'format' | 'map' | 'config' | 'schema' | 'table' | 'stream' | 'subject'> {
  only?: string[];
  param?: string[];
  pack?: string[];
  /** A folder of the user's rules, run with the catalog's. */
  rules?: string;
  /** Between two reads when nothing was new. */
  intervalMs: number;
  clock: ClockKind;
  settle?: readonly SettleFlag[];
  /** Stop once nothing new has come for this long (`watch --stop-after`; the explorer runs on). */
  stopAfterIdleMs?: number;
  /** Which command asks, for the wording of what it is told (a hint to `ingest -` is watch's). */
  command: 'watch' | 'ui';
}

/** How a watch ended. */
export type WatchEnd =
  | { kind: 'stopped'; result: WatchResult }
  /** The loop failed: its batch in flight was rolled back (one transaction), nothing half kept. */
  | { kind: 'failed'; message: string; hint: string | undefined; error?: unknown };

/** A rule the watch runs, as the explorer lists it. */
export type LiveRule = Pick<Rule, 'id' | 'title' | 'severity'> & { pack: string };

export interface WatchSession {
  /** The store, open read-write: read it through store.reader(), never write beside the loop. */
  readonly store: Store;
  /** The rules the watch runs, in the catalog's order. */
  readonly rules: readonly LiveRule[];
  /** Starts the loop; settles (never rejects) when it ends, by stop() or by a failure. */
  start(on: WatchCallbacks): Promise<WatchEnd>;
  /** Asks the loop to stop after the batch in flight (committed whole). */
  stop(): void;
  /** After the loop has ended: the source's consumer and the store closed. */
  close(): Promise<void>;
}

/**
 * `--settle` against the watch's rules: each settled rule's wait (the key '*' for all of them);
 * a rule that is not in this watch, or whose findings no later event withdraws, is refused.
 */
export function settleOverrides(values: readonly SettleFlag[], rules: readonly Rule[]): Map<string, bigint> {
  const out = new Map<string, bigint>();
  const settled = rules.filter((r) => r.settle).map((r) => `${r.id} (${r.settle!.text})`);
  for (const { value, rule: id, ns } of values) {
    if (id !== '*') {
      const rule = rules.find((r) => r.id === id);
      if (!rule?.settle) {
        throw new UserError(`--settle ${value}: ${rule ? `${id}'s findings are not withdrawn by later events, so they do not settle` : `no rule ${id} in this watch`}`, `rules that settle: ${settled.join(', ') || 'none'}`);
      }
    }
    out.set(id, ns);
  }
  return out;
}

/** Checks the sources and the rules, readies the source and opens the store (created when new). */
export async function openWatch(sources: string[], setup: WatchSetup): Promise<WatchSession> {
  if (sources.includes('-')) {
    throw setup.command === 'watch'
      ? new UserError('watch follows files and event stores, not standard input', 'write the stream to a file and watch the file, or use evtrail ingest -')
      : new UserError('--watch follows files and event stores, not standard input', 'write the stream to a file and watch the file');
  }
  const files = sources.some(isStoreUrl) ? [] : sources;
  for (const f of files) {
    // Globs and folders are read once by ingest; watch follows named files (it stats them between reads).
    if (fs.existsSync(f) && !fs.statSync(f).isFile()) throw new UserError(`${f} is not a file`, 'watch the log files themselves (a folder or glob is read once by evtrail ingest)');
  }
  const catalog = loadCatalog(setup.rules === undefined ? {} : { rulesDir: setup.rules });
  // Every finding kept (limit 0): an alert is raised once, and none may be cut.
  const plan = planAudit(catalog, auditRequest({ only: setup.only, param: setup.param, pack: setup.pack }, 'none', 0));
  const settle = settleOverrides(setup.settle ?? [], plan.rules.map((p) => p.rule));
  const { db, preset, format, map, config, schema, table, stream, subject } = setup;
  // follow: a JetStream source keeps one consumer for the whole watch (deleted when it ends).
  const job: IngestJob = await prepareIngest(sources, { db, preset, format, map, config, schema, table, stream, subject, json: true, quiet: true }, { follow: true });
  let store: Store;
  try {
    store = await Store.open(db, { create: true, memoryLimit: '800MB' });
  } catch (error) {
    await job.close();
    throw error;
  }
  const settings = { files, intervalMs: setup.intervalMs, stopAfterIdleMs: setup.stopAfterIdleMs, clock: setup.clock, settle };
  const signal = new StopSignal();
  let running: Promise<WatchEnd> | undefined;
  return {
    store,
    rules: plan.rules.map(({ rule }) => ({ id: rule.id, title: rule.title, severity: rule.severity, pack: rule.pack ?? '' })),
    start(on) {
      running ??= watch(store, job, catalog, plan, settings, on, signal).then(
        (result): WatchEnd => ({ kind: 'stopped', result }),
        (error: unknown): WatchEnd => {
          const hint = (error as { hint?: unknown }).hint;
          return { kind: 'failed', message: firstLine(error), hint: typeof hint === 'string' ? hint : undefined, error };
        },
      );
      return running;
    },
    stop: () => signal.stop(),
    async close() {
      signal.stop();
      await running;
      try {
        await job.close();
      } finally {
        store.close();
      }
    },
  };
}
