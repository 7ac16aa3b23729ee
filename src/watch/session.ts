/**
 * A watch for another front end than `evtrail watch`'s own output: `evtrail ui --watch`. The
 * same loop (watcher.ts) over the same store, opened here read-write; the caller reads beside
 * it through `store.reader()` (one DuckDB instance in one process: see docs/architecture.md §5
 * for why not a second process) and is told of batches, alerts and notices by callbacks.
 *
 * The flags are checked as `evtrail watch` checks them (watch-command.ts runWatchCommand does
 * the same before its own output; the two share the loop, not the setup, so that the watch
 * command's file is left to its own changes).
 */
import fs from 'node:fs';
import { loadCatalog } from '../audit/catalog.js';
import { auditRequest, planAudit } from '../audit/plan.js';
import type { Rule } from '../audit/rule-file.js';
import { UserError, firstLine } from '../core/errors.js';
import { duration } from '../core/flags.js';
import { prepareIngest, type IngestJob } from '../ingest/run-ingest.js';
import { isStoreUrl } from '../ingest/sources.js';
import { Store } from '../store/store.js';
import { CLOCKS } from './clock.js';
import type { WatchFlags } from './watch-command.js';
import { StopSignal, watch, type WatchCallbacks, type WatchResult } from './watcher.js';

/** The flags `ui --watch` takes: a watch's, without its own output's (--json, --exec, --health-every). */
export type WatchSessionFlags = Omit<WatchFlags, 'json' | 'exec' | 'healthEvery' | 'stopAfter'>;

/** How a watch run beside the explorer ended. */
export type WatchEnd =
  | { kind: 'stopped'; result: WatchResult }
  /** The loop failed: its batch in flight was rolled back (one transaction), nothing half kept. */
  | { kind: 'failed'; message: string; hint: string | undefined };

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

function durationMs(flag: string, text: string, example: string): number {
  return Number(duration(flag, text, `e.g. ${flag} ${example}`) / 1_000_000n);
}

/** Checks the sources and flags, opens the store (created when new) and readies the loop. */
export async function openWatch(sources: string[], flags: WatchSessionFlags): Promise<WatchSession> {
  if (sources.includes('-')) throw new UserError('--watch follows files and event stores, not standard input', 'write the stream to a file and watch the file');
  const files = sources.some(isStoreUrl) ? [] : sources;
  for (const f of files) {
    if (fs.existsSync(f) && !fs.statSync(f).isFile()) throw new UserError(`${f} is not a file`, 'watch the log files themselves (a folder or glob is read once by evtrail ingest)');
  }
  const intervalMs = durationMs('--interval', flags.interval, '250ms');
  const clock = CLOCKS.find((c) => c === flags.clock);
  if (!clock) throw new UserError(`--clock ${flags.clock}: not a clock`, `one of ${CLOCKS.join(', ')}`);
  const catalog = loadCatalog(flags.rules === undefined ? {} : { rulesDir: flags.rules });
  // Every finding kept (limit 0): an alert is raised once, and none may be cut.
  const plan = planAudit(catalog, auditRequest({ only: flags.only, param: flags.param, pack: flags.pack }, 'none', 0));
  const job: IngestJob = await prepareIngest(sources, { ...flags, json: true, quiet: true }, { follow: true });
  let store: Store;
  try {
    store = await Store.open(flags.db, { create: true, memoryLimit: '800MB' });
  } catch (error) {
    await job.close();
    throw error;
  }
  const signal = new StopSignal();
  let running: Promise<WatchEnd> | undefined;
  return {
    store,
    rules: plan.rules.map(({ rule }) => ({ id: rule.id, title: rule.title, severity: rule.severity, pack: rule.pack ?? '' })),
    start(on) {
      running ??= watch(store, job, catalog, plan, { files, intervalMs, clock }, on, signal).then(
        (result): WatchEnd => ({ kind: 'stopped', result }),
        (error: unknown): WatchEnd => {
          const hint = (error as { hint?: unknown }).hint;
          return { kind: 'failed', message: firstLine(error), hint: typeof hint === 'string' ? hint : undefined };
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
